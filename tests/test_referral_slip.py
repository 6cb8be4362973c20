"""The referral slip (printable, in the client's language, no name on it) and the public status lookup by code."""

import re

import pytest
from sqlalchemy import select

from accounts.users import create_user
from models import Organization, ReferralItem, RequiredDocument
from referrals.slip import qr_svg
from tests.factories import make_service
from tests.test_referral_inbox import ALIAS, EMAIL, NOTE, PASSWORD, PHONE, log_in, make_referral


@pytest.fixture
def world(app, session):
    """A referral (client in Spanish, to be called) to a legal clinic and to a confidential shelter."""
    with app.app_context():
        clinic = make_service(
            session,
            name="Alpha Legal",
            needs=["asylum"],
            lat=32.80,
            lon=-96.80,
            languages=["es"],
            hours=[("MO", "09:00", "17:00")],
            street="500 Elm St",
        )
        shelter = make_service(
            session,
            name="Safe Harbor Shelter",
            needs=["domestic-violence"],
            lat=32.81,
            lon=-96.81,
            confidential=True,
            street="42 Hidden Lane",
            public_phone="800-555-0123",
        )
        session.add(RequiredDocument(service_id=clinic.id, document="Any letter from immigration court"))
        agency = Organization(name="Dallas Refugee Agency")
        other_agency = Organization(name="Other Agency")
        session.add_all([agency, other_agency])
        session.commit()
        caseworker = create_user(
            session, email="cw@example.org", password=PASSWORD, role="caseworker", organization_id=agency.id
        )
        create_user(
            session, email="cw2@example.org", password=PASSWORD, role="caseworker", organization_id=other_agency.id
        )
        create_user(
            session, email="a@example.org", password=PASSWORD, role="ngo", organization_id=clinic.organization_id
        )
        create_user(session, email="admin@example.org", password=PASSWORD, role="admin")
        referral = make_referral(
            session, agency_id=agency.id, services=[clinic, shelter], caseworker_id=caseworker.id, language="es"
        )
    return {"clinic": clinic, "shelter": shelter, "referral": referral, "agency": agency}


def _slip(client, world, query: str = ""):
    return client.get(f"/work/referrals/{world['referral'].id}/slip{query}")


def test_the_slip_is_in_the_clients_language_with_the_code_and_each_providers_details(client, world):
    response = _slip(log_in(client, "cw@example.org"), world)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="es"' in html
    assert "K7M4-Q2XP" in html
    assert "Su referencia" in html
    assert "Alpha Legal" in html
    assert "Safe Harbor Shelter" in html
    assert "500 Elm St" in html
    assert "Any letter from immigration court" in html
    assert "Llame primero para preguntar qué debe llevar." in html  # the shelter lists no documents
    assert "Le llamarán al número que usted dio." in html
    assert "noindex" in html


def test_lang_overrides_the_language_of_the_slip(client, world):
    html = _slip(log_in(client, "cw@example.org"), world, "?lang=en").get_data(as_text=True)
    assert '<html lang="en"' in html
    assert "Your referral code" in html


def test_a_client_who_will_call_is_told_to_call_with_the_code(client, session, app, world):
    with app.app_context():
        referral = make_referral(
            session, agency_id=world["agency"].id, services=[world["clinic"]], code="ABCD2345", contact="client-calls"
        )
    html = log_in(client, "cw@example.org").get(f"/work/referrals/{referral.id}/slip?lang=en").get_data(as_text=True)
    assert "Call them and say you have a referral, code ABCD-2345." in html
    assert "They will call you" not in html


def test_the_slip_never_prints_the_clients_details_or_a_confidential_address(client, world):
    html = _slip(log_in(client, "cw@example.org"), world).get_data(as_text=True)
    for secret in (ALIAS, PHONE, EMAIL, NOTE, "42 Hidden Lane", "Dallas Refugee Agency"):
        assert secret not in html
    assert "800-555-0123" in html  # the shelter's public contact line


def test_the_qr_code_is_inline_svg_of_the_providers_public_page(app, client, world):
    html = _slip(log_in(client, "cw@example.org"), world).get_data(as_text=True)
    url = f"{app.config['SITE_URL']}/provider/{world['clinic'].id}"
    with app.app_context():
        expected = str(qr_svg(url))
    assert expected.startswith("<svg")
    assert expected in html
    assert url in html
    assert "<script" not in html.split("<main", 1)[1]


def test_the_slip_links_to_the_status_page(app, client, world):
    html = _slip(log_in(client, "cw@example.org"), world).get_data(as_text=True)
    assert f"{app.config['SITE_URL']}/referral/status" in html


@pytest.mark.parametrize("email", ["cw2@example.org", "a@example.org", "admin@example.org"])
def test_only_caseworkers_of_the_referrals_agency_see_the_slip(client, world, email):
    assert _slip(log_in(client, email), world).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in_for_the_slip(client, world):
    response = _slip(client, world)
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


def _lookup(client, code: str, query: str = ""):
    html = client.get(f"/referral/status{query}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    return client.post(f"/referral/status{query}", data={"csrf_token": token, "code": code})


def test_the_status_page_asks_for_the_code_in_a_post_form(client):
    html = client.get("/referral/status").get_data(as_text=True)
    assert 'method="post"' in html
    assert 'name="code"' in html


def test_a_code_shows_each_services_status_and_nothing_about_the_client(client, session, world):
    item = session.execute(select(ReferralItem).where(ReferralItem.service_id == world["clinic"].id)).scalar_one()
    item.status = "contacted"
    session.commit()
    response = _lookup(client, "k7m4-q2xp")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Alpha Legal" in html
    assert "Safe Harbor Shelter" in html
    assert "Contacted" in html
    assert "Sent" in html
    for secret in (ALIAS, PHONE, EMAIL, NOTE, "Dallas Refugee Agency", "Asylum", "42 Hidden Lane"):
        assert secret not in html


@pytest.mark.parametrize("code", ["hello", "K7M4-Q2X0", "ZZZZ-ZZZZ", "x" * 60])
def test_malformed_and_unknown_codes_get_the_same_calm_answer(client, world, code):
    response = _lookup(client, code)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "We could not find this code. Check it on your paper and try again." in html
    assert "Alpha Legal" not in html


def test_the_status_page_works_in_spanish(client, world):
    html = _lookup(client, "K7M4Q2XP", "?lang=es").get_data(as_text=True)
    assert '<html lang="es"' in html
    assert "Consultar una referencia" in html
    assert "Enviada" in html


def test_status_lookups_are_rate_limited(client, world):
    for _ in range(20):
        assert _lookup(client, "ZZZZ-ZZZZ").status_code == 400
    assert _lookup(client, "K7M4-Q2XP").status_code == 429


def test_the_footer_links_to_the_status_page(client):
    assert 'href="/referral/status"' in client.get("/").get_data(as_text=True)
