"""The public pages: search, results, provider, report, language, privacy; safety headers; no cookies."""

import html
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
        "The organization has not confirmed this listing yet.",
        "Please call before you go.",
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


def _text(client, url: str) -> str:
    """Return a page's text with HTML entities resolved (the pages escape apostrophes)."""
    return html.unescape(client.get(url).get_data(as_text=True))


def _add(app, **fields):
    with app.app_context():
        from models.db import get_session

        return make_service(get_session(), **fields).id


def test_a_language_filter_shows_confirmed_speakers_then_those_that_do_not_list_languages_with_counts(app, client):
    _add(app, name="Habla Español", needs=["asylum"], lat=32.85, lon=-96.80, languages=["es"])
    _add(app, name="No Languages Listed", needs=["asylum"], lat=32.80, lon=-96.80)
    _add(app, name="English Only", needs=["asylum"], lat=32.80, lon=-96.80, languages=["en"])
    text = _text(client, "/search?location=75201&need=asylum&language=es")
    assert "1 says it speaks Spanish; 1 doesn't list its languages." in text
    assert "They say they speak Spanish" in text
    assert "These don't list their languages: call to ask" in text
    assert text.index("Habla Español") < text.index("These don't list their languages") < text.index(
        "No Languages Listed")
    assert "English Only" not in text
    spanish = _text(client, "/search?location=75201&need=asylum&language=es&lang=es")
    assert "1 dice que habla español; 1 no indica sus idiomas." in spanish
    assert "Estos no indican sus idiomas: llame para preguntar" in spanish
    strict = _text(client, "/search?location=75201&need=asylum&language=es&language_strict=y")
    assert "Habla Español" in strict
    assert "No Languages Listed" not in strict


def test_the_other_filters_also_keep_listings_that_do_not_say_under_their_own_heading(app, client):
    _add(app, name="Takes Clients", needs=["asylum"], lat=32.85, lon=-96.80, capacity="accepting")
    _add(app, name="Silent Clinic", needs=["asylum"], lat=32.80, lon=-96.80)
    _add(app, name="Full Clinic", needs=["asylum"], lat=32.80, lon=-96.80, capacity="not-accepting")
    text = _text(client, "/search?location=75201&need=asylum&accepting=y")
    assert "These don't say if they take new clients: call to ask" in text
    assert text.index("Takes Clients") < text.index("Silent Clinic")
    assert "Full Clinic" not in text
    both = _text(client, "/search?location=75201&need=asylum&accepting=y&open_now=y")
    assert "These don't list everything you asked about: call to ask" in both


def test_a_town_centre_site_says_its_town_not_a_distance_and_offers_no_directions(app, client):
    _add(app, name="Centre Placed", needs=["asylum"], lat=32.7883, lon=-96.7996, precision="zip", street="")
    _add(app, name="Street Placed", needs=["asylum"], lat=32.80, lon=-96.80, precision="source")
    text = _text(client, "/search?location=75201&need=asylum")
    centre = text[text.index("Centre Placed"):]
    assert "In Dallas (exact address not listed)" in centre
    assert "0.0 km" not in text
    assert ">0 mi<" not in text
    street = text[text.index("Street Placed"):text.index("Centre Placed")]
    assert re.search(r"<strong><bdi>\d+(\.\d)? mi</bdi></strong>", street)  # miles for a US reader
    assert "Directions" in street
    assert "Directions" not in centre[: centre.index("</article>")]


def test_thin_results_say_so_and_offer_a_wider_radius_remote_help_and_national_directories(app, client):
    _add(app, name="Near Clinic", needs=["asylum"], lat=32.80, lon=-96.80)
    _add(app, name="Austin Clinic", needs=["asylum"], lat=30.27, lon=-97.74)
    _add(app, name="Houston Clinic", needs=["asylum"], lat=29.76, lon=-95.37)
    _add(app, name="Texas Phone Line", needs=["immigration-legal"], delivery="remote", phone=None,
         service_phones=[("800-555-0177", "hotline")], areas=[("state", "TX", None)], languages=["en"])
    text = _text(client, "/search?location=75201&need=asylum&units=km")
    assert "Few places near you" in text
    assert "Only 1 place with an office within 50 km matches your search." in text
    # Said at the top too, with a link down to the ways on (a phone may never scroll that far).
    assert '<a href="#ways-title">Only 1 place with an office within 50 km: other ways to get help</a>' in text
    assert "Look within 500 km: 3 places with an office" in text
    assert "radius_km=500" in text
    miles = _text(client, "/search?location=75201&need=asylum")
    assert "Only 1 place with an office within 31 mi matches your search." in miles
    assert "Look within 311 mi: 3 places with an office" in miles
    assert "List of Pro Bono Legal Service Providers (immigration court)" in text
    assert "https://www.justice.gov/eoir/list-pro-bono-legal-service-providers" in text
    spanish = _text(client, "/search?location=75201&need=asylum&lang=es&units=km")
    assert "Hay pocos lugares cerca de usted" in spanish
    assert "Buscar a menos de 500 km: 3 lugares con oficina" in spanish


def test_thin_results_list_phone_help_the_filters_left_out(app, client):
    _add(app, name="Near Clinic", needs=["asylum"], lat=32.80, lon=-96.80, cost="free")
    _add(app, name="Texas Phone Line", needs=["immigration-legal"], delivery="remote", phone=None, cost="fee",
         service_phones=[("800-555-0177", "hotline"), ("55555", "text")], areas=[("state", "TX", None)])
    text = _text(client, "/search?location=75201&need=asylum&cost=free")
    ways = text[text.index("Few places near you"):]
    assert "Help by phone or online" in ways
    assert "Texas Phone Line" in ways
    assert 'href="tel:8005550177"' in ways
    assert 'href="sms:55555"' in ways


def test_a_detention_search_shows_what_to_do_now_from_official_sources(client):
    text = _text(client, "/search?location=78040&need=detention-bond")
    assert "Someone was detained by immigration: what to do now" in text
    assert "https://locator.ice.gov/odls/" in text
    assert 'href="tel:18008987180"' in text
    assert "1-800-898-7180" in text
    assert "https://www.justice.gov/eoir/list-pro-bono-legal-service-providers" in text
    assert "We found nothing that matches yet" in text
    spanish = _text(client, "/search?location=78040&need=detention-bond&lang=es")
    assert "Inmigración detuvo a alguien: qué hacer ahora" in spanish
    assert "Localizador de detenidos en línea de ICE" in spanish
    # Other immigration searches link to the steps instead of showing them.
    asylum = _text(client, "/search?location=78040&need=asylum")
    assert "what to do now" not in asylum
    assert 'href="/help/detained"' in asylum


def test_the_detained_page_works_anywhere_names_its_sources_and_searches_for_detention_help(client):
    start = _text(client, "/")
    assert 'href="/help/detained"' in start
    for lang, title in [("en", "Someone was detained by immigration"), ("es", "Inmigración detuvo a alguien")]:
        page = client.get(f"/help/detained?lang={lang}")
        text = page.get_data(as_text=True)
        assert page.status_code == 200
        assert title in text
        assert "https://locator.ice.gov/odls/" in text
        assert "1-800-898-7180" in text
        assert 'name="need" value="detention-bond"' in text
        for source in ["https://www.justice.gov/eoir/customer-service-initiatives", "https://locator.ice.gov/odls/privacy.jsp",
                       "https://www.dhs.gov/news/2024/06/07/"]:
            assert source in text


def test_a_hotlines_page_never_says_to_bring_letters_or_walk_in(app, client):
    hotline = _add(app, name="Night Line", needs=["domestic-violence"], delivery="remote", phone=None,
                   service_phones=[("800-555-0101", "hotline"), ("55555", "text")], areas=[("national", None, None)])
    text = _text(client, f"/provider/{hotline}")
    assert "Nothing: this help is by phone." in text
    assert "a hotline answers calls, you do not need an appointment" in text
    assert "You can also send a text message" in text
    assert 'href="sms:55555"' in text
    for wrong in ["walk in", "Bring any letters", "call before you go"]:
        assert wrong not in text


def test_what_to_bring_and_how_to_get_help_fit_remote_and_in_person_services(app, client):
    remote = _add(app, name="Video Lawyers", needs=["asylum"], delivery="remote", phone=None,
                  service_phones=[("800-555-0102", "voice")], areas=[("state", "TX", None)])
    office = _add(app, name="Office Lawyers", needs=["asylum"], lat=32.80, lon=-96.80)
    counseling = _add(app, name="Talk Clinic", needs=["counseling"], lat=32.80, lon=-96.80)
    remote_text = _text(client, f"/provider/{remote}")
    assert "This help is by phone or online." in remote_text
    assert "Keep any letters or papers about your case close by" in remote_text
    assert "walk in" not in remote_text
    office_text = _text(client, f"/provider/{office}")
    assert "whether you need an appointment or can walk in" in office_text
    assert "Bring any letters or papers about your case." in office_text
    counseling_text = _text(client, f"/provider/{counseling}")
    assert "Ask when you call what you need to bring or have ready." in counseling_text
    assert "letters or papers about your case" not in counseling_text


def test_dates_say_where_a_listing_came_from_apart_from_a_real_confirmation(app, client):
    from datetime import date

    listed = _add(app, name="Listed Clinic", needs=["asylum"], lat=32.80, lon=-96.80,
                  sources="eoir/pro-bono-providers", listed_on=date(2026, 7, 21))
    confirmed = _add(app, name="Confirmed Clinic", needs=["asylum"], lat=32.81, lon=-96.80,
                     sources="eoir/pro-bono-providers", listed_on=date(2026, 7, 21), assured_date=date(2026, 11, 30))
    listed_text = _text(client, f"/provider/{listed}")
    assert "Listed from the EOIR pro bono list, July 2026" in listed_text
    assert "The organization has not confirmed this listing yet." in listed_text
    assert "Confirmed by the organization" not in listed_text
    confirmed_text = _text(client, f"/provider/{confirmed}")
    assert "Confirmed by the organization on Nov 30, 2026. Listed from the EOIR pro bono list, July 2026" in (
        confirmed_text)
    assert "has not confirmed" not in confirmed_text
    spanish = _text(client, f"/provider/{listed}?lang=es")
    assert "Tomado de la lista de ayuda legal gratuita de la EOIR, julio de 2026" in spanish
    results = _text(client, "/search?location=75201&need=asylum")
    assert "Listed from the EOIR pro bono list, July 2026" in results
    assert "Confirmed by the organization on Nov 30, 2026" in results
