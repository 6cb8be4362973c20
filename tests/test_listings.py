"""Listings: NGO staff edit their listings; moderators review; history, conflicts and freshness."""

import json
import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from accounts.users import create_user
from listings.commands import queue_reminders
from models import ChangeRequest, Location, Metadata, Organization, OutboxMessage, Service
from models.base import today
from tests.factories import make_service

PASSWORD = "correct horse battery"


class _FormReader(HTMLParser):
    """Read the fields of the first form whose action matches, as a browser would submit them."""

    def __init__(self):
        super().__init__()
        self.data: list[tuple[str, str]] = []
        self._select = self._textarea = None
        self._in_form = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("method") == "post" and not self.data:
            self._in_form = "action" not in attrs
        if not self._in_form:
            return
        if tag == "input" and attrs.get("name"):
            if attrs.get("type") != "checkbox" or "checked" in attrs:
                self.data.append((attrs["name"], attrs.get("value", "y")))
        elif tag == "textarea":
            self._textarea = attrs["name"]
            self.data.append((self._textarea, ""))
        elif tag == "select":
            self._select = attrs["name"]
        elif tag == "option" and "selected" in attrs:
            self.data.append((self._select, attrs.get("value", "")))

    def handle_data(self, text):
        if self._textarea:
            self.data[-1] = (self._textarea, self.data[-1][1] + text)

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._in_form = False


def _edit_form(client, url: str) -> dict:
    """Open an edit page and return its form as a browser would send it (multi-values as lists)."""
    reader = _FormReader()
    reader.feed(client.get(url).get_data(as_text=True))
    found: dict = {}
    for name, value in reader.data:
        found.setdefault(name, []).append(value.lstrip("\n"))
    return found


def _csrf_token(client) -> str:
    html = client.get("/account/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def _post(client, url: str, data: dict | None = None):
    return client.post(url, data={"csrf_token": _csrf_token(client), **(data or {})})


def _log_in(client, email: str):
    response = _post(client, "/account/login", {"email": email, "password": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.fixture
def world(app, session):
    """Organization A (verified, with a located service) and B, their owners, a caseworker and an admin."""
    with app.app_context():
        a = make_service(session, name="Alpha Legal", needs=["asylum"], lat=32.80, lon=-96.80, capacity="waitlist")
        b = make_service(session, name="Beta Clinic", needs=["asylum"], lat=32.80, lon=-96.80)
    org_a = session.get(Organization, a.organization_id)
    org_a.verified = True
    session.commit()
    create_user(session, email="a@example.org", password=PASSWORD, role="ngo", organization_id=a.organization_id)
    create_user(session, email="b@example.org", password=PASSWORD, role="ngo", organization_id=b.organization_id)
    create_user(session, email="cw@example.org", password=PASSWORD, role="caseworker")
    create_user(session, email="admin@example.org", password=PASSWORD, role="admin")
    location = session.execute(select(Location).where(Location.organization_id == a.organization_id)).scalar_one()
    return {"service": a, "org": org_a, "location": location, "b_service": b}


def _fresh(session, model, record_id):
    session.expire_all()
    return session.get(model, record_id)


def test_a_verified_organization_publishes_an_edit_at_once_and_records_each_field(client, session, world):
    _log_in(client, "a@example.org")
    url = f"/manage/services/{world['service'].id}"
    form = _edit_form(client, url)
    form["description"] = ["Free asylum help."]
    form["languages"] = ["es, en"]
    response = client.post(url, data=form)
    assert response.status_code == 302
    service = _fresh(session, Service, world["service"].id)
    assert service.description == "Free asylum help."
    assert service.version == 2
    rows = session.execute(select(Metadata).where(Metadata.resource_id == service.id)).scalars().all()
    assert {(r.field_name, r.previous_value, r.replacement_value, r.updated_by) for r in rows} == {
        ("description", "", "Free asylum help.", "a@example.org"),
        ("languages", "", "en,es", "a@example.org"),
    }
    assert "Saved. Your changes are public now." in client.get(url).get_data(as_text=True)


def test_a_field_error_keeps_everything_typed(client, world):
    _log_in(client, "a@example.org")
    url = f"/manage/organizations/{world['org'].id}"
    form = _edit_form(client, url)
    form.update(name=[""], description=["Our new description"], website=["not a url"])
    response = client.post(url, data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 400, re.findall(r'class="error"[^<]*', page)
    assert "Enter the organization" in page
    assert "Start with https://" in page
    assert "Our new description" in page


def test_a_sensitive_edit_waits_for_review_then_approved_it_is_public(app, client, session, world):
    _log_in(client, "a@example.org")
    url = f"/manage/organizations/{world['org'].id}"
    form = _edit_form(client, url)
    form["name"] = ["Alpha Immigration Law"]
    client.post(url, data=form)
    assert _fresh(session, Organization, world["org"].id).name == "Alpha Legal"
    assert "Waiting for review" in client.get("/manage/").get_data(as_text=True)
    provider = f"/provider/{world['service'].id}"
    assert "Alpha Immigration Law" not in client.get(provider).get_data(as_text=True)

    moderator = _log_in(app.test_client(), "admin@example.org")
    queue = moderator.get("/manage/review").get_data(as_text=True)
    assert "<del>Alpha Legal</del>" in queue
    assert "<ins>Alpha Immigration Law</ins>" in queue
    change = session.execute(select(ChangeRequest)).scalar_one()
    assert _post(moderator, f"/manage/review/{change.id}/approve").status_code == 302
    assert _fresh(session, Organization, world["org"].id).name == "Alpha Immigration Law"
    row = session.execute(select(Metadata).where(Metadata.field_name == "name")).scalar_one()
    assert row.updated_by == "a@example.org (approved by admin@example.org)"
    assert "Alpha Immigration Law" in client.get(provider).get_data(as_text=True)


def test_every_edit_of_an_unverified_organization_waits_for_review(client, session, world):
    _log_in(client, "b@example.org")
    url = f"/manage/services/{world['b_service'].id}"
    form = _edit_form(client, url)
    form["description"] = ["New words"]
    client.post(url, data=form)
    assert _fresh(session, Service, world["b_service"].id).description is None
    change = session.execute(select(ChangeRequest)).scalar_one()
    assert json.loads(change.changes) == {"description": ["", "New words"]}


def test_a_rejected_change_shows_the_reason_to_the_submitter(app, client, session, world):
    _log_in(client, "a@example.org")
    url = f"/manage/services/{world['service'].id}"
    form = _edit_form(client, url)
    form["credentials"] = ["attorney"]
    client.post(url, data=form)
    change = session.execute(select(ChangeRequest)).scalar_one()
    moderator = _log_in(app.test_client(), "admin@example.org")
    assert _post(moderator, f"/manage/review/{change.id}/reject", {"reason": ""}).status_code == 400
    _post(moderator, f"/manage/review/{change.id}/reject", {"reason": "Send us your bar number."})
    page = client.get("/manage/").get_data(as_text=True)
    assert "Rejected" in page
    assert "Send us your bar number." in page
    assert _fresh(session, Service, world["service"].id).version == 1


def test_restoring_from_history_puts_the_earlier_value_back_and_is_recorded(client, session, world):
    _log_in(client, "a@example.org")
    url = f"/manage/organizations/{world['org'].id}"
    form = _edit_form(client, url)
    form["description"] = ["Oops, wrong text"]
    client.post(url, data=form)
    history = client.get(f"/manage/organizations/{world['org'].id}/history").get_data(as_text=True)
    assert "Oops, wrong text" in history
    entry = session.execute(select(Metadata).where(Metadata.field_name == "description")).scalar_one()
    assert _post(client, f"/manage/history/{entry.id}/restore").status_code == 302
    assert _fresh(session, Organization, world["org"].id).description == ""
    actions = session.execute(select(Metadata.last_action_type).where(Metadata.field_name == "description"))
    assert sorted(actions.scalars()) == ["restore", "update"]


def test_the_second_of_two_conflicting_edits_is_shown_both_versions_and_overwrites_nothing(app, client, session, world):
    _log_in(client, "a@example.org")
    other = _log_in(app.test_client(), "admin@example.org")
    url = f"/manage/organizations/{world['org'].id}"
    mine, theirs = _edit_form(client, url), _edit_form(other, url)
    theirs["description"] = ["Their text"]
    assert other.post(url, data=theirs).status_code == 302
    mine["description"] = ["My text"]
    response = client.post(url, data=mine)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else saved this listing" in page
    assert "Their text" in page
    assert "My text" in page
    assert _fresh(session, Organization, world["org"].id).description == "Their text"
    # Saving again, having seen both, is deliberate.
    assert client.post(url, data=_edit_form_from(page, mine)).status_code == 302
    assert _fresh(session, Organization, world["org"].id).description == "My text"


def _edit_form_from(page: str, typed: dict) -> dict:
    version = re.search(r'id="version" name="version" type="hidden" value="(\d+)"', page).group(1)
    return {**typed, "version": [version]}


def test_one_click_capacity_updates_search(client, session, world):
    search = "/api/v1/search?location=75201&need=asylum&accepting=y"
    names = [r["organization_name"] for r in client.get(search).get_json()["results"]]
    assert "Alpha Legal" not in names
    _log_in(client, "a@example.org")
    response = _post(client, f"/manage/services/{world['service'].id}/capacity", {"capacity": "accepting"})
    assert response.status_code == 302
    names = [r["organization_name"] for r in client.get(search).get_json()["results"]]
    assert "Alpha Legal" in names
    service = _fresh(session, Service, world["service"].id)
    assert (service.capacity, service.capacity_stated_on) == ("accepting", today())


def test_confirming_a_listing_sets_the_date_and_the_public_page_no_longer_says_out_of_date(client, session, world):
    provider = f"/provider/{world['service'].id}"
    assert "The organization has not confirmed this listing yet." in client.get(provider).get_data(as_text=True)
    _log_in(client, "a@example.org")
    assert _post(client, f"/manage/services/{world['service'].id}/confirm").status_code == 302
    assert _fresh(session, Service, world["service"].id).assured_date == today()
    page = client.get(provider).get_data(as_text=True)
    assert "has not confirmed" not in page
    assert "may be out of date" not in page
    assert f"Confirmed by the organization on {today():%b} {today().day}, {today().year}" in page


def test_stale_listings_are_listed_for_moderators_and_remind_queues_one_email_per_owner_per_day(
    app, runner, session, world
):
    fresh = _fresh(session, Service, world["b_service"].id)
    fresh.assured_date = today() - timedelta(days=10)
    session.commit()
    moderator = _log_in(app.test_client(), "admin@example.org")
    queue = moderator.get("/manage/review").get_data(as_text=True)
    assert "Alpha Legal: Alpha Legal service" in queue
    assert "Beta Clinic service" not in queue
    assert "1 reminder(s) queued." in runner.invoke(args=["listings", "remind"]).output
    assert "0 reminder(s) queued." in runner.invoke(args=["listings", "remind"]).output
    message = session.execute(select(OutboxMessage)).scalar_one()
    assert message.to_address == "a@example.org"
    assert "Alpha Legal service" in message.body
    assert "/manage/" in message.body
    with app.app_context():
        from models.db import get_session

        assert queue_reminders(get_session(), manage_url="x") == 0


def test_a_post_without_a_csrf_token_is_refused(client, world):
    _log_in(client, "a@example.org")
    response = client.post(f"/manage/services/{world['service'].id}/capacity", data={"capacity": "accepting"})
    assert response.status_code == 400
    url = f"/manage/organizations/{world['org'].id}"
    form = _edit_form(client, url)
    del form["csrf_token"]
    assert client.post(url, data=form).status_code == 400


# The role × route matrix over every route of the app is tests/test_access_matrix.py.
