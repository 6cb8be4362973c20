"""The referral journey in a real browser: a caseworker refers a client, prints the slip in Spanish, the
provider marks it contacted, the caseworker sees the status, and the client checks it with the code alone.

This module serves its own live app (with a caseworker and NGO staff); the browser and guard are shared.
Screenshots go to $AMPARO_SCREENSHOTS when it is set, for people to look at.
"""

import os
import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlalchemy import select
from sqlmodel import Session

from accounts.users import create_user
from models import Organization, OutboxMessage
from tests.browser.support import NEUTRAL_URL, PASSWORD, LiveServer, axe_report, log_in, serve
from tests.conftest import _Database, _make_app
from tests.factories import make_service

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
ALIAS = "Rosa Ibarra"
CLIENT_PHONE = "469-555-0142"
NOTE = "Has a hearing soon; mornings are best."
SHOTS = Path(os.environ["AMPARO_SCREENSHOTS"]) if os.environ.get("AMPARO_SCREENSHOTS") else None


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """A live app with a Spanish-speaking clinic (and its staff), a confidential shelter and an agency's caseworker."""
    database = _Database(tmp_path_factory.mktemp("referral-db"))
    try:
        with Session(database.engine, expire_on_commit=False) as session:
            clinic = make_service(
                session,
                name="Clínica Legal Esperanza",
                needs=["asylum"],
                lat=32.79,
                lon=-96.80,
                languages=["es", "en"],
                cost="free",
                hours=[(day, "09:00", "17:00") for day in ("MO", "WE", "FR")],
            )
            shelter = make_service(
                session,
                name="Safe Harbor Shelter",
                needs=["domestic-violence"],
                lat=32.80,
                lon=-96.81,
                confidential=True,
                street="42 Hidden Lane",
                public_phone="800-555-0123",
            )
            agency = Organization(name="North Texas Refugee Services", email="intake@ntrs.example.org")
            session.add(agency)
            session.commit()
            create_user(
                session, email="cw@example.org", password=PASSWORD, role="caseworker", organization_id=agency.id
            )
            create_user(
                session,
                email="staff@example.org",
                password=PASSWORD,
                role="ngo",
                organization_id=clinic.organization_id,
            )
            session.commit()
            services = {"clinic": clinic.id, "shelter": shelter.id}
        app = _make_app(database, QUICK_EXIT_URL=NEUTRAL_URL)
        with serve(app) as url:
            found = LiveServer(url=url, services=services)
            found.engine = database.engine
            yield found
    finally:
        database.drop()


def _shot(page, name: str, **options):
    if SHOTS:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True, **options)


def test_refer_print_in_spanish_provider_marks_contacted_caseworker_sees_it(guard, live_server):
    axe, problems = Axe(), []
    # 1. The caseworker refers a Spanish-speaking client who wants a call.
    caseworker = guard.page(viewport=DESKTOP)
    log_in(caseworker, live_server.url, "cw@example.org")
    caseworker.goto(
        live_server(
            f"/work/referrals/new?service={live_server.services['clinic']}&service={live_server.services['shelter']}"
        )
    )
    caseworker.locator("details.need-group summary").first.click()
    caseworker.locator("input[name=needs][value=asylum]").check()
    caseworker.select_option("#language", "es")
    caseworker.locator("input[name=contact_preference][value=phone]").check()
    caseworker.fill("#alias", ALIAS)
    caseworker.fill("#phone", CLIENT_PHONE)
    caseworker.locator("input[name=consent]").check()
    caseworker.fill("#note", NOTE)
    caseworker.get_by_role("button", name="Send the referral").click()
    caseworker.wait_for_url(re.compile(r"/work/referrals/[0-9a-f-]{36}$"))
    referral_url = caseworker.url
    code = re.search(r"[2-9A-Z]{4}-[2-9A-Z]{4}", caseworker.locator("h1").inner_text()).group(0)

    # 2. The slip, in Spanish: the code, the providers, no client data, no confidential address.
    caseworker.locator("a", has_text="Print the slip for the client").click()
    caseworker.wait_for_url(re.compile(r"/slip$"))
    assert caseworker.locator("html").get_attribute("lang") == "es"
    expect(caseworker.locator(".slip-code")).to_have_text(code)
    slip_text = caseworker.locator("main").inner_text()
    assert "Clínica Legal Esperanza" in slip_text
    assert "Safe Harbor Shelter" in slip_text
    assert "Le llamarán al número que usted dio." in slip_text
    for secret in (ALIAS, CLIENT_PHONE, NOTE, "42 Hidden Lane"):
        assert secret not in caseworker.content()
    assert caseworker.locator(".slip-qr svg").count() == 2
    expect(caseworker.locator("button[data-print]")).to_be_visible()
    problems += filter(None, [axe_report(caseworker, axe)])
    _shot(caseworker, "slip-es-desktop")
    caseworker.set_viewport_size(PHONE)
    problems += filter(None, [axe_report(caseworker, axe)])
    _shot(caseworker, "slip-es-phone")
    caseworker.emulate_media(media="print")
    assert not caseworker.locator("#quick-exit").is_visible()
    assert not caseworker.locator(".slip-tools").is_visible()
    assert not caseworker.locator("header.top").is_visible()
    _shot(caseworker, "slip-es-print")
    if SHOTS:
        caseworker.pdf(path=str(SHOTS / "slip-es.pdf"), format="Letter")
    caseworker.emulate_media(media="screen")
    caseworker.set_viewport_size(DESKTOP)

    # 3. The provider opens the inbox, sees the new referral, and marks it contacted.
    provider = guard.page(viewport=DESKTOP)
    log_in(provider, live_server.url, "staff@example.org")
    provider.goto(live_server("/manage/referrals/"))
    row = provider.locator("tr.is-new", has_text=code)
    expect(row).to_be_visible()
    problems += filter(None, [axe_report(provider, axe)])
    _shot(provider, "inbox-desktop")
    row.locator("a.code").click()
    expect(provider.locator("h1")).to_contain_text(code)
    item_text = provider.locator("main").inner_text()
    assert ALIAS in item_text
    assert CLIENT_PHONE in item_text
    assert NOTE in item_text
    assert "Safe Harbor Shelter" not in item_text, "another provider of the referral must not show"
    provider.select_option("#status", "contacted")
    provider.fill("#note", "Spoke with her; she will come on Monday.")
    problems += filter(None, [axe_report(provider, axe)])
    provider.get_by_role("button", name="Save status").click()
    expect(provider.locator("main")).to_contain_text("Status saved: Contacted.")
    _shot(provider, "inbox-item-desktop")
    provider.set_viewport_size(PHONE)
    _shot(provider, "inbox-item-phone")

    # 4. The caseworker sees the status and the provider's note.
    caseworker.goto(referral_url)
    expect(caseworker.locator("main")).to_contain_text("Contacted")
    expect(caseworker.locator("main")).to_contain_text("she will come on Monday")

    # 5. The client checks the status with the code alone, in Spanish, and sees no client data.
    client = guard.page(viewport=PHONE, locale="es-ES", extra_http_headers={"Accept-Language": "es"})
    client.goto(live_server("/"))
    client.locator("footer a", has_text="Consultar una referencia").click()
    client.fill("#code", code.lower())
    client.get_by_role("button", name="Consultar").click()
    expect(client.locator(".status-lines")).to_contain_text("Contactado")
    assert code not in client.url
    status_html = client.content()
    for secret in (ALIAS, CLIENT_PHONE, NOTE, "North Texas Refugee Services", "she will come on Monday"):
        assert secret not in status_html
    problems += filter(None, [axe_report(client, axe)])
    _shot(client, "status-es-phone")

    assert not problems, "\n".join(problems)
    guard.assert_all_local()


def _emails_to(live_server, address: str) -> list[OutboxMessage]:
    with Session(live_server.engine) as session:
        return list(session.execute(select(OutboxMessage).where(OutboxMessage.to_address == address)).scalars())


def test_a_provider_on_amparo_and_one_not_yet_get_different_statuses_and_the_caseworker_is_told(
    guard, live_server
):
    # Issue 13: a referral to a provider without staff on Amparo said "the providers have been told".
    caseworker = guard.page(viewport=DESKTOP)
    log_in(caseworker, live_server.url, "cw@example.org")
    clinic, shelter = live_server.services["clinic"], live_server.services["shelter"]
    caseworker.goto(live_server(f"/work/referrals/new?service={clinic}&service={shelter}"))
    services = caseworker.locator("fieldset", has_text="Services")
    expect(services.locator("li", has_text="Clínica Legal Esperanza")).to_contain_text("Receives referrals on Amparo")
    expect(services.locator("li", has_text="Safe Harbor Shelter")).to_contain_text(
        "Not on Amparo yet: call them; the slip gives your client the details."
    )
    _shot(caseworker, "referral-new-desktop")
    caseworker.locator("details.need-group summary").first.click()
    caseworker.locator("input[name=needs][value=asylum]").check()
    caseworker.locator("input[name=contact_preference][value=client-calls]").check()
    caseworker.fill("#alias", ALIAS)
    caseworker.get_by_role("button", name="Send the referral").click()
    caseworker.wait_for_url(re.compile(r"/work/referrals/[0-9a-f-]{36}$"))
    notices = caseworker.locator("[role=status], .notices, main").first
    expect(notices).to_contain_text("The providers on Amparo have been told by email")
    expect(notices).to_contain_text("Not on Amparo yet: call them")
    code = re.search(r"[2-9A-Z]{4}-[2-9A-Z]{4}", caseworker.locator("h1").inner_text()).group(0)
    clinic_card = caseworker.locator("li.card", has_text="Clínica Legal Esperanza")
    shelter_card = caseworker.locator("li.card", has_text="Safe Harbor Shelter")
    expect(clinic_card.locator(".tag")).to_have_text("Sent")
    expect(shelter_card.locator(".tag")).to_have_text("Tracked by the caseworker")
    expect(clinic_card.locator("select")).to_have_count(0)

    # The caseworker called the shelter and sets its status.
    shelter_card.locator("select").select_option("appointment")
    shelter_card.get_by_role("button", name="Save status").click()
    caseworker.wait_for_load_state()
    expect(caseworker.locator("li.card", has_text="Safe Harbor Shelter").locator(".tag")).to_have_text(
        "Appointment made"
    )
    _shot(caseworker, "referral-tracked-desktop")
    caseworker.set_viewport_size(PHONE)
    _shot(caseworker, "referral-tracked-phone")

    # The clinic answers: the caseworker gets an email with half the code and the status, nothing else.
    before = len(_emails_to(live_server, "cw@example.org"))
    provider = guard.page(viewport=DESKTOP)
    log_in(provider, live_server.url, "staff@example.org")
    provider.goto(live_server("/manage/referrals/"))
    provider.locator("tr", has_text=code).locator("a.code").click()
    provider.select_option("#status", "contacted")
    provider.get_by_role("button", name="Save status").click()
    expect(provider.locator("main")).to_contain_text("Status saved: Contacted.")
    emails = _emails_to(live_server, "cw@example.org")
    assert len(emails) == before + 1
    email = emails[-1]
    assert code[:4] + "-…" in email.subject
    assert "Contacted" in email.body
    for secret in (ALIAS, code[5:], "Clínica Legal Esperanza", "Safe Harbor Shelter"):
        assert secret not in email.subject + email.body
    guard.assert_all_local()
