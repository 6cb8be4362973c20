"""The public pages: search, results, provider, report, language, privacy; safety headers; no cookies."""

import re

import pytest
from sqlalchemy import select

from models import ListingReport
from tests.factories import make_service


@pytest.fixture
def providers(app):
    with app.app_context():
        from models.db import get_session

        session = get_session()
        clinic = make_service(
            session,
            name="Clinica Esperanza",
            needs=["asylum"],
            lat=32.80,
            lon=-96.80,
            languages=["es", "en"],
            cost="free",
            credentials=["doj-recognized"],
            hours=[("MO", "09:00", "17:00")],
        )
        shelter = make_service(
            session,
            name="Safe House",
            needs=["domestic-violence"],
            lat=32.81,
            lon=-96.80,
            confidential=True,
            street="42 Hidden Lane",
            phone="214-555-0199",
            public_phone="800-555-0123",
        )
        return {"clinic": clinic.id, "shelter": shelter.id}


def test_start_page_offers_the_five_needs_in_english_and_spanish(client):
    english = client.get("/")
    spanish = client.get("/", headers={"Accept-Language": "es"})
    assert english.status_code == spanish.status_code == 200
    assert b'<html lang="en" dir="ltr">' in english.data
    assert b'<html lang="es" dir="ltr">' in spanish.data
    assert "Encuentre ayuda cerca de usted" in spanish.get_data(as_text=True)
    for code in ["immigration-legal", "legal-aid", "mental-health", "victim-support", "crisis"]:
        assert f'value="{code}"'.encode() in english.data
    assert b'hreflang="es"' in english.data


def test_results_page_lists_matches_with_reasons_and_the_notario_warning(client, providers):
    page = client.get("/search?location=75201&need=immigration-legal")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Clinica Esperanza" in text
    assert "Why this result:" in text
    assert "Beware of notarios." in text
    assert f"/provider/{providers['clinic']}" in text
    assert "DOJ-recognized organization" in text


def test_filters_work_without_javascript(client, providers):
    free_spanish = client.get("/search?location=75201&need=immigration-legal&cost=free&language=es")
    assert "Clinica Esperanza" in free_spanish.get_data(as_text=True)
    french = client.get("/search?location=75201&need=immigration-legal&language=fr")
    text = french.get_data(as_text=True)
    assert "Clinica Esperanza" not in text
    assert "We found nothing that matches yet" in text
    assert "Remove the filters" in text
    assert "1-800-799-7233" in text


def test_no_results_still_offers_statewide_and_national_help(app, client):
    with app.app_context():
        from models.db import get_session

        make_service(get_session(), name="Texas Legal Hotline", needs=["immigration-legal"], phone=None,
                     public_phone="800-555-0444", areas=[("state", "TX", None)], languages=["en"])
    page = client.get("/search?location=75201&need=asylum&language=fr").get_data(as_text=True)
    assert "We found nothing that matches yet" in page
    assert "Statewide and national help" in page
    assert "Texas Legal Hotline" in page
    assert "800-555-0444" in page


def test_an_unknown_place_shows_a_clear_message_with_suggestions(client):
    page = client.get("/search?location=Springfield&need=crisis")
    text = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "several places with that name" in text
    assert "Springfield, IL" in text


def test_a_missing_place_returns_the_form_with_the_error(client):
    page = client.get("/search?need=crisis", headers={"Accept-Language": "es"})
    assert page.status_code == 400
    assert "Escriba un código postal (ZIP), una ciudad o una dirección." in page.get_data(as_text=True)


def test_provider_page_has_what_a_person_needs_to_act(client, providers):
    page = client.get(f"/provider/{providers['clinic']}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    for expected in [
        "Clinica Esperanza",
        "tel:2145550100",
        "Directions",
        "What to bring",
        "Who can get help",
        "Hours",
        "Monday",
        "Report a problem with this listing",
        "Spanish",
        "may be out of date",
    ]:
        assert expected in text, expected


def test_a_confidential_shelter_never_shows_its_address(client, providers):
    page = client.get(f"/provider/{providers['shelter']}")
    text = page.get_data(as_text=True)
    assert "Hidden Lane" not in text
    assert "214-555-0199" not in text
    assert "800-555-0123" in text
    assert "this address is private" in text
    results = client.get("/search?location=75201&need=victim-support").get_data(as_text=True)
    assert "Hidden Lane" not in results
    assert "Kept private for safety" in results


def test_unknown_provider_and_page_are_friendly_404s(client):
    for url in ["/provider/nope", "/no-such-page"]:
        page = client.get(url, headers={"Accept-Language": "es"})
        assert page.status_code == 404
        assert "No encontramos esta página" in page.get_data(as_text=True)


@pytest.mark.parametrize(
    "url",
    ["/", "/search?location=75201&need=crisis", "/privacy", "/help/credentials", "/my-list", "/search?location=zzzz"],
)
def test_seekers_get_no_cookie_and_strict_safety_headers(client, url):
    response = client.get(url)
    assert "Set-Cookie" not in response.headers
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("url", ["/", "/search?location=75201&need=immigration-legal", "/privacy"])
def test_pages_load_nothing_from_other_hosts(client, providers, url):
    html = client.get(url).get_data(as_text=True)
    loads = re.findall(r'<(?:script|img|link|iframe|source)[^>]+(?:src|href)="([^"]+)"', html)
    assert loads
    for target in loads:
        assert target.startswith("/") or target.startswith("http://localhost/"), target
    assert "style=" not in html
    assert "<script>" not in html


def test_picking_a_language_sets_the_only_cookie_and_goes_back(client):
    response = client.get("/language/es?next=/privacy")
    assert response.status_code == 302
    assert response.headers["Location"] == "/privacy"
    assert "lang=es" in response.headers["Set-Cookie"]
    # Readable by the page's own script, so Quick exit can delete it when the person asked for that.
    assert "HttpOnly" not in response.headers["Set-Cookie"]
    assert "SameSite=Lax" in response.headers["Set-Cookie"]
    assert "Su privacidad" in client.get("/privacy").get_data(as_text=True)


def test_language_redirect_never_leaves_the_site(client):
    for target in ["https://evil.example/", "//evil.example/", "javascript:alert(1)"]:
        response = client.get("/language/es", query_string={"next": target})
        assert response.headers["Location"] == "/"


def _csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_report_a_problem_stores_it_for_moderators_without_personal_data(app, client, providers):
    url = f"/provider/{providers['clinic']}/report"
    token = _csrf_token(client.get(url).get_data(as_text=True))
    response = client.post(url, data={"csrf_token": token, "kind": "phone", "message": "The number rings out."})
    assert response.status_code == 200
    assert "We received your report" in response.get_data(as_text=True)
    with app.app_context():
        from models.db import get_session

        reports = get_session().execute(select(ListingReport)).scalars().all()
    assert [(r.kind, r.message, r.status) for r in reports] == [("phone", "The number rings out.", "open")]
    assert set(ListingReport.model_fields) == {
        "id", "service_id", "kind", "message", "page", "language", "created_at", "status",
    }  # fmt: skip


def test_report_without_a_choice_keeps_what_was_typed(client, providers):
    url = f"/provider/{providers['clinic']}/report"
    token = _csrf_token(client.get(url).get_data(as_text=True))
    response = client.post(
        url, data={"csrf_token": token, "message": "Half of my note"}, headers={"Accept-Language": "es"}
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Elija una opción." in text
    assert "Half of my note" in text


def test_report_needs_the_csrf_token(client, providers):
    response = client.post(f"/provider/{providers['clinic']}/report", data={"kind": "phone"})
    assert response.status_code == 400
    assert "reload the page" in response.get_data(as_text=True)


def test_reports_are_rate_limited(client, providers):
    url = f"/provider/{providers['clinic']}/report"
    statuses = []
    for _ in range(6):
        token = _csrf_token(client.get(url).get_data(as_text=True))
        statuses.append(client.post(url, data={"csrf_token": token, "kind": "other"}).status_code)
    assert statuses == [200] * 5 + [429]
