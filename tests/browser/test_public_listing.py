"""What the public and the client's slip show (issue 13): fees text beside the cost category, the
service's hours apart from the location's, and phones that print black on white.

This module serves its own live app: one clinic with a fee note, service hours and location hours,
a caseworker, and a referral to the clinic.
"""

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from accounts.users import create_user
from models import Organization, Referral, ReferralItem, Schedule
from tests.browser.support import NEUTRAL_URL, PASSWORD, LiveServer, log_in, serve
from tests.conftest import _Database, _make_app
from tests.factories import make_service

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
FEES = "$150 consult, waived for asylum seekers."
BLACK = "rgb(0, 0, 0)"


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """A clinic that charges a fee, keeps phone hours of its own and opens its office at other hours."""
    database = _Database(tmp_path_factory.mktemp("public-listing-db"))
    try:
        with Session(database.engine, expire_on_commit=False) as session:
            clinic = make_service(session, name="Fee Clinic", needs=["asylum"], lat=32.79, lon=-96.80, cost="fee",
                                  hours=[("MO", "09:00", "17:00")])  # fmt: skip
            clinic.fees_description = FEES
            session.add(Schedule(service_id=clinic.id, freq="WEEKLY", byday="MO", opens_at="08:30", closes_at="16:30"))
            agency = Organization(name="Agency")
            session.add(agency)
            session.commit()
            caseworker = create_user(session, email="cw@example.org", password=PASSWORD, role="caseworker",
                                     organization_id=agency.id)  # fmt: skip
            referral = Referral(code="FEES2345", agency_id=agency.id, caseworker_id=caseworker.id, needs="asylum",
                                language="en", contact_preference="client-calls")  # fmt: skip
            session.add(referral)
            session.flush()
            session.add(ReferralItem(referral_id=referral.id, service_id=clinic.id, provider_id=clinic.organization_id))
            session.commit()
            services = {"clinic": clinic.id, "referral": referral.id}
        app = _make_app(database, QUICK_EXIT_URL=NEUTRAL_URL)
        with serve(app) as url:
            yield LiveServer(url=url, services=services)
    finally:
        database.drop()


def test_fees_text_and_separate_hours_show_on_the_provider_page_and_the_slip(guard, live_server):
    page = guard.page(viewport=PHONE)
    page.goto(live_server(f"/provider/{live_server.services['clinic']}"))
    cost = page.locator("section", has=page.locator("#cost-title"))
    expect(cost).to_contain_text("Charges a fee")
    expect(cost).to_contain_text(FEES)
    hours = page.locator("section", has=page.locator("#hours-title"))
    expect(hours.locator("table.hours")).to_have_count(2)
    expect(hours.locator("table.hours", has_text="Hours of this service")).to_contain_text("8:30")
    expect(hours.locator("table.hours", has_text="Opening hours of the location")).to_contain_text("9:00")
    expect(hours.locator("table.hours", has_text="Hours of this service")).not_to_contain_text("9:00 AM")
    page.emulate_media(media="print")
    phone = page.locator("main a[href^='tel:']").first
    assert phone.evaluate("element => getComputedStyle(element).color") == BLACK
    assert phone.evaluate("element => getComputedStyle(element).backgroundColor") in ("rgb(255, 255, 255)",)
    page.emulate_media(media="screen")

    caseworker = guard.page(viewport=PHONE)
    log_in(caseworker, live_server.url, "cw@example.org")
    caseworker.goto(live_server(f"/work/referrals/{live_server.services['referral']}/slip"))
    slip = caseworker.locator(".slip-service")
    expect(slip).to_contain_text("Charges a fee")
    expect(slip).to_contain_text(FEES)
    expect(slip).to_contain_text("Hours of this service:")
    expect(slip).to_contain_text("Opening hours of the location:")
    caseworker.emulate_media(media="print")
    assert caseworker.locator(".slip-code").evaluate("element => getComputedStyle(element).color") == BLACK
    guard.assert_all_local()
