"""Claim → approve → edit → publish, in a real browser: an NGO person signs up, claims a listed
organization, a moderator (in a second browser context) approves, and the NGO person's edit is public.

This module serves its own live app (with a moderator account); the browser and guard are shared.
Screenshots go to $AMPARO_SCREENSHOTS when it is set, for people to look at.
"""

import os
import re
from datetime import date
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlalchemy import select
from sqlmodel import Session

from accounts.users import create_user
from listings.commands import queue_reminders
from models import OutboxMessage
from tests.browser.support import NEUTRAL_URL, PASSWORD, LiveServer, axe_report, log_in, serve
from tests.conftest import _Database, _make_app
from tests.factories import make_service

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
NGO_EMAIL = "ana@esperanza.example.org"
NEW_ORG_EMAIL = "luis@casanueva.example.org"
NEW_DESCRIPTION = "Free asylum consultations every Wednesday, in Spanish and English."
REMINDER = "Are your Amparo listings still correct?"
SHOTS = Path(os.environ["AMPARO_SCREENSHOTS"]) if os.environ.get("AMPARO_SCREENSHOTS") else None


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """A live app with one listed clinic nobody manages yet, and a moderator."""
    database = _Database(tmp_path_factory.mktemp("claim-db"))
    try:
        with Session(database.engine, expire_on_commit=False) as session:
            clinic = make_service(
                session, name="Clínica Legal Esperanza", needs=["asylum"], lat=32.79, lon=-96.80,
                languages=["es", "en"], cost="free",
            )  # fmt: skip
            create_user(session, email="moderator@example.org", password=PASSWORD, role="admin")
            create_user(session, email=NEW_ORG_EMAIL, password=PASSWORD, role="ngo")
        app = _make_app(database, QUICK_EXIT_URL=NEUTRAL_URL)
        with serve(app) as url:
            found = LiveServer(url=url, services={"clinic": clinic.id})
            found.app, found.engine = app, database.engine
            yield found
    finally:
        database.drop()


def _shot(page, name: str) -> None:
    if SHOTS:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"claim-{name}.png"), full_page=True)


def test_an_ngo_person_signs_up_claims_a_listing_is_approved_and_publishes_an_edit(guard, live_server):
    axe = Axe()
    ngo = guard.page(viewport=PHONE)

    # Sign up, then log in with the password just chosen.
    ngo.goto(live_server("/account/login"))
    ngo.get_by_role("link", name="Create an account").click()
    ngo.fill("#email", NGO_EMAIL)
    ngo.fill("#password", PASSWORD)
    ngo.fill("#confirm", PASSWORD)
    assert axe_report(ngo, axe) is None, "register"
    ngo.get_by_role("button", name="Create the account").click()
    expect(ngo.locator("h1")).to_have_text("Check your email")
    log_in(ngo, live_server.url, NGO_EMAIL)

    # No organization yet: the dashboard offers both paths; claim the listed clinic.
    ngo.goto(live_server("/manage/"))
    expect(ngo.get_by_role("link", name="Add a new organization")).to_be_visible()
    _shot(ngo, "dashboard-empty")
    assert axe_report(ngo, axe) is None, "dashboard without organization"
    ngo.get_by_role("link", name="Claim your organization's listing").click()
    ngo.fill("#q", "esperanza")
    ngo.get_by_role("button", name="Search").click()
    expect(ngo.locator("li.card", has_text="Clínica Legal Esperanza")).to_be_visible()
    assert axe_report(ngo, axe) is None, "claim search"
    ngo.get_by_role("link", name="This is my organization").click()
    ngo.fill("#message", "I coordinate intake. Call the front desk at 214-555-0100 and ask for Ana.")
    assert axe_report(ngo, axe) is None, "claim form"
    ngo.get_by_role("button", name="Send the request").click()
    ngo.wait_for_url(re.compile(r"/manage/$"))
    expect(ngo.get_by_text("Waiting for review")).to_be_visible()

    # A moderator, in a browser of their own, approves it.
    moderator = guard.page(viewport=DESKTOP)
    log_in(moderator, live_server.url, "moderator@example.org")
    moderator.goto(live_server("/manage/review"))
    request = moderator.locator("section.card", has_text="Claim of Clínica Legal Esperanza")
    expect(request).to_contain_text("ask for Ana")
    expect(request).to_contain_text("Nobody manages this organization yet.")
    _shot(moderator, "review")
    assert axe_report(moderator, axe) is None, "review queue"
    request.get_by_role("button", name="Approve").click()
    expect(moderator.get_by_text("Approved. The requester is now an owner.")).to_be_visible()

    # The NGO person now edits the service; a verified organization's edit is public at once.
    ngo.goto(live_server("/manage/"))
    ngo.get_by_role("link", name="Clínica Legal Esperanza service").click()
    ngo.fill("#description", NEW_DESCRIPTION)
    ngo.get_by_role("button", name="Save", exact=True).click()
    expect(ngo.get_by_text("Saved. Your changes are public now.")).to_be_visible()

    public = guard.page(viewport=PHONE)
    public.goto(live_server(f"/provider/{live_server.services['clinic']}"))
    expect(public.get_by_text(NEW_DESCRIPTION)).to_be_visible()
    guard.assert_all_local()


def test_the_members_page_invites_a_colleague(guard, live_server):
    """After the journey above the NGO person owns the clinic: the members page works and passes axe."""
    axe = Axe()
    page = guard.page(viewport=PHONE)
    log_in(page, live_server.url, NGO_EMAIL)
    page.goto(live_server("/manage/"))
    page.get_by_role("link", name="Members").click()
    expect(page.locator("h1")).to_contain_text("Members of Clínica Legal Esperanza")
    page.fill("#email", "colleague@esperanza.example.org")
    page.select_option("#role", "editor")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_text("Invitation sent. The link works for 7 days.")).to_be_visible()
    expect(page.get_by_text("colleague@esperanza.example.org")).to_be_visible()
    _shot(page, "members")
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        assert axe_report(page, axe) is None, f"members at {viewport['width']}px"
    guard.assert_all_local()


def test_a_new_organization_gets_no_reminder_the_day_it_is_approved(guard, live_server):
    # Issue 13: `flask listings remind` told a brand-new organization nobody had confirmed it for six months.
    ngo = guard.page(viewport=PHONE)
    log_in(ngo, live_server.url, NEW_ORG_EMAIL)
    ngo.goto(live_server("/manage/organizations/new"))
    ngo.fill("#name", "Casa Nueva Legal")
    ngo.fill("#phone", "214-555-0199")
    ngo.fill("#service_name", "Free asylum consultations")
    ngo.locator("input[name=needs][value=asylum]").check()
    # Languages are picked by name: typing narrows the list, then a box is checked.
    ngo.fill("#languages-filter", "span")
    expect(ngo.locator("#languages-list li:visible")).to_have_count(1)
    ngo.get_by_label("Spanish", exact=True).check()
    ngo.fill("#languages-filter", "")
    ngo.get_by_label("English", exact=True).check()
    ngo.fill("#address_1", "12 Elm St")
    ngo.fill("#city", "Dallas")
    ngo.fill("#state_province", "TX")
    ngo.fill("#postal_code", "75201")
    ngo.fill("#message", "I am the director. Call the office and ask for Luis.")
    ngo.get_by_role("button", name="Send for review").click()
    ngo.wait_for_url(re.compile(r"/manage/$"))

    moderator = guard.page(viewport=DESKTOP)
    log_in(moderator, live_server.url, "moderator@example.org")
    moderator.goto(live_server("/manage/review"))
    moderator.locator("section.card", has_text="Casa Nueva Legal").get_by_role("button", name="Approve").click()
    expect(moderator.get_by_text("Approved. The requester is now an owner.")).to_be_visible()

    with live_server.app.test_request_context(), Session(live_server.engine) as session:
        queue_reminders(session, manage_url=live_server("/manage/"))
        reminded = session.execute(select(OutboxMessage.to_address).where(OutboxMessage.subject == REMINDER)).scalars()
        assert NEW_ORG_EMAIL not in list(reminded)
    ngo.goto(live_server("/manage/"))
    expect(ngo.locator("section", has_text="Casa Nueva Legal")).to_contain_text(
        f"Last confirmed correct on {date.today().isoformat()}"
    )
    guard.assert_all_local()
