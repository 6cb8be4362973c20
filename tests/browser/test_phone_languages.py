"""A cheap phone in English, Spanish and Arabic: the first screen, tap targets, right to left, Quick exit.

The live server here offers all eleven languages. Without a language's catalogue its pages read in
English, with the language's direction, so Arabic's layout is tested before its words are merged.
"""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.browser.conftest import _fill
from tests.browser.support import NEUTRAL_URL, LiveServer, axe_report, serve
from tests.conftest import _Database, _make_app
from web.languages import SITE_LANGUAGES

pytestmark = pytest.mark.browser

SMALL = {"width": 360, "height": 640}
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
LANGUAGES = ["en", "es", "ar"]
# Words change the layout: the first screen, the crisis bar and tap targets are measured in every language.
ALL_LANGUAGES = [language.code for language in SITE_LANGUAGES]
SEARCH = "/search?location=75201&need=immigration-legal"
TAP = 44
# Elements a finger taps. Links inside a sentence are exempt (WCAG 2.5.8 "inline"), checked apart.
TARGETS = "a[href], button, summary, select, input:not([type=hidden]), label.need-choice, label.check"
MEASURE_TARGETS = """(selector) => {
  const small = [];
  for (const el of document.querySelectorAll(selector)) {
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || el.closest('[hidden]')) continue;
    if (el.closest('details:not([open]) > :not(summary)')) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    // A radio or checkbox inside its label: the label is the target.
    if (el.matches('input[type=radio], input[type=checkbox]') && el.closest('label')) continue;
    if (el.matches('.need-choice input')) continue;
    const inline = el.tagName === 'A' && style.display === 'inline' && el.parentElement &&
      el.parentElement.textContent.trim().length > el.textContent.trim().length + 2;
    if (inline) continue;
    if (box.width < 44 - 0.5 || box.height < 44 - 0.5) {
      small.push(`${el.tagName.toLowerCase()}.${el.className || ''} "${el.textContent.trim().slice(0, 30)}" ` +
                 `${Math.round(box.width)}x${Math.round(box.height)}`);
    }
  }
  return small;
}"""


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """The app on a filled database, speaking all eleven languages."""
    database = _Database(tmp_path_factory.mktemp("phone-db"))
    try:
        services, names = _fill(database)
        codes = ",".join(language.code for language in SITE_LANGUAGES)
        app = _make_app(database, QUICK_EXIT_URL=NEUTRAL_URL, LANGUAGES=codes)
        with serve(app) as url:
            yield LiveServer(url=url, services=services, names=names)
    finally:
        database.drop()


def bottom(page, selector: str) -> float:
    return page.eval_on_selector(selector, "el => el.getBoundingClientRect().bottom")


@pytest.mark.parametrize("lang", ALL_LANGUAGES)
def test_at_360_by_640_the_place_box_and_every_need_are_on_the_first_screen(guard, live_server, lang):
    page = guard.page(viewport=SMALL)
    page.goto(live_server(f"/?lang={lang}"))
    assert bottom(page, "#location") <= SMALL["height"]
    needs = page.locator(".need-choice")
    assert needs.count() == 5
    for index in range(5):
        box = needs.nth(index).bounding_box()
        assert box["y"] >= 0, (lang, index, box)
        assert box["y"] + box["height"] <= SMALL["height"], (lang, index, box)


@pytest.mark.parametrize("lang", ALL_LANGUAGES)
def test_at_390_by_844_the_first_results_name_and_call_button_are_on_the_first_screen(guard, live_server, lang):
    page = guard.page(viewport=PHONE)
    page.goto(live_server(f"{SEARCH}&lang={lang}"))
    first = page.locator("li.result").first
    name = first.locator(".result-name").bounding_box()
    call = first.locator(".actions a.btn.primary").first
    assert "tel:" in call.get_attribute("href")
    call_box = call.bounding_box()
    assert name["y"] + name["height"] <= PHONE["height"], name
    assert call_box["y"] + call_box["height"] <= PHONE["height"], call_box


@pytest.mark.parametrize("lang", ALL_LANGUAGES)
def test_the_crisis_bar_is_one_line_on_a_phone_and_opens_without_javascript(guard, live_server, lang):
    page = guard.page(viewport=SMALL, java_script_enabled=False)
    page.goto(live_server(f"/?lang={lang}"))
    bar = page.locator(".crisis-row")
    parts = page.locator(".crisis-now, .crisis-more > summary").all()
    assert len(parts) == 3
    tops = {round(part.bounding_box()["y"]) for part in parts}
    assert len(tops) == 1, tops
    assert bar.bounding_box()["height"] <= TAP + 8
    for number in ("911", "988"):
        assert page.locator(f'.crisis-now a[href="tel:{number}"]').is_visible()
    hotline = page.locator('.crisis-more a[href="tel:18007997233"]')
    assert not hotline.is_visible()
    page.locator(".crisis-more summary").click()
    assert hotline.is_visible()
    assert page.locator('.crisis-more a[href="tel:18883737888"]').is_visible()


@pytest.mark.parametrize("lang", ALL_LANGUAGES)
def test_every_tap_target_is_at_least_44_by_44(guard, live_server, lang):
    page = guard.page(viewport=PHONE)
    for path in ("/", SEARCH, live_server.provider_path("spanish"), "/my-list", "/privacy"):
        page.goto(live_server(f"{path}{'&' if '?' in path else '?'}lang={lang}"))
        small = page.evaluate(MEASURE_TARGETS, TARGETS)
        assert small == [], (lang, path, small)


def test_arabic_reads_right_to_left_with_quick_exit_on_the_left(guard, live_server):
    page = guard.page(viewport=PHONE)
    page.goto(live_server(f"{SEARCH}&lang=ar"))
    assert page.evaluate("getComputedStyle(document.documentElement).direction") == "rtl"
    assert page.evaluate("getComputedStyle(document.querySelector('main')).direction") == "rtl"
    exit_box = page.locator("#quick-exit").bounding_box()
    assert exit_box["x"] < PHONE["width"] / 2, exit_box
    brand = page.locator(".brand").bounding_box()
    assert brand["x"] > PHONE["width"] / 2, brand
    # Nothing sticks out sideways, and numbers keep reading left to right.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone = page.locator("li.result .actions a.btn.primary span[dir=ltr]").first
    assert phone.evaluate("el => getComputedStyle(el).direction") == "ltr"
    assert page.locator('.crisis-now a[href="tel:911"]').evaluate("el => getComputedStyle(el).direction") == "ltr"


def test_english_reads_left_to_right(guard, live_server):
    page = guard.page(viewport=PHONE)
    page.goto(live_server("/?lang=en"))
    assert page.evaluate("getComputedStyle(document.documentElement).direction") == "ltr"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_after_search_provider_and_quick_exit_back_shows_no_amparo_page(guard, live_server, lang):
    page = guard.page(viewport=PHONE)
    page.goto(live_server(f"/?lang={lang}"))
    page.fill("#location", "75201")
    page.locator("form#search button[type=submit]").click()
    page.wait_for_url("**/search?**")
    assert "Dallas" not in page.title()
    assert "75201" not in page.title()
    page.locator("li.result .result-name").first.click()
    page.wait_for_url("**/provider/**")
    assert page.evaluate("history.length") == 2  # the blank start page and one entry for all of Amparo
    page.locator("#quick-exit").click()
    page.wait_for_url(NEUTRAL_URL)
    page.go_back()
    assert not page.url.startswith(live_server.url), page.url
    assert page.locator("#quick-exit").count() == 0


def test_without_javascript_the_language_picker_and_search_still_work(guard, live_server):
    page = guard.page(viewport=SMALL, java_script_enabled=False)
    page.goto(live_server("/"))
    page.locator(".langs summary").click()
    page.locator('.lang-list a[lang="ar"]').click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")  # waits for the page the link leads to
    page.fill("#location", "75201")
    page.locator("form#search button[type=submit]").click()
    # Wait for the results page: counting at once could count the start page's (none), as CI once did.
    page.wait_for_url("**/search?**")
    expect(page.locator("li.result").first).to_be_visible()
    assert page.evaluate("document.documentElement.lang") == "ar"


def test_clear_my_list_on_quick_exit_forgets_the_list_and_the_language(guard, live_server):
    context = guard.context(viewport=PHONE)
    page = context.new_page()
    page.goto(live_server("/language/es?next=/my-list"))
    assert any(cookie["name"] == "lang" for cookie in context.cookies())
    page.goto(live_server(SEARCH))
    page.locator("li.result [data-save]").first.click()
    page.goto(live_server("/my-list"))
    box = page.locator("#clear-on-exit")
    assert not box.is_checked()
    box.check()
    assert page.locator("#my-list li").count() == 1
    page.locator("#quick-exit").click()
    page.wait_for_url(NEUTRAL_URL)
    assert not any(cookie["name"] == "lang" for cookie in context.cookies())
    page.goto(live_server("/my-list"))
    assert page.locator("#my-list li").count() == 0
    assert page.evaluate("document.documentElement.lang") == "en"


def test_a_victim_support_search_turns_clear_on_exit_on(guard, live_server):
    page = guard.page(viewport=PHONE)
    page.goto(live_server("/search?location=75201&need=domestic-violence"))
    page.goto(live_server("/my-list"))
    assert page.locator("#clear-on-exit").is_checked()


SEEKER_PAGES = ["/", SEARCH, SEARCH + "&view=map", "/my-list", "/privacy", "/help/credentials", "/referral/status",
                "/report/translation?page=/", "/search?location=zzzz&need=crisis"]  # fmt: skip


@pytest.mark.parametrize("lang", [language.code for language in SITE_LANGUAGES])
def test_seeker_pages_have_no_axe_violations(guard, live_server, lang):
    axe = Axe()
    page = guard.page(viewport=PHONE)
    pages = [*SEEKER_PAGES, live_server.provider_path("spanish"), live_server.provider_path("spanish") + "/report"]
    for path in pages:
        page.goto(live_server(f"{path}{'&' if '?' in path else '?'}lang={lang}"))
        report = axe_report(page, axe)
        assert report is None, f"{lang} {path}:\n{report}"
    guard.assert_all_local()
