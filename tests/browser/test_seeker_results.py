"""What a seeker sees when data is missing or thin, in a real browser, in English and Spanish.

Confirmed results before those that do not say (with headings and counts), a town-centre site
that gives its town instead of a distance, thin results with ways on (working without JavaScript),
and the "someone was detained" steps. Every test ends with no request having left 127.0.0.1.
"""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
WORDS = {
    "en": {
        "summary": "1 says it speaks Spanish; 1 doesn't list its languages.",
        "confirmed": "They say they speak Spanish",
        "unknown": "These don't list their languages: call to ask",
        "town": "In Dallas (exact address not listed)",
        "few": "Few places near you",
        "nothing": "We found nothing that matches yet",
        "wider": "Look within 500 km: 3 places with an office",
        "detained_link": "Someone was detained by immigration? What to do now",
        "steps": "Someone was detained by immigration: what to do now",
        "step_titles": ["Find out where they are held", "Check their immigration court case",
                        "Find free legal help"],
    },
    "es": {
        "summary": "1 dice que habla español; 1 no indica sus idiomas.",
        "confirmed": "Dicen que hablan español",
        "unknown": "Estos no indican sus idiomas: llame para preguntar",
        "town": "En Dallas (no indica la dirección exacta)",
        "few": "Hay pocos lugares cerca de usted",
        "nothing": "Todavía no encontramos nada que coincida",
        "wider": "Buscar a menos de 500 km: 3 lugares con oficina",
        "detained_link": "¿Inmigración detuvo a alguien? Qué hacer ahora",
        "steps": "Inmigración detuvo a alguien: qué hacer ahora",
        "step_titles": ["Averigüe dónde está detenida la persona", "Revise su caso en la corte de inmigración",
                        "Busque ayuda legal gratis"],
    },
}


def _page(guard, lang: str, javascript: bool = True):
    return guard.page(viewport=PHONE, locale=lang, extra_http_headers={"Accept-Language": lang},
                      java_script_enabled=javascript)


@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_language_filter_shows_confirmed_speakers_first_then_those_that_do_not_list_languages(
    guard, live_server, lang
):
    words = WORDS[lang]
    page = _page(guard, lang, javascript=False)
    page.goto(live_server("/search?location=75201&need=immigration-legal&language=es"))
    expect(page.locator("p.count").nth(1)).to_have_text(words["summary"])
    expect(page.locator("h2#confirmed-title")).to_have_text(words["confirmed"])
    expect(page.locator("h2#unknown-title")).to_have_text(words["unknown"])
    confirmed = page.locator("ol#results li.result a.result-name").all_inner_texts()
    unknown = page.locator("ol#results-unknown li.result a.result-name").all_inner_texts()
    assert confirmed == [live_server.names["spanish"]]
    assert unknown == [live_server.names["unlisted"]]
    # The two lists go on numbering: the unknown one starts after the confirmed ones.
    assert page.locator("ol#results-unknown").get_attribute("start") == "2"
    assert live_server.names["paid"] not in page.content()
    guard.assert_all_local()


@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_site_placed_at_its_zip_centre_gives_its_town_not_a_distance_nor_directions(guard, live_server, lang):
    page = _page(guard, lang)
    page.goto(live_server("/search?location=75201&need=immigration-legal&units=km"))  # a reader who picked km
    card = page.locator("li.result", has=page.locator("a.result-name", has_text=live_server.names["unlisted"]))
    expect(card.locator("p.sub strong")).to_have_text(WORDS[lang]["town"])
    expect(card).not_to_contain_text(" km")
    expect(card.locator("a[href*='openstreetmap']")).to_have_count(0)
    exact = page.locator("li.result", has=page.locator("a.result-name", has_text=live_server.names["spanish"]))
    expect(exact.locator("p.sub strong")).to_have_text(re.compile(r"^\d+(\.\d+)? km$"))
    guard.assert_all_local()


@pytest.mark.parametrize("lang", ["en", "es"])
def test_thin_results_say_so_and_the_wider_radius_works_without_javascript(guard, live_server, lang):
    words = WORDS[lang]
    page = _page(guard, lang, javascript=False)
    # Houston (the clinics are in Dallas), in km as a reader may choose
    page.goto(live_server("/search?location=77036&need=immigration-legal&units=km"))
    ways = page.locator("section.ways")
    expect(ways.locator("h2")).to_have_text(words["nothing"])
    ways.get_by_role("link", name=words["wider"]).click()
    page.wait_for_url(re.compile(r"radius_km=500"))
    names = page.locator("li.result a.result-name").all_inner_texts()
    assert live_server.names["spanish"] in names
    page.goto(live_server("/search?location=75201&need=counseling"))
    expect(page.locator("section.ways h2")).to_have_text(words["few"])
    directories = page.locator("section.ways a[href^='https://www.justice.gov/eoir/']")
    expect(directories).to_have_count(0)  # national legal directories only for legal needs
    page.goto(live_server("/search?location=77036&need=asylum"))
    expect(page.locator("section.ways a[href='https://www.justice.gov/eoir/list-pro-bono-legal-service-providers']")
           ).to_have_count(1)
    guard.assert_all_local()


@pytest.mark.parametrize("lang", ["en", "es"])
def test_someone_detained_from_the_start_page_to_the_steps_and_help_nearby(guard, live_server, lang):
    words = WORDS[lang]
    page = _page(guard, lang)
    page.goto(live_server("/"))
    page.get_by_role("link", name=words["detained_link"]).click()
    page.wait_for_url(re.compile(r"/help/detained$"))
    steps = page.locator("section.guidance")
    expect(steps.locator("ol.steps > li h3")).to_have_text(words["step_titles"])
    expect(steps.locator("a[href='https://locator.ice.gov/odls/']")).to_have_count(1)
    expect(steps.locator("a[href='tel:18008987180']")).to_have_text(re.compile("1-800-898-7180"))
    page.fill("#location", "75201")
    page.locator("form.card button[type=submit]").click()
    page.wait_for_url(re.compile(r"/search\?.*need=detention-bond"))
    expect(page.locator("section.guidance h2")).to_have_text(words["steps"])
    expect(page.locator("section.ways h2")).to_have_text(words["nothing"])
    guard.assert_all_local()
