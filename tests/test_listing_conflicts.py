"""Two people editing one listing, and changes that wait for review: merged field by field, never lost,
withdrawn or superseded (issue 13 finding 3, issue 12 finding 3)."""

import json

import pytest
from sqlalchemy import select

from accounts.users import create_user
from models import ChangeRequest, Location, Metadata, Organization, Service
from tests.factories import make_service
from tests.test_listings import PASSWORD, _edit_form, _FormReader, _fresh, _log_in, _post


@pytest.fixture
def world(app, session):
    """A verified clinic and a verified shelter at a confidential location, their owners, and an admin."""
    with app.app_context():
        clinic = make_service(session, name="Alpha Legal", needs=["asylum"], lat=32.80, lon=-96.80)
        shelter = make_service(session, name="Safe House", needs=["domestic-violence"], lat=32.81, lon=-96.80,
                               confidential=True, street="42 Hidden Lane")  # fmt: skip
    for service in (clinic, shelter):
        session.get(Organization, service.organization_id).verified = True
    session.commit()
    create_user(session, email="a@example.org", password=PASSWORD, role="ngo", organization_id=clinic.organization_id)
    create_user(session, email="s@example.org", password=PASSWORD, role="ngo", organization_id=shelter.organization_id)
    create_user(session, email="admin@example.org", password=PASSWORD, role="admin")
    shelter_location = session.execute(
        select(Location).where(Location.organization_id == shelter.organization_id)
    ).scalar_one()
    return {"service": clinic, "shelter_location": shelter_location}


def _history_entry(session, location_id: str, *, previous: str, replacement: str) -> Metadata:
    """Record that a location's "confidential" field once went from ``previous`` to ``replacement``."""
    entry = Metadata(resource_id=location_id, resource_type="location", last_action_type="update",
                     field_name="confidential", previous_value=previous, replacement_value=replacement,
                     updated_by="x")  # fmt: skip
    session.add(entry)
    session.commit()
    return entry


def _two_editors(app, client, email: str, other_email: str, url: str):
    _log_in(client, email)
    other = _log_in(app.test_client(), other_email)
    return _edit_form(client, url), _edit_form(other, url), other


def test_two_people_changing_different_fields_both_keep_their_change(app, client, session, world):
    service_id = world["service"].id
    url = f"/manage/services/{service_id}"
    mine, theirs, other = _two_editors(app, client, "a@example.org", "admin@example.org", url)
    theirs["description"] = ["Walk-in clinic on Mondays."]
    assert other.post(url, data=theirs).status_code == 302
    # The second form still holds the old, empty description: saving it must not wipe the first save.
    mine["hours_notes"] = ["Closed on public holidays."]
    response = client.post(url, data=mine)
    assert response.status_code == 302
    service = _fresh(session, Service, service_id)
    assert service.description == "Walk-in clinic on Mondays."
    page = client.get(url).get_data(as_text=True)
    assert "Their changes are kept along with yours." in page
    assert "Closed on public holidays." in page
    fields = session.execute(select(Metadata.field_name).where(Metadata.resource_id == service_id)).scalars()
    assert sorted(fields) == ["description", "hours_notes"]


def test_a_field_both_changed_shows_both_values_and_who_saved_theirs_and_writes_nothing(app, client, session, world):
    service_id = world["service"].id
    url = f"/manage/services/{service_id}"
    mine, theirs, other = _two_editors(app, client, "a@example.org", "admin@example.org", url)
    theirs["description"] = ["Walk-in clinic on Mondays."]
    theirs["eligibility_description"] = ["Adults in Dallas County."]
    assert other.post(url, data=theirs).status_code == 302
    mine["description"] = ["Appointments only, call first."]
    mine["fees_description"] = ["Free."]
    response = client.post(url, data=mine)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Walk-in clinic on Mondays." in page
    assert "Appointments only, call first." in page
    assert "Saved by admin@example.org on" in page
    service = _fresh(session, Service, service_id)
    assert (service.description, service.fees_description) == ("Walk-in clinic on Mondays.", None)

    # The form came back with their eligibility text and my fees and description: saving it loses nothing.
    again = _form_from(page)
    assert again["eligibility_description"] == ["Adults in Dallas County."]
    assert again["fees_description"] == ["Free."]
    assert client.post(url, data=again).status_code == 302
    service = _fresh(session, Service, service_id)
    assert service.description == "Appointments only, call first."
    assert service.eligibility_description == "Adults in Dallas County."
    assert service.fees_description == "Free."


def _form_from(page: str) -> dict:
    """Return the edit form of a page as a browser would send it."""
    reader = _FormReader()
    reader.feed(page)
    found: dict = {}
    for name, value in reader.data:
        found.setdefault(name, []).append(value.lstrip("\r\n"))
    return found


def test_a_form_that_does_not_say_what_it_was_opened_on_is_refused_when_stale(app, client, session, world):
    url = f"/manage/services/{world['service'].id}"
    mine, theirs, other = _two_editors(app, client, "a@example.org", "admin@example.org", url)
    theirs["description"] = ["Their text"]
    assert other.post(url, data=theirs).status_code == 302
    mine["fees_description"] = ["Mine"]
    mine["opened"] = ["not json"]
    assert client.post(url, data=mine).status_code == 409
    assert _fresh(session, Service, world["service"].id).fees_description is None


def _make_public_request(client, session, location_id: str) -> ChangeRequest:
    url = f"/manage/locations/{location_id}"
    form = _edit_form(client, url)
    form.pop("confidential")
    assert client.post(url, data=form).status_code == 302
    return session.execute(select(ChangeRequest).where(ChangeRequest.status == "pending")).scalar_one()


def test_a_request_to_make_a_confidential_location_public_can_be_withdrawn(client, session, world):
    location_id = world["shelter_location"].id
    _log_in(client, "s@example.org")
    change = _make_public_request(client, session, location_id)
    page = client.get(f"/manage/locations/{location_id}").get_data(as_text=True)
    assert "Waiting for review" in page
    assert "Withdraw this change" in page
    response = _post(client, f"/manage/changes/{change.id}/withdraw", {"back": "edit"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/manage/locations/{location_id}"
    assert _fresh(session, ChangeRequest, change.id).status == "withdrawn"
    # The moderator can no longer publish the shelter's address.
    _log_in(client, "admin@example.org")
    assert "42 Hidden Lane" not in client.get("/manage/review").get_data(as_text=True)
    _post(client, f"/manage/review/{change.id}/approve")
    assert _fresh(session, Location, location_id).confidential is True


def test_someone_of_another_organization_cannot_withdraw_a_change(app, client, session, world):
    _log_in(client, "s@example.org")
    change = _make_public_request(client, session, world["shelter_location"].id)
    stranger = _log_in(app.test_client(), "a@example.org")
    assert _post(stranger, f"/manage/changes/{change.id}/withdraw").status_code == 404
    assert _fresh(session, ChangeRequest, change.id).status == "pending"


def test_a_new_edit_of_a_field_supersedes_the_change_to_it_waiting_for_review(client, session, world):
    location_id = world["shelter_location"].id
    url = f"/manage/locations/{location_id}"
    _log_in(client, "s@example.org")
    form = _edit_form(client, url)
    form["address_1"] = ["1 First Street"]
    assert client.post(url, data=form).status_code == 302
    first = session.execute(select(ChangeRequest).where(ChangeRequest.status == "pending")).scalar_one()
    form = _edit_form(client, url)
    form["address_1"] = ["2 Second Street"]
    assert client.post(url, data=form).status_code == 302
    session.expire_all()
    waiting = session.execute(select(ChangeRequest).where(ChangeRequest.status == "pending")).scalars().all()
    addresses = [json.loads(change.changes).get("address_1", [None, None])[1] for change in waiting]
    assert "1 First Street" not in addresses
    assert "2 Second Street" in addresses
    assert _fresh(session, ChangeRequest, first.id).status == "superseded"


def test_a_restore_that_only_confirms_the_current_value_creates_nothing_and_withdraws_the_pending_one(
    client, session, world
):
    location_id = world["shelter_location"].id
    _log_in(client, "s@example.org")
    entry = _history_entry(session, location_id, previous="yes", replacement="no")
    change = _make_public_request(client, session, location_id)
    response = _post(client, f"/manage/history/{entry.id}/restore")
    assert response.status_code == 302
    session.expire_all()
    assert session.get(ChangeRequest, change.id).status == "superseded"
    assert session.execute(select(ChangeRequest).where(ChangeRequest.status == "pending")).first() is None
    assert session.execute(select(Metadata).where(Metadata.id != entry.id)).first() is None


def test_restoring_a_value_twice_leaves_one_change_waiting_for_review(client, session, world):
    location_id = world["shelter_location"].id
    _log_in(client, "s@example.org")
    entry = _history_entry(session, location_id, previous="no", replacement="yes")
    _post(client, f"/manage/history/{entry.id}/restore")
    _post(client, f"/manage/history/{entry.id}/restore")
    waiting = session.execute(select(ChangeRequest).where(ChangeRequest.status == "pending")).scalars().all()
    assert len(waiting) == 1


def test_review_cards_and_history_say_what_changed_in_words(client, session, world):
    service_id = world["service"].id
    _log_in(client, "a@example.org")
    url = f"/manage/services/{service_id}"
    form = _edit_form(client, url)
    form["credentials"] = ["doj-recognized", "eoir-pro-bono"]
    assert client.post(url, data=form).status_code == 302
    location_id = session.execute(
        select(Location.id).where(Location.organization_id == world["service"].organization_id)
    ).scalar_one()
    url = f"/manage/locations/{location_id}"
    form = _edit_form(client, url)
    form["hours-mo"] = ["9:00-17:00"]
    assert client.post(url, data=form).status_code == 302

    organization_id = world["service"].organization_id
    history = client.get(f"/manage/organizations/{organization_id}/history").get_data(as_text=True)
    assert "Opening hours" in history
    assert "Hours of this service" not in history
    assert "Location: " in history

    _log_in(client, "admin@example.org")
    review = client.get("/manage/review").get_data(as_text=True)
    assert "Service:</strong> Alpha Legal" in review
    assert "DOJ-recognized organization, On the immigration court" in review
    assert "doj-recognized,eoir-pro-bono" not in review


def test_the_dashboard_links_each_location_and_edit_pages_link_the_public_page(client, session, world):
    _log_in(client, "a@example.org")
    location_id = session.execute(
        select(Location.id).where(Location.organization_id == world["service"].organization_id)
    ).scalar_one()
    dashboard = client.get("/manage/").get_data(as_text=True)
    assert f"/manage/locations/{location_id}" in dashboard
    for url in (f"/manage/locations/{location_id}", f"/manage/services/{world['service'].id}"):
        assert f"/provider/{world['service'].id}" in client.get(url).get_data(as_text=True)
