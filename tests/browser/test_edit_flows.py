"""NGO staff and moderators in a real browser: a sensitive edit reviewed, restore from history,
two conflicting edits, and the reminder for a stale listing.

This module runs its own live server (``live_server`` below overrides the shared one) on a database
with four organizations, each with its own owner, so that the journeys do not touch each other.
"""

import re
from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlalchemy import select
from sqlmodel import Session

from accounts.users import create_user
from models import Location, Organization, OutboxMessage, Service
from models.base import today
from tests.browser.conftest import DALLAS
from tests.browser.support import NEUTRAL_URL, PASSWORD, LiveServer, log_in, serve
from tests.conftest import _Database, _make_app
from tests.factories import make_service

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
ADMIN = "admin@example.org"
# key -> (organization name, owner's email)
ORGANIZATIONS = {
    "rename": ("Alpha Legal", "alpha@example.org"),
    "restore": ("Beta Help", "beta@example.org"),
    "conflict": ("Gamma Clinic", "gamma@example.org"),
    "merge": ("Delta Aid", "delta@example.org"),
    "stale": ("Stale Clinic", "stale@example.org"),
}


def _fill(database: _Database) -> tuple[dict[str, str], dict[str, str]]:
    lat, lon = DALLAS
    services, locations = {}, {}
    with Session(database.engine, expire_on_commit=False) as session:
        for index, (key, (name, owner)) in enumerate(ORGANIZATIONS.items()):
            service = make_service(session, name=name, needs=["asylum"], lat=lat + index / 100, lon=lon)
            service.description = f"{name} helps with asylum cases."
            service.assured_date = today() - timedelta(days=400 if key == "stale" else 1)
            session.get(Organization, service.organization_id).verified = True
            session.commit()
            create_user(session, email=owner, password=PASSWORD, role="ngo", organization_id=service.organization_id)
            services[key] = service.id
            locations[key] = session.execute(
                select(Location.id).where(Location.organization_id == service.organization_id)
            ).scalar_one()
        create_user(session, email=ADMIN, password=PASSWORD, role="admin")
    return services, locations


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """The app on a database of this module's own, served on 127.0.0.1; ``app`` and ``engine`` ride along."""
    database = _Database(tmp_path_factory.mktemp("edit-flows-db"))
    try:
        services, locations = _fill(database)
        # Every journey logs in two or three people from 127.0.0.1: more than the log-in rate limit allows
        # a single address, which tests/test_accounts.py checks on its own.
        app = _make_app(database, QUICK_EXIT_URL=NEUTRAL_URL, LOGIN_RATE_LIMIT="1000 per minute")
        with serve(app) as url:
            app.config["SITE_URL"] = url  # the reminder's link must lead to this server
            found = LiveServer(url=url, services=services, names={k: v[0] for k, v in ORGANIZATIONS.items()})
            found.app, found.engine, found.locations = app, database.engine, locations
            yield found
    finally:
        database.drop()


def _logged_in(guard, live_server, email: str, **options):
    """A page in a new browser context, logged in as ``email``."""
    page = guard.page(viewport=DESKTOP, **options)
    log_in(page, live_server.url, email)
    return page


def _save(page) -> None:
    # The edit form is the one that posts back to its own page (it has no action).
    page.locator("main form[method=post]:not([action]) > button[type=submit]").click()
    page.wait_for_load_state()


def test_a_sensitive_edit_waits_for_review_and_once_approved_is_public(guard, live_server):
    name, owner_email = ORGANIZATIONS["rename"]
    service_id = live_server.services["rename"]
    owner = _logged_in(guard, live_server, owner_email)
    owner.goto(live_server("/manage/"))
    owner.locator("h2").get_by_role("link", name=name, exact=True).click()
    owner.fill("#name", "Alpha Immigration Law")
    _save(owner)
    expect(owner.locator("[role=status]")).to_contain_text("waiting for review")
    owner.goto(live_server("/manage/"))
    expect(owner.locator("main")).to_contain_text("Waiting for review")
    expect(owner.locator("main")).to_contain_text("Alpha Immigration Law")

    public = guard.page(viewport=PHONE)
    public.goto(live_server(f"/provider/{service_id}"))
    expect(public.locator("h1")).to_have_text(name)

    moderator = _logged_in(guard, live_server, ADMIN)
    moderator.goto(live_server("/manage/review"))
    change = moderator.locator("main li, main section, main article", has_text="Alpha Immigration Law").last
    change.get_by_role("button", name="Approve").click()
    moderator.wait_for_load_state()
    expect(moderator.locator("[role=status]")).to_contain_text("Approved and published.")

    public.reload()
    expect(public.locator("h1")).to_have_text("Alpha Immigration Law")
    owner.goto(live_server("/manage/"))
    expect(owner.locator("main")).not_to_contain_text("Waiting for review")
    guard.assert_all_local()


def test_restoring_an_earlier_description_from_history_puts_it_back_on_the_public_page(guard, live_server):
    name, owner_email = ORGANIZATIONS["restore"]
    service_id = live_server.services["restore"]
    original = f"{name} helps with asylum cases."
    owner = _logged_in(guard, live_server, owner_email)
    owner.goto(live_server(f"/manage/services/{service_id}"))
    expect(owner.locator("#description")).to_have_value(original)
    owner.fill("#description", "Oops: this text was meant for another service.")
    _save(owner)
    expect(owner.locator("[role=status]")).to_contain_text("Saved. Your changes are public now.")

    public = guard.page(viewport=PHONE)
    public.goto(live_server(f"/provider/{service_id}"))
    expect(public.locator("main")).to_contain_text("Oops: this text was meant for another service.")

    owner.goto(live_server("/manage/"))
    owner.locator("section", has_text=name).get_by_role("link", name="History of changes").click()
    row = owner.locator("tbody tr", has_text="Oops: this text was meant")
    expect(row.locator("td").nth(4)).to_have_text(original)
    row.get_by_role("button", name="Restore the earlier value").click()
    owner.wait_for_load_state()
    expect(owner.locator("[role=status]")).to_contain_text("Saved. Your changes are public now.")
    # The restore is itself a recorded change.
    expect(owner.locator("tbody tr").first.locator("td").nth(5)).to_have_text(original)

    public.reload()
    expect(public.locator("main")).to_contain_text(original)
    expect(public.locator("main")).not_to_contain_text("Oops")
    guard.assert_all_local()


def test_the_second_of_two_conflicting_edits_sees_both_versions_and_nothing_is_lost(guard, live_server):
    _name, owner_email = ORGANIZATIONS["conflict"]
    service_id = live_server.services["conflict"]
    url = live_server(f"/manage/services/{service_id}")
    first = _logged_in(guard, live_server, owner_email)
    second = _logged_in(guard, live_server, ADMIN)
    first.goto(url)
    second.goto(url)

    first.fill("#description", "Walk-in clinic on Mondays.")
    first.fill("#documents", "Passport\nAny letter from immigration court")
    _save(first)
    expect(first.locator("[role=status]")).to_contain_text("Saved.")

    second.fill("#description", "Appointments only, call first.")
    _save(second)
    alert = second.locator("[role=alert]")
    expect(alert).to_contain_text("Someone else saved this listing while you were editing it.")
    saved_row = alert.locator("tbody tr", has_text="Description")
    expect(saved_row.locator("td").nth(1)).to_contain_text("Walk-in clinic on Mondays.")
    expect(saved_row.locator("td").nth(1)).to_contain_text(f"Saved by {owner_email} on")
    expect(saved_row.locator("td").nth(2)).to_have_text("Appointments only, call first.")
    # Only the field both changed is listed; the form holds the first save's documents and the second's text.
    expect(alert.locator("tbody tr")).to_have_count(1)
    expect(second.locator("#description")).to_have_value("Appointments only, call first.")
    expect(second.locator("#documents")).to_have_value("Any letter from immigration court\nPassport")
    public = guard.page(viewport=PHONE)
    public.goto(live_server(f"/provider/{service_id}"))
    expect(public.locator("main")).to_contain_text("Walk-in clinic on Mondays.")
    expect(public.locator("main")).to_contain_text("Any letter from immigration court")
    expect(public.locator("main")).not_to_contain_text("Appointments only")

    # Having seen both, the second person saves their description; the first one's documents stay.
    _save(second)
    expect(second.locator("[role=status]")).to_contain_text("Saved.")
    public.reload()
    expect(public.locator("main")).to_contain_text("Appointments only, call first.")
    expect(public.locator("main")).to_contain_text("Any letter from immigration court")
    guard.assert_all_local()


def test_two_people_changing_different_fields_both_keep_their_change(guard, live_server):
    # Issue 13: the second save held the old empty description, and saving it again wiped the first one's text.
    _name, owner_email = ORGANIZATIONS["merge"]
    service_id = live_server.services["merge"]
    url = live_server(f"/manage/services/{service_id}")
    first = _logged_in(guard, live_server, owner_email)
    second = _logged_in(guard, live_server, ADMIN)
    first.goto(url)
    second.goto(url)

    first.fill("#description", "Free consultations for asylum seekers.")
    _save(first)
    expect(first.locator("[role=status]")).to_contain_text("Saved.")

    second.fill("#hours_notes", "Closed on public holidays.")
    _save(second)
    expect(second.locator("[role=status]")).to_contain_text("Their changes are kept along with yours.")
    expect(second.locator("#description")).to_have_value("Free consultations for asylum seekers.")
    expect(second.locator("#hours_notes")).to_have_value("Closed on public holidays.")

    public = guard.page(viewport=PHONE)
    public.goto(live_server(f"/provider/{service_id}"))
    expect(public.locator("main")).to_contain_text("Free consultations for asylum seekers.")
    expect(public.locator("main")).to_contain_text("Closed on public holidays.")
    guard.assert_all_local()


def test_languages_are_picked_by_name_with_and_without_javascript(guard, live_server):
    _name, owner_email = ORGANIZATIONS["merge"]
    service_id = live_server.services["merge"]
    url = live_server(f"/manage/services/{service_id}")
    for javascript in (True, False):
        page = _logged_in(guard, live_server, owner_email, java_script_enabled=javascript)
        page.goto(url)
        picker = page.locator("fieldset.language-picker")
        if javascript:
            picker.locator("input[type=search]").fill("viet")
            expect(picker.locator("li:visible")).to_have_count(1)
            picker.get_by_label("Vietnamese").check()
        else:
            # Without JavaScript: no search box, the whole list, by name.
            expect(picker.locator("input[type=search]")).to_be_hidden()
            expect(picker.get_by_label("Arabic")).to_be_visible()
            picker.get_by_label("Arabic").check()
        _save(page)
        expect(page.locator("[role=status]")).to_contain_text("Saved.")
    page.goto(url)
    checked = page.locator("fieldset.language-picker input:checked")
    expect(checked).to_have_count(2)
    public = guard.page(viewport=PHONE)
    public.goto(live_server(f"/provider/{service_id}"))
    expect(public.locator("main")).to_contain_text("Vietnamese")
    expect(public.locator("main")).to_contain_text("Arabic")
    guard.assert_all_local()


def test_a_stale_listing_is_listed_for_moderators_reminded_by_email_and_confirmed_by_its_owner(guard, live_server):
    name, owner_email = ORGANIZATIONS["stale"]
    service_id = live_server.services["stale"]
    public = guard.page(viewport=PHONE)
    public.goto(live_server(f"/provider/{service_id}"))
    expect(public.locator("main")).to_contain_text("may be out of date")

    moderator = _logged_in(guard, live_server, ADMIN)
    moderator.goto(live_server("/manage/review"))
    expect(moderator.get_by_role("link", name=f"{name}: {name} service")).to_be_visible()

    result = live_server.app.test_cli_runner().invoke(args=["listings", "remind"])
    assert result.exit_code == 0, result.output
    assert re.search(r"[1-9]\d* reminder\(s\) queued\.", result.output)
    with Session(live_server.engine) as session:
        message = session.execute(
            select(OutboxMessage).where(OutboxMessage.to_address == owner_email)
        ).scalar_one()  # fmt: skip
        body = message.body
    assert f"{name}: {name} service" in body
    link = re.search(r"https?://\S+", body).group(0)
    assert link.startswith(live_server.url + "/manage/")

    owner = guard.page(viewport=PHONE)
    owner.goto(link)
    log_in(owner, live_server.url, owner_email)
    if not owner.url.startswith(link):
        owner.goto(link)
    owner.get_by_role("button", name="Confirm this listing is still correct").click()
    owner.wait_for_load_state()
    expect(owner.locator("[role=status]")).to_contain_text("the listing is confirmed as correct today")
    with Session(live_server.engine) as session:
        assert session.get(Service, service_id).assured_date == today()

    public.reload()
    expect(public.locator("main")).not_to_contain_text("may be out of date")
    moderator.reload()
    expect(moderator.get_by_role("link", name=f"{name}: {name} service")).to_have_count(0)
    guard.assert_all_local()


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("kind", ["service", "location"])
def test_the_edit_forms_with_phones_and_hours_pass_axe(guard, live_server, kind, lang):
    owner = _logged_in(guard, live_server, ORGANIZATIONS["restore"][1])
    record_id = live_server.services["restore"] if kind == "service" else live_server.locations["restore"]
    owner.goto(live_server(f"/manage/{kind}s/{record_id}?lang={lang}"))
    if kind == "location":
        # A field error, so that the error state is checked too.
        owner.fill("#hours-mo", "17:00-9:00")
        _save(owner)
        expect(owner.locator("#hours-mo-error")).to_be_visible()
        expect(owner.locator("#hours-mo")).to_have_value("17:00-9:00")
    axe = Axe()
    reports = []
    for viewport in (PHONE, DESKTOP):
        owner.set_viewport_size(viewport)
        results = axe.run(owner)
        assert results.response["passes"], "axe-core did not run"
        if results.violations_count:
            reports.append(f"--- {kind} ({lang}) at {viewport['width']}px ---\n{results.generate_report()}")
    assert not reports, "\n".join(reports)
    guard.assert_all_local()
