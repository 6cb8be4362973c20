"""A person looking for help, in a real browser: search, filter, open a provider, leave fast, save a place.

Every test opens its browser contexts through ``guard`` and ends by asserting that no request left
127.0.0.1 (the quick-exit page is answered locally).
"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.support import NEUTRAL_URL, path_of

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SEARCH = "/search?location=75201&need=immigration-legal"


def _result_names(page) -> list[str]:
    return [name.strip() for name in page.locator("ol#results li.result a.result-name").all_inner_texts()]


def _search_from_start_page(page, live_server):
    """Type a ZIP, pick "immigration legal help" by its label, search, then filter free + Spanish."""
    page.goto(live_server("/"))
    page.fill("#location", "75201")
    page.locator("label.need-choice", has=page.locator("input[name=need][value=immigration-legal]")).click()
    expect(page.locator("input[name=need][value=immigration-legal]")).to_be_checked()
    page.locator("form#search button[type=submit]").click()
    page.wait_for_url(re.compile(r"/search\?"))
    expect(page.locator("ol#results li.result").first).to_be_visible()

    page.locator("details#filters-box > summary").click()
    filters = page.locator("form#filters")
    expect(filters).to_be_visible()
    filters.locator("label.check", has=page.locator("input[name=cost][value=free]")).click()
    expect(filters.locator("input[name=cost][value=free]")).to_be_checked()
    filters.locator("select#f-language").select_option("es")
    filters.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"cost=free"))
    assert "cost=free" in page.url
    assert "language=es" in page.url
    names = _result_names(page)
    assert live_server.names["spanish"] in names
    assert live_server.names["paid"] not in names


def _open_spanish_provider(page, live_server):
    page.locator("a.result-name", has_text=live_server.names["spanish"]).click()
    page.wait_for_url(re.compile(re.escape(live_server.provider_path("spanish")) + "$"))
    expect(page.locator("h1")).to_have_text(live_server.names["spanish"])


def test_spanish_seeker_on_a_phone_searches_filters_opens_a_provider_and_quick_exits(guard, live_server):
    page = guard.page(viewport=PHONE, locale="es-ES", extra_http_headers={"Accept-Language": "es"},
                      java_script_enabled=True)
    english = guard.page(viewport=PHONE)
    english.goto(live_server("/"))
    assert english.locator("html").get_attribute("lang") == "en"
    english_h1 = english.locator("h1").inner_text()

    page.goto(live_server("/"))
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.locator("h1").inner_text() != english_h1, "the start page's h1 is not translated into Spanish"
    assert page.locator(".langs [aria-current=true]").get_attribute("lang") == "es"

    _search_from_start_page(page, live_server)
    assert page.locator("html").get_attribute("lang") == "es"
    _open_spanish_provider(page, live_server)
    assert page.locator("html").get_attribute("lang") == "es"

    page.locator("#quick-exit").click()
    page.wait_for_url(NEUTRAL_URL)
    expect(page).to_have_title("Weather")
    page.go_back()
    page.wait_for_load_state()
    assert live_server.provider_path("spanish") not in page.url
    guard.assert_all_local()


def test_the_same_search_works_with_javascript_off(guard, live_server):
    page = guard.page(viewport=PHONE, java_script_enabled=False)
    _search_from_start_page(page, live_server)
    assert page.locator("html").get_attribute("lang") == "en"
    _open_spanish_provider(page, live_server)

    exit_link = page.locator("a#quick-exit")
    assert exit_link.get_attribute("href") == NEUTRAL_URL
    exit_link.click()
    page.wait_for_url(NEUTRAL_URL)
    expect(page).to_have_title("Weather")
    guard.assert_all_local()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_pressing_escape_twice_leaves_the_site(guard, live_server, viewport):
    page = guard.page(viewport=viewport)
    page.goto(live_server(SEARCH))
    page.goto(live_server(live_server.provider_path("spanish")))
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    page.wait_for_url(NEUTRAL_URL)
    expect(page).to_have_title("Weather")
    page.go_back()
    page.wait_for_load_state()
    assert live_server.provider_path("spanish") not in page.url
    guard.assert_all_local()


def test_one_escape_alone_does_not_leave(guard, live_server):
    page = guard.page(viewport=PHONE)
    page.goto(live_server("/privacy"))
    page.keyboard.press("Escape")
    page.wait_for_timeout(1700)
    page.keyboard.press("Escape")
    page.wait_for_timeout(300)
    assert path_of(page.url) == "/privacy"
    guard.assert_all_local()


def test_searching_sets_no_cookie_and_picking_a_language_sets_one(guard, live_server):
    context = guard.context(viewport=PHONE)
    page = context.new_page()
    page.goto(live_server("/"))
    page.fill("#location", "75201")
    page.locator("form#search button[type=submit]").click()
    page.wait_for_url(re.compile(r"/search\?"))
    page.goto(live_server(SEARCH))
    _open_spanish_provider(page, live_server)
    assert context.cookies() == []

    page.locator(".langs summary").click()  # the picker is one compact control
    page.locator(".lang-list a[lang=es]").click()
    page.wait_for_url(re.compile(re.escape(live_server.provider_path("spanish")) + "$"))
    assert page.locator("html").get_attribute("lang") == "es"
    cookies = context.cookies()
    assert [(cookie["name"], cookie["value"]) for cookie in cookies] == [("lang", "es")]
    assert cookies[0]["httpOnly"] is False  # Quick exit may delete it when the person asked for that
    assert cookies[0]["sameSite"] == "Lax"
    guard.assert_all_local()


def test_my_list_is_kept_in_the_browser_only(guard, live_server):
    context = guard.context(viewport=PHONE)
    page = context.new_page()
    sent = []
    page.on("request", lambda request: sent.append((request.method, request.url, request.post_data)))
    page.goto(live_server(SEARCH))
    spanish = page.locator("li.result", has=page.locator("a.result-name", has_text=live_server.names["spanish"]))
    save = spanish.locator("[data-save]")
    expect(save).to_be_visible()
    save.click()
    expect(save).to_have_attribute("aria-pressed", "true")

    page.goto(live_server("/my-list"))
    saved = page.locator("#my-list a", has_text=live_server.names["spanish"])
    expect(saved).to_be_visible()
    assert saved.get_attribute("href") == live_server.provider_path("spanish")
    expect(page.locator("#my-list")).not_to_contain_text(live_server.names["paid"])
    # Saving sent nothing: only page loads (GET, no body) and no cookie.
    assert all(method == "GET" and body is None for method, _url, body in sent)
    assert context.cookies() == []
    guard.assert_all_local()
