"""Listing fields made of several rows: documents, notes on languages, hours, accessibility, phones.

Each goes edit form -> stored rows -> a readable history row -> restore -> the public provider page.
"""

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from accounts.users import create_user
from matching.engine import is_open
from models import (
    Accessibility,
    ChangeRequest,
    Language,
    Location,
    Metadata,
    Organization,
    Phone,
    RequiredDocument,
    Schedule,
    SearchEntry,
    Service,
)
from tests.factories import make_service
from tests.test_listings import PASSWORD, _edit_form, _fresh, _log_in, _post


@pytest.fixture
def world(app, session):
    """A verified clinic with a located service, a verified shelter at a confidential location, owners, an admin."""
    with app.app_context():
        clinic = make_service(session, name="Alpha Legal", needs=["asylum"], lat=32.80, lon=-96.80)
        shelter = make_service(
            session, name="Safe House", needs=["domestic-violence"], lat=32.81, lon=-96.80, confidential=True,
            street="42 Hidden Lane", phone="214-555-0199",
        )  # fmt: skip
    for service in (clinic, shelter):
        session.get(Organization, service.organization_id).verified = True
    shelter_location = session.execute(
        select(Location).where(Location.organization_id == shelter.organization_id)
    ).scalar_one()
    session.get(Phone, _phone_id(session, shelter_location.id)).public_contact = True
    session.commit()
    create_user(session, email="a@example.org", password=PASSWORD, role="ngo", organization_id=clinic.organization_id)
    create_user(session, email="s@example.org", password=PASSWORD, role="ngo", organization_id=shelter.organization_id)
    create_user(session, email="admin@example.org", password=PASSWORD, role="admin")
    location = session.execute(select(Location).where(Location.organization_id == clinic.organization_id)).scalar_one()
    return {"service": clinic, "location": location, "shelter": shelter, "shelter_location": shelter_location}


def _phone_id(session, location_id: str) -> str:
    return session.execute(select(Phone.id).where(Phone.location_id == location_id)).scalar_one()


def _save(client, url: str, **changes):
    """Open an edit form, change some fields (name -> text), and submit it as a browser would."""
    form = _edit_form(client, url)
    form.update({name.replace("__", "-"): [value] for name, value in changes.items()})
    return client.post(url, data=form)


def _history(session, record_id: str, field: str) -> list[Metadata]:
    session.expire_all()
    rows = select(Metadata).where(Metadata.resource_id == record_id, Metadata.field_name == field)
    return list(session.execute(rows.order_by(Metadata.last_action_date)).scalars())


def _page(client, service_id: str) -> str:
    return client.get(f"/provider/{service_id}").get_data(as_text=True)


def test_documents_are_one_a_line_recorded_readably_restored_and_shown(client, session, world):
    service_id = world["service"].id
    _log_in(client, "a@example.org")
    url = f"/manage/services/{service_id}"
    assert (
        _save(client, url, documents="Passport\n\n  Any letter from   immigration court \nPassport").status_code == 302
    )
    documents = session.execute(select(RequiredDocument.document).where(RequiredDocument.service_id == service_id))
    assert sorted(documents.scalars()) == ["Any letter from immigration court", "Passport"]
    [first] = _history(session, service_id, "documents")
    assert (first.previous_value, first.replacement_value) == ("", "Any letter from immigration court\nPassport")
    page = _page(client, service_id)
    assert "Any letter from immigration court" in page
    assert "Passport" in page

    assert _save(client, url, documents="Passport").status_code == 302
    second = _history(session, service_id, "documents")[-1]
    assert _post(client, f"/manage/history/{second.id}/restore").status_code == 302
    documents = session.execute(select(RequiredDocument.document).where(RequiredDocument.service_id == service_id))
    assert sorted(documents.scalars()) == ["Any letter from immigration court", "Passport"]
    assert "Any letter from immigration court" in _page(client, service_id)


def test_notes_on_languages_are_stored_on_the_language_recorded_and_shown(client, session, world):
    service_id = world["service"].id
    _log_in(client, "a@example.org")
    url = f"/manage/services/{service_id}"
    response = _save(client, url, languages="en, es", language_notes="ES: Spanish intake line only")
    assert response.status_code == 302
    notes = session.execute(select(Language.code, Language.note).where(Language.service_id == service_id))
    assert sorted(notes) == [("en", None), ("es", "Spanish intake line only")]
    [row] = _history(session, service_id, "language_notes")
    assert row.replacement_value == "es: Spanish intake line only"
    assert "Spanish: Spanish intake line only" in _page(client, service_id)
    # The form shows the note again, in the same words.
    assert "es: Spanish intake line only" in client.get(url).get_data(as_text=True)


def test_taking_a_language_away_records_its_note_and_restoring_the_note_brings_the_language_back(
    client, session, world
):
    service_id = world["service"].id
    _log_in(client, "a@example.org")
    url = f"/manage/services/{service_id}"
    _save(client, url, languages="en, es", language_notes="es: Tuesdays only")
    assert _save(client, url, languages="en", language_notes="").status_code == 302
    removed = _history(session, service_id, "language_notes")[-1]
    assert (removed.previous_value, removed.replacement_value) == ("es: Tuesdays only", "")
    assert _post(client, f"/manage/history/{removed.id}/restore").status_code == 302
    notes = session.execute(select(Language.code, Language.note).where(Language.service_id == service_id))
    assert sorted(notes) == [("en", None), ("es", "Tuesdays only")]
    assert _history(session, service_id, "languages")[-1].replacement_value == "en,es"


def test_a_note_on_a_language_not_listed_is_refused_and_everything_typed_stays(client, session, world):
    _log_in(client, "a@example.org")
    url = f"/manage/services/{world['service'].id}"
    response = _save(client, url, languages="en", language_notes="es: Tuesdays only", description="Typed text")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Add es to the languages above, or remove its line." in page
    assert "es: Tuesdays only" in page
    assert "Typed text" in page
    response = _save(client, url, language_notes="Spanish on Tuesdays")
    assert response.status_code == 400
    assert "Write one language a line" in response.get_data(as_text=True)
    assert _fresh(session, Service, world["service"].id).version == 1


def test_weekly_hours_are_stored_as_schedules_shown_publicly_and_searched_by_open_now(client, session, world):
    location_id, service_id = world["location"].id, world["service"].id
    _log_in(client, "a@example.org")
    url = f"/manage/locations/{location_id}"
    response = _save(client, url, hours__mo="9-12, 13:00-17:00", hours__tu="9am - 5pm", hours__we="9-12, 13:00-17:00",
                     hours_notes="Closed on public holidays.")  # fmt: skip
    assert response.status_code == 302
    rows = session.execute(select(Schedule).where(Schedule.location_id == location_id)).scalars().all()
    spans = sorted((row.byday, row.opens_at, row.closes_at) for row in rows if row.opens_at)
    assert spans == [("MO,WE", "09:00", "12:00"), ("MO,WE", "13:00", "17:00"), ("TU", "09:00", "17:00")]
    assert [row.notes for row in rows if not row.opens_at] == ["Closed on public holidays."]
    [row] = _history(session, location_id, "hours")
    assert row.replacement_value == "MO 09:00-12:00, 13:00-17:00\nTU 09:00-17:00\nWE 09:00-12:00, 13:00-17:00"

    page = _page(client, service_id)
    assert "Monday" in page
    assert "1:00\u202fPM – 5:00\u202fPM" in page or "1:00 PM – 5:00 PM" in page
    assert "Closed on public holidays." in page
    # The search index was rebuilt: "open now" reads the new hours.
    hours = session.execute(select(SearchEntry.hours).where(SearchEntry.service_id == service_id)).scalars().first()
    dallas = ZoneInfo("America/Chicago")
    assert is_open(hours, "America/Chicago", datetime(2025, 3, 3, 12, 30, tzinfo=dallas)) is False  # Monday lunch
    assert is_open(hours, "America/Chicago", datetime(2025, 3, 4, 12, 30, tzinfo=dallas)) is True  # Tuesday
    assert is_open(hours, "America/Chicago", datetime(2025, 3, 6, 10, 0, tzinfo=dallas)) is False  # Thursday


def test_restoring_hours_brings_the_earlier_schedules_back(client, session, world):
    location_id = world["location"].id
    _log_in(client, "a@example.org")
    url = f"/manage/locations/{location_id}"
    _save(client, url, hours__fr="10:00-14:00")
    _save(client, url, hours__fr="", hours__sa="00:00-24:00")
    latest = _history(session, location_id, "hours")[-1]
    assert (latest.previous_value, latest.replacement_value) == ("FR 10:00-14:00", "SA 00:00-24:00")
    assert _post(client, f"/manage/history/{latest.id}/restore").status_code == 302
    session.expire_all()
    rows = session.execute(select(Schedule.byday, Schedule.opens_at).where(Schedule.location_id == location_id))
    assert list(rows) == [("FR", "10:00")]
    assert "10:00-14:00" in client.get(url).get_data(as_text=True)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("17:00-9:00", "the closing time must be after the opening time"),
        ("9:00-13:00, 12:00-17:00", "overlap"),
        ("after lunch", "Write times like 9:00-17:00"),
        ("25:00-26:00", "Write times like 9:00-17:00"),
    ],
)
def test_impossible_hours_are_refused_on_their_day_and_everything_typed_stays(client, session, world, typed, message):
    _log_in(client, "a@example.org")
    url = f"/manage/locations/{world['location'].id}"
    response = _save(client, url, hours__th=typed, transportation="Bus 19 to Main St")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="hours-th-error"' in page
    assert message in page
    assert typed in page
    assert "Bus 19 to Main St" in page
    assert _fresh(session, Location, world["location"].id).version == 1


def test_accessibility_and_transportation_are_shown_but_for_a_confidential_location_reviewed_and_never_shown(
    client, session, world
):
    _log_in(client, "a@example.org")
    location_id = world["location"].id
    response = _save(client, f"/manage/locations/{location_id}", accessibility="Step-free entrance.",
                     transportation="DART bus 19 stops at the door.")  # fmt: skip
    assert response.status_code == 302
    assert session.execute(
        select(Accessibility.description).where(Accessibility.location_id == location_id)
    ).scalars().all() == ["Step-free entrance."]
    assert _fresh(session, Location, location_id).transportation == "DART bus 19 stops at the door."
    assert [row.field_name for row in _history(session, location_id, "accessibility")] == ["accessibility"]
    page = _page(client, world["service"].id)
    assert "Step-free entrance." in page
    assert "DART bus 19 stops at the door." in page

    # At a confidential location both wait for a moderator (they easily name a street), and never show.
    shelter = _log_in(client.application.test_client(), "s@example.org")
    url = f"/manage/locations/{world['shelter_location'].id}"
    assert _save(shelter, url, accessibility="Elevator.", transportation="Near the Elm St stop.").status_code == 302
    change = session.execute(select(ChangeRequest)).scalar_one()
    assert set(json.loads(change.changes)) == {"accessibility", "transportation"}
    assert _fresh(session, Location, world["shelter_location"].id).transportation != "Near the Elm St stop."
    moderator = _log_in(client.application.test_client(), "admin@example.org")
    assert _post(moderator, f"/manage/review/{change.id}/approve").status_code == 302
    page = _page(client, world["shelter"].id)
    assert "Elevator." not in page
    assert "Elm St" not in page
    assert "Hidden Lane" not in page


def test_phones_are_added_changed_and_removed_with_readable_history_and_shown(client, session, world):
    location_id = world["location"].id
    _log_in(client, "a@example.org")
    url = f"/manage/locations/{location_id}"
    response = _save(client, url, **{"phones__0__description": "Front desk", "phones__1__number": "(214) 555-0111",
                                     "phones__1__extension": "12", "phones__1__type": "hotline",
                                     "phones__1__description": "Spanish line"})  # fmt: skip
    assert response.status_code == 302
    phones = session.execute(select(Phone).where(Phone.location_id == location_id)).scalars().all()
    assert sorted((p.number, p.extension, p.type, p.description) for p in phones) == [
        ("(214) 555-0111", 12, "hotline", "Spanish line"),
        ("214-555-0100", None, "voice", "Front desk"),
    ]
    [row] = _history(session, location_id, "phones")
    assert row.previous_value == "214-555-0100 | voice"
    assert row.replacement_value == "(214) 555-0111 ext. 12 | hotline | Spanish line\n214-555-0100 | voice | Front desk"
    page = _page(client, world["service"].id)
    assert 'href="tel:2145550100"' in page
    assert "Front desk" in page

    # Clearing a number removes the phone; restore brings it back.
    form = _edit_form(client, url)
    # Phones are listed in their canonical order: "(214) …" sorts first.
    assert form["phones-0-number"] == ["(214) 555-0111"]
    form["phones-0-number"] = [""]
    assert client.post(url, data=form).status_code == 302
    assert session.execute(select(Phone.number).where(Phone.location_id == location_id)).scalars().all() == [
        "214-555-0100"
    ]
    removal = _history(session, location_id, "phones")[-1]
    assert _post(client, f"/manage/history/{removal.id}/restore").status_code == 302
    session.expire_all()
    restored = session.execute(select(Phone).where(Phone.number == "(214) 555-0111")).scalar_one()
    assert (restored.extension, restored.type, restored.description) == (12, "hotline", "Spanish line")


@pytest.mark.parametrize(
    ("number", "message"),
    [("555-12", "A phone number has 7 to 15 digits."), ("1-800-HELP-NOW", "Use only digits, spaces and + ( ) - .")],
)
def test_a_wrong_phone_number_is_refused_on_its_row_and_everything_typed_stays(client, session, world, number, message):
    _log_in(client, "a@example.org")
    url = f"/manage/services/{world['service'].id}"
    response = _save(client, url, phones__0__number=number, phones__0__description="Intake", documents="Passport")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="phones-0-number-error"' in page
    assert message in page
    assert number in page
    assert "Intake" in page
    assert "Passport" in page
    assert session.execute(select(Phone).where(Phone.service_id == world["service"].id)).first() is None


def test_a_number_listed_twice_is_refused_on_the_second_row(client, world):
    _log_in(client, "a@example.org")
    url = f"/manage/locations/{world['location'].id}"
    response = _save(client, url, phones__1__number="(214) 555 0100", phones__1__description="Again")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="phones-1-number-error"' in page
    assert "This number is already listed above." in page
    assert "Again" in page


def test_a_service_phone_is_shown_on_the_provider_page(client, session, world):
    _log_in(client, "a@example.org")
    url = f"/manage/services/{world['service'].id}"
    assert _save(client, url, phones__0__number="+1 214 555 0177", phones__0__type="text").status_code == 302
    assert 'href="sms:+12145550177"' in _page(client, world["service"].id)


def test_phones_of_a_confidential_location_wait_for_review_then_the_public_contact_is_shown(
    app, client, session, world
):
    location_id = world["shelter_location"].id
    _log_in(client, "s@example.org")
    url = f"/manage/locations/{location_id}"
    response = _save(client, url, phones__0__number="214-555-0198")
    assert response.status_code == 302
    assert session.execute(select(Phone.number).where(Phone.location_id == location_id)).scalar_one() == "214-555-0199"
    change = session.execute(select(ChangeRequest)).scalar_one()
    assert json.loads(change.changes) == {
        "phones": ["214-555-0199 | voice, public contact", "214-555-0198 | voice, public contact"]
    }
    assert "214-555-0199" in _page(client, world["shelter"].id)

    moderator = _log_in(app.test_client(), "admin@example.org")
    assert _post(moderator, f"/manage/review/{change.id}/approve").status_code == 302
    page = _page(client, world["shelter"].id)
    assert "214-555-0198" in page
    assert "214-555-0199" not in page
    assert "Hidden Lane" not in page


def test_phones_of_an_ordinary_location_publish_at_once(client, session, world):
    _log_in(client, "a@example.org")
    _save(client, f"/manage/locations/{world['location'].id}", phones__0__number="214-555-0101")
    assert session.execute(select(ChangeRequest)).first() is None


def test_two_conflicting_edits_of_new_fields_show_both_versions_and_overwrite_nothing(app, client, session, world):
    location_id = world["location"].id
    url = f"/manage/locations/{location_id}"
    _log_in(client, "a@example.org")
    other = _log_in(app.test_client(), "admin@example.org")
    mine, theirs = _edit_form(client, url), _edit_form(other, url)
    theirs["hours-mo"] = ["8:00-12:00"]
    assert other.post(url, data=theirs).status_code == 302
    mine["hours-mo"] = ["10:00-18:00"]
    mine["phones-1-number"] = ["214-555-0122"]
    response = client.post(url, data=mine)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "MO 08:00-12:00" in page
    assert "MO 10:00-18:00" in page
    assert 'value="10:00-18:00"' in page
    assert 'value="214-555-0122"' in page
    session.expire_all()
    assert session.execute(select(Schedule.opens_at).where(Schedule.location_id == location_id)).scalar_one() == "08:00"
    assert session.execute(select(Phone.number).where(Phone.location_id == location_id)).scalars().all() == [
        "214-555-0100"
    ]
