"""Caseworker workspace: who gets in, search, saved lists, referrals, the dashboard, erase, close and purge."""

import re
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from accounts.users import create_user
from models import (
    Organization,
    OutboxMessage,
    Referral,
    ReferralEvent,
    ReferralItem,
    SavedList,
    SavedListItem,
)
from models.base import utcnow
from referrals.workflow import ReferralError, check_note
from tests.factories import make_service

PASSWORD = "correct horse battery"


def _csrf_token(client) -> str:
    html = client.get("/account/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def _log_in(client, email: str):
    response = client.post(
        "/account/login", data={"csrf_token": _csrf_token(client), "email": email, "password": PASSWORD}
    )
    assert response.status_code == 302
    return client


def _post(client, url: str, data: dict | None = None):
    return client.post(url, data={"csrf_token": _csrf_token(client), **(data or {})})


@pytest.fixture
def world(app, session):
    """Two providers with staff, agencies A and B with caseworkers, a caseworker without agency, an admin."""
    with app.app_context():
        alpha = make_service(session, name="Alpha Legal", needs=["asylum"], lat=32.79, lon=-96.80, languages=["es"])
        beta = make_service(session, name="Beta Clinic", needs=["counseling"], lat=32.78, lon=-96.79)
    agency_a = Organization(name="Agency A")
    agency_b = Organization(name="Agency B")
    session.add_all([agency_a, agency_b])
    session.commit()
    create_user(session, email="ngo@example.org", password=PASSWORD, role="ngo", organization_id=alpha.organization_id)
    create_user(session, email="beta@example.org", password=PASSWORD, role="ngo", organization_id=beta.organization_id)
    create_user(session, email="cwa@example.org", password=PASSWORD, role="caseworker", organization_id=agency_a.id)
    create_user(session, email="cwa2@example.org", password=PASSWORD, role="caseworker", organization_id=agency_a.id)
    create_user(session, email="cwb@example.org", password=PASSWORD, role="caseworker", organization_id=agency_b.id)
    create_user(session, email="lone@example.org", password=PASSWORD, role="caseworker")
    create_user(session, email="admin@example.org", password=PASSWORD, role="admin")
    session.commit()
    return {"alpha": alpha, "beta": beta, "agency_a": agency_a, "agency_b": agency_b}


def _referral_data(world, **changes) -> dict:
    data = {
        "services": [world["alpha"].id],
        "needs": ["asylum"],
        "language": "es",
        "contact_preference": "client-calls",
        "alias": "",
        "phone": "",
        "email": "",
        "note": "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def _refer(client, world, **changes):
    return _post(client, "/work/referrals/new", _referral_data(world, **changes))


def _count(session, model) -> int:
    session.expire_all()
    return session.execute(select(func.count()).select_from(model)).scalar_one()


# Who gets in


WORK_PAGES = ["/work/", "/work/lists", "/work/dashboard", "/work/referrals/new", "/work/reports", "/work/reports.csv"]


@pytest.mark.parametrize("url", WORK_PAGES)
def test_anonymous_people_are_sent_to_the_login_page(client, world, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


@pytest.mark.parametrize("email", ["ngo@example.org", "admin@example.org"])
@pytest.mark.parametrize("url", WORK_PAGES)
def test_only_caseworkers_get_in(client, world, email, url):
    _log_in(client, email)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", WORK_PAGES)
def test_a_caseworker_of_an_agency_gets_in(client, world, url):
    _log_in(client, "cwa@example.org")
    assert client.get(url).status_code == 200


def test_a_caseworker_without_an_agency_gets_a_clear_page(client, world):
    _log_in(client, "lone@example.org")
    response = client.get("/work/")
    assert response.status_code == 403
    assert "not part of an agency yet" in response.get_data(as_text=True)


def test_caseworker_pages_are_not_indexed(client, world):
    _log_in(client, "cwa@example.org")
    assert '<meta name="robots" content="noindex, nofollow">' in client.get("/work/").get_data(as_text=True)


# Search and saved lists


def test_the_workspace_searches_like_a_seeker_in_a_dense_table(client, world):
    _log_in(client, "cwa@example.org")
    page = client.get("/work/?location=75201&need=immigration-legal&language=es")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<table class="work-table">' in html
    assert "Alpha Legal" in html
    assert "Beta Clinic" not in html
    assert f"/work/referrals/new?service={world['alpha'].id}" in html
    assert "Save to list" in html


def test_a_search_without_a_place_answers_400_with_the_message(client, world):
    _log_in(client, "cwa@example.org")
    page = client.get("/work/?location=&need=asylum")
    assert page.status_code == 400
    assert "Tell us a ZIP code, a city or an address." in page.get_data(as_text=True)


def test_saving_to_a_new_list_then_referring_from_it(client, session, world):
    _log_in(client, "cwa@example.org")
    back = "/work/?location=75201&need=asylum"
    response = _post(client, "/work/lists/add", {"service_id": world["alpha"].id, "list_id": "", "next": back})
    assert response.status_code == 302
    assert response.headers["Location"] == back
    saved = session.execute(select(SavedList)).scalar_one()
    _post(client, "/work/lists/add", {"service_id": world["beta"].id, "list_id": saved.id, "next": back})
    assert _count(session, SavedListItem) == 2
    page = client.get(f"/work/lists/{saved.id}").get_data(as_text=True)
    assert "Alpha Legal" in page
    assert "Beta Clinic" in page
    assert 'action="/work/referrals/new"' in page
    form = client.get(f"/work/referrals/new?service={world['alpha'].id}&service={world['beta'].id}")
    assert form.status_code == 200
    assert form.get_data(as_text=True).count('name="services"') == 2


def test_lists_can_be_made_renamed_emptied_and_deleted(client, session, world):
    _log_in(client, "cwa@example.org")
    response = _post(client, "/work/lists", {"name": "  Asylum,   Dallas "})
    saved = session.execute(select(SavedList)).scalar_one()
    assert response.headers["Location"] == f"/work/lists/{saved.id}"
    assert saved.name == "Asylum, Dallas"
    assert _post(client, f"/work/lists/{saved.id}/rename", {"name": "Counseling"}).status_code == 302
    _post(client, "/work/lists/add", {"service_id": world["beta"].id, "list_id": saved.id})
    assert _post(client, f"/work/lists/{saved.id}/remove", {"service_id": world["beta"].id}).status_code == 302
    assert _count(session, SavedListItem) == 0
    assert _post(client, f"/work/lists/{saved.id}/delete").status_code == 302
    assert _count(session, SavedList) == 0


def test_a_list_needs_a_name(client, session, world):
    _log_in(client, "cwa@example.org")
    response = _post(client, "/work/lists", {"name": "   "})
    assert response.status_code == 400
    assert "Give the list a name." in response.get_data(as_text=True)
    assert _count(session, SavedList) == 0


def test_a_list_is_seen_only_by_the_caseworker_who_made_it(client, session, world):
    _log_in(client, "cwa@example.org")
    _post(client, "/work/lists", {"name": "Mine"})
    saved = session.execute(select(SavedList)).scalar_one()
    client.post("/account/logout", data={"csrf_token": _csrf_token(client)})
    _log_in(client, "cwa2@example.org")  # same agency, still not theirs
    assert client.get(f"/work/lists/{saved.id}").status_code == 404
    assert "Mine" not in client.get("/work/lists").get_data(as_text=True)
    assert _post(client, f"/work/lists/{saved.id}/delete").status_code == 404
    added = _post(client, "/work/lists/add", {"service_id": world["alpha"].id, "list_id": saved.id})
    assert added.status_code == 404
    assert _count(session, SavedListItem) == 0


# Referrals


def test_a_referral_is_saved_with_one_item_per_service_and_emails_the_providers(client, session, world):
    _log_in(client, "cwa@example.org")
    response = _refer(client, world, services=[world["alpha"].id, world["beta"].id], needs=["asylum", "counseling"])
    assert response.status_code == 302
    referral = session.execute(select(Referral)).scalar_one()
    assert response.headers["Location"] == f"/work/referrals/{referral.id}"
    assert referral.agency_id == world["agency_a"].id
    assert referral.needs == "asylum,counseling"
    assert len(referral.code) == 8
    items = session.execute(select(ReferralItem)).scalars().all()
    assert {(item.service_id, item.provider_id, item.status) for item in items} == {
        (world["alpha"].id, world["alpha"].organization_id, "sent"),
        (world["beta"].id, world["beta"].organization_id, "sent"),
    }
    assert [event.status for event in session.execute(select(ReferralEvent)).scalars()] == ["sent", "sent"]
    mails = session.execute(select(OutboxMessage)).scalars().all()
    assert sorted(mail.to_address for mail in mails) == ["beta@example.org", "ngo@example.org"]
    for mail in mails:
        assert "/manage/referrals/" in mail.body
        assert referral.code not in mail.body
        assert "asylum" not in mail.body.lower()


def test_the_referral_form_says_what_never_to_write(client, world):
    _log_in(client, "cwa@example.org")
    page = client.get(f"/work/referrals/new?service={world['alpha'].id}").get_data(as_text=True)
    assert "Never write immigration status, date of birth or ID numbers" in page
    assert "Don&#39;t contact me: I will call them" in page or "Don't contact me: I will call them" in page


def test_the_referral_form_works_in_spanish(client, world):
    _log_in(client, "cwa@example.org")
    page = client.get(f"/work/referrals/new?service={world['alpha'].id}&lang=es").get_data(as_text=True)
    assert "Referir a una persona" in page
    assert "Nunca escriba la situación migratoria" in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"contact_preference": "phone", "phone": "214-555-0199"}, "agrees to be contacted"),
        ({"phone": "214-555-0199", "consent": "y"}, "Only give a phone number when the client wants a call"),
        ({"contact_preference": "email", "email": "x@example.org"}, "agrees to be contacted"),
        ({"contact_preference": "phone"}, "Give the phone number the provider may use"),
        ({"note": "Her A-number is A 123-456-789."}, "A-number"),
        ({"note": "SSN 123-45-6789"}, "Social Security"),
        ({"note": "DOB 03/14/1988"}, "date of birth"),
        ({"note": "x" * 501}, "under 500 characters"),
        ({"services": []}, "Choose at least one service."),
        ({"services": ["no-such-service"]}, "no longer listed"),
        ({"needs": []}, "Choose at least one need."),
    ],
)
def test_bad_referrals_answer_400_save_nothing_and_keep_what_was_typed(client, session, world, changes, message):
    _log_in(client, "cwa@example.org")
    typed = {"alias": "Lupita", "note": changes.get("note", "Prefers mornings.")}
    response = _refer(client, world, **{**typed, **changes})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html
    assert "Lupita" in html
    if "phone" in changes:
        assert changes["phone"] in html
    assert _count(session, Referral) == 0
    assert _count(session, ReferralItem) == 0
    assert _count(session, OutboxMessage) == 0


def test_a_referral_needs_the_csrf_token(client, session, world):
    _log_in(client, "cwa@example.org")
    response = client.post("/work/referrals/new", data=_referral_data(world))
    assert response.status_code == 400
    assert _count(session, Referral) == 0


@pytest.mark.parametrize(
    "note",
    ["Court date 12/01/2099, needs a ride.", "Has a birth certificate.", "Call after 5 pm.", "Room 123456"],
)
def test_ordinary_notes_pass_the_id_check(note):
    check_note(note)


@pytest.mark.parametrize(
    "note",
    ["A12345678", "a#123456789", "born on 4/5/90", "fecha de nacimiento 1990-04-05", "123456789", "d.o.b. 1990"],
)
def test_notes_with_id_numbers_or_birth_dates_are_refused(note):
    with pytest.raises(ReferralError):
        check_note(note)


# Only services in the public directory can be referred to (issue #12)


@pytest.mark.parametrize(("organization_status", "service_status"), [("pending", "active"), ("rejected", "active"),
                                                                     ("published", "inactive")])  # fmt: skip
def test_a_service_not_in_the_public_directory_cannot_be_referred_to(
    app, client, session, world, organization_status, service_status
):
    with app.app_context():
        hidden = make_service(session, name="Not Approved Yet", needs=["asylum"], lat=32.79, lon=-96.80)
    hidden.status = service_status
    session.get(Organization, hidden.organization_id).status = organization_status
    session.commit()
    _log_in(client, "cwa@example.org")
    form = client.get(f"/work/referrals/new?service={hidden.id}").get_data(as_text=True)
    assert "Not Approved Yet" not in form
    response = _refer(client, world, services=[hidden.id], alias="Lupita", note="Prefers mornings.")
    assert response.status_code == 400
    assert "no longer listed" in response.get_data(as_text=True)
    assert _count(session, Referral) == 0
    assert _count(session, ReferralItem) == 0


# What got around the guard (issue #12): separators, words, the name field, immigration status


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"alias": "Jose A987654321"}, "alias", "Write only a first name or an alias"),
        ({"note": "A-number 087-654-321"}, "note", "A-number"),
        ({"note": "alien no. 123 456 789"}, "note", "A-number"),
        ({"note": "SSN 123\u201345\u20136789"}, "note", "Social Security"),
        ({"note": "SSN 123 - 45 - 6789"}, "note", "Social Security"),
        ({"note": "undocumented since 2015"}, "note", "immigration status"),
        ({"note": "Está sin papeles desde 2015"}, "note", "immigration status"),
        ({"alias": "Maria, indocumentada"}, "alias", "immigration status"),
    ],
)
def test_ids_and_immigration_status_are_refused_in_every_client_field(client, session, world, changes, field, message):
    _log_in(client, "cwa@example.org")
    response = _refer(client, world, **changes)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _count(session, Referral) == 0


# Dashes, spaces and dots of every kind that people, phones and word processors put inside numbers.
VISIBLE_SEPARATORS = ["-", " ", ".", " - ", "\u2013", "\u2014", "\u2012", "\u2212", "\u2010", "\u00a0", "\u2009",
                      "\u202f", "\u3000", "\ufe63", "\uff0d"]  # fmt: skip
NO_SEPARATOR = ["", "\u200b", "\u2060"]  # nothing, or nothing visible
SEPARATORS = st.sampled_from(VISIBLE_SEPARATORS + NO_SEPARATOR)


def _digits(count: int):
    return st.text(alphabet="0123456789", min_size=count, max_size=count)


@st.composite
def ssns(draw):
    # Both groups separated or neither: "12345-6789" is a ZIP+4 code, not an SSN.
    first = draw(SEPARATORS)
    second = draw(st.sampled_from(NO_SEPARATOR if first in NO_SEPARATOR else VISIBLE_SEPARATORS))
    return f"{draw(_digits(3))}{first}{draw(_digits(2))}{second}{draw(_digits(4))}"


@st.composite
def a_numbers(draw):
    prefix = draw(st.sampled_from(["A", "a", "A#", "A-", "A ", "A-number ", "A number: ", "alien no. ", "Alien #"]))
    digits = draw(_digits(draw(st.sampled_from([8, 9]))))
    separator = draw(SEPARATORS)
    groups = [digits[:3], digits[3:6], digits[6:]] if draw(st.booleans()) else [digits]
    return prefix + separator.join(groups)


@st.composite
def birth_dates(draw):
    year = draw(st.integers(min_value=1930, max_value=2015))
    month, day = draw(st.integers(1, 12)), draw(st.integers(1, 28))
    separator = draw(st.sampled_from(["/", "-", ".", "\u2013", "\u2212", "\uff0d"]))
    shape = draw(st.sampled_from(["us", "iso", "words"]))
    if shape == "iso":
        return f"{year}{separator}{month:02d}{separator}{day:02d}"
    if shape == "words":
        return draw(st.sampled_from(["DOB", "D.O.B.", "date of birth", "fecha de nacimiento", "born on"])) + f" {year}"
    return f"{month}{separator}{day}{separator}{year}"


@settings(max_examples=300, deadline=None)
@given(
    secret=st.one_of(ssns(), a_numbers(), birth_dates()),
    before=st.sampled_from(["", "Client ", "ver: ", "(", "\u00a0"]),
    after=st.sampled_from(["", ".", " thanks", ")", "\n"]),
)
def test_every_spelling_of_an_id_number_or_a_birth_date_is_refused(secret, before, after):
    with pytest.raises(ReferralError):
        check_note(before + secret + after)


def _make_referral(client, session, world, email="cwa@example.org", **changes) -> Referral:
    _log_in(client, email)
    assert _refer(client, world, **changes).status_code == 302
    session.expire_all()
    found = session.execute(select(Referral).order_by(Referral.created_at.desc())).scalars().first()
    client.post("/account/logout", data={"csrf_token": _csrf_token(client)})
    return found


def test_agency_b_never_sees_agency_a_referrals(client, session, world):
    referral = _make_referral(client, session, world, alias="Quetzal")
    _log_in(client, "cwb@example.org")
    assert client.get(f"/work/referrals/{referral.id}").status_code == 404
    assert _post(client, f"/work/referrals/{referral.id}/close").status_code == 404
    assert _post(client, f"/work/referrals/{referral.id}/erase", {"confirm": "y"}).status_code == 404
    dashboard = client.get("/work/dashboard").get_data(as_text=True)
    assert "Quetzal" not in dashboard
    assert referral.code[:4] not in dashboard
    session.expire_all()
    assert session.get(Referral, referral.id).client_alias_enc is not None


def test_colleagues_of_the_same_agency_share_referrals(client, session, world):
    referral = _make_referral(client, session, world, alias="Quetzal")
    _log_in(client, "cwa2@example.org")
    page = client.get(f"/work/referrals/{referral.id}")
    assert page.status_code == 200
    assert "Quetzal" in page.get_data(as_text=True)


def test_the_referral_page_shows_status_history_and_the_slip(client, session, world):
    referral = _make_referral(client, session, world, contact_preference="text", phone="214 555 0111", consent="y")
    _log_in(client, "cwa@example.org")
    html = client.get(f"/work/referrals/{referral.id}").get_data(as_text=True)
    assert "214 555 0111" in html
    assert f"{referral.code[:4]}-{referral.code[4:]}" in html
    assert "Sent" in html
    assert f"/work/referrals/{referral.id}/slip" in html


def test_closing_a_referral_sets_the_date(client, session, world):
    referral = _make_referral(client, session, world)
    _log_in(client, "cwa@example.org")
    assert _post(client, f"/work/referrals/{referral.id}/close").status_code == 302
    session.expire_all()
    assert session.get(Referral, referral.id).closed_at is not None


def test_erasing_needs_the_confirmation_box(client, session, world):
    referral = _make_referral(client, session, world, alias="Quetzal")
    _log_in(client, "cwa@example.org")
    response = _post(client, f"/work/referrals/{referral.id}/erase")
    assert response.status_code == 400
    assert "Check the box to confirm" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Referral, referral.id).client_alias_enc is not None


# Dashboard


def test_the_dashboard_lists_newest_first_and_marks_referrals_without_update_for_a_week(client, session, world):
    old = _make_referral(client, session, world, alias="Oldie")
    new = _make_referral(client, session, world, alias="Newbie")
    eight_days_ago = utcnow() - timedelta(days=8)
    old_row = session.get(Referral, old.id)
    old_row.created_at = eight_days_ago
    for item in session.execute(select(ReferralItem).where(ReferralItem.referral_id == old.id)).scalars():
        item.status_at = eight_days_ago
    session.commit()
    _log_in(client, "cwa@example.org")
    html = client.get("/work/dashboard").get_data(as_text=True)
    assert html.index("Newbie") < html.index("Oldie")
    assert "No update for 8 days" in html
    rows = re.findall(r'<tr class="([^"]*)">', html)
    assert rows == ["", "stale"]
    assert "1 waiting for an update" in html
    assert new.id in html


def test_a_closed_referral_is_never_marked_as_waiting(client, session, world):
    referral = _make_referral(client, session, world)
    row = session.get(Referral, referral.id)
    row.created_at = utcnow() - timedelta(days=30)
    row.closed_at = utcnow() - timedelta(days=20)
    for item in session.execute(select(ReferralItem)).scalars():
        item.status_at = utcnow() - timedelta(days=30)
    session.commit()
    _log_in(client, "cwa@example.org")
    assert "No update for" not in client.get("/work/dashboard").get_data(as_text=True)


# Reports


def test_the_agency_report_counts_and_downloads_without_client_fields(client, session, world):
    _make_referral(client, session, world, alias="Quetzal", note="Zorbanote")
    _log_in(client, "cwa@example.org")
    html = client.get("/work/reports").get_data(as_text=True)
    assert "Quetzal" not in html
    assert "Zorbanote" not in html
    download = client.get("/work/reports.csv")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment")
    body = download.get_data(as_text=True)
    assert "Quetzal" not in body
    assert "Zorbanote" not in body


def test_the_workspace_dials_the_call_line_and_texts_the_text_line(client, world, session):
    """A text line listed first is never dialled as a call (the seeker's call/text rule, in the workspace too)."""
    make_service(
        session, name="Gamma Hotline", needs=["asylum"], lat=32.79, lon=-96.80, phone=None,
        service_phones=[("88788", "text"), ("1-800-555-0199", "voice")],
    )
    session.commit()
    _log_in(client, "cwa@example.org")
    html = client.get("/work/?location=75201&need=asylum").get_data(as_text=True)
    row = html[html.index("Gamma Hotline"):]
    row = row[: row.index("</tr>")]
    assert 'href="tel:18005550199"' in row
    assert 'href="sms:88788"' in row
    assert "tel:88788" not in row


@pytest.mark.parametrize("note", ["A100 - 000 - 00", "a100.000.00", "Client A 123 . 456 . 78."])
def test_an_eight_digit_a_number_grouped_with_wide_separators_is_refused(note):
    """Found by the property test above: 3-3-2 groups with " - " or "." slipped past the A-number rule."""
    with pytest.raises(ReferralError):
        check_note(note)
