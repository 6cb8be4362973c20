"""Every page in a real browser: weight, the lazy map, the Content Security Policy, and axe-core."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.support import path_of

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SEARCH = "/search?location=75201&need=immigration-legal"
LEAFLET_JS = "/static/vendor/leaflet/leaflet.js"
# Uncompressed (what the phone parses); over the wire it is about a third (tests/test_production.py: 20 KB).
FIRST_LOAD_BUDGET = 64 * 1024


def test_results_page_first_load_is_at_most_64_kb(guard, live_server):
    page = guard.page(viewport=PHONE)
    responses = []
    page.on("response", lambda response: responses.append(response))
    page.goto(live_server(SEARCH), wait_until="networkidle")
    assert page.locator("ol#results li.result").count() >= 2

    counted = {
        path_of(response.url): len(response.body())
        for response in responses
        if response.request.resource_type in ("document", "stylesheet", "script")
    }
    assert path_of(page.url) in counted, counted
    assert any(path.split("?")[0].endswith(".css") for path in counted), counted
    assert any(path.split("?")[0].endswith(".js") for path in counted), counted
    assert sum(counted.values()) <= FIRST_LOAD_BUDGET, counted
    requested = [path_of(response.url) for response in responses]
    assert not any(LEAFLET_JS in path for path in requested), requested
    assert not any("leaflet" in path for path in requested), requested

    responses.clear()
    page.goto(live_server(SEARCH + "&view=map"), wait_until="networkidle")
    requested = [response.url for response in responses]
    assert any(path_of(url).split("?")[0] == LEAFLET_JS for url in requested), requested
    markers = page.locator("#map path.leaflet-interactive")
    markers.first.wait_for()
    # The searched place is drawn in red; each result with a site in teal (#0b5d66).
    assert markers.count() >= 2
    assert page.locator('#map path.leaflet-interactive[fill="#0b5d66"]').count() >= 1
    assert page.locator("#map img.leaflet-tile").count() == 0
    assert not [url for url in requested if re.search(r"/\d+/\d+/\d+\.(png|jpe?g|webp)", url)], requested
    assert all(url.startswith(live_server.url + "/") for url in requested), requested
    guard.assert_all_local()


# Reports every CSP violation on the console too, in case the browser's own message changes wording.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", function (event) {
  console.error("Content Security Policy: Refused to load " + event.blockedURI + " (" + event.violatedDirective + ")");
});
"""
CSP_PROBE = (
    "<!doctype html><html lang=en><head><title>probe</title></head><body>"
    "<script>document.title = 'inline ran';</script><p style='color: red'>probe</p></body></html>"
)


def _csp_pages(live_server) -> list[str]:
    spanish = live_server.provider_path("spanish")
    return [
        "/", "/?lang=es", SEARCH, SEARCH + "&cost=free&language=es", SEARCH + "&view=map",
        "/search?location=75201&need=domestic-violence", "/search?location=zzzz&need=crisis",
        SEARCH + "&language=es", "/search?location=77036&need=asylum", "/search?location=75201&need=detention-bond",
        "/help/detained",
        spanish, live_server.provider_path("shelter"), spanish + "/report", "/privacy", "/help/credentials",
        "/my-list", "/no-such-page",
    ]


def test_pages_have_no_csp_violations(guard, live_server):
    context = guard.context(viewport=PHONE)
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    messages = []
    page.on("console", lambda message: messages.append(f"{page.url}: [{message.type}] {message.text}"))
    page.on("pageerror", lambda error: messages.append(f"{page.url}: [pageerror] {error}"))

    # First prove the listener hears a violation: a local page with an inline script, under the app's CSP.
    csp = _csp_header(page, live_server)
    page.route(live_server("/__csp-probe"), lambda route: route.fulfill(
        status=200, content_type="text/html", body=CSP_PROBE, headers={"Content-Security-Policy": csp}))
    page.goto(live_server("/__csp-probe"), wait_until="load")
    page.wait_for_timeout(100)
    assert page.title() == "probe"
    assert any("Refused to" in message or "Content Security Policy" in message for message in messages), messages
    page.unroute(live_server("/__csp-probe"))
    messages.clear()

    for path in _csp_pages(live_server):
        page.goto(live_server(path), wait_until="load")
        if "view=map" in path:
            page.locator("#map path.leaflet-interactive").first.wait_for()
    # The save button and my list run their JavaScript too.
    page.goto(live_server(SEARCH), wait_until="load")
    page.locator("[data-save]").first.click()
    page.goto(live_server("/my-list"), wait_until="load")
    page.locator("#my-list a").first.wait_for()

    problems = [message for message in messages if "Content Security Policy" in message or "Refused to" in message]
    assert problems == []
    errors = [message for message in messages if "[pageerror]" in message]
    assert errors == []
    guard.assert_all_local()


def _csp_header(page, live_server) -> str:
    response = page.goto(live_server("/privacy"))
    return response.headers["content-security-policy"]


AXE_PAGES = {
    "start": "/",
    "results": SEARCH,
    "results-tiers": SEARCH + "&language=es&accepting=y",
    "results-thin": "/search?location=75201&need=counseling",
    "results-none": "/search?location=77036&need=asylum",
    "detention-search": "/search?location=75201&need=detention-bond",
    "detained": "/help/detained",
    "provider": None,  # the Spanish-speaking provider's page, known once the server is up
    "privacy": "/privacy",
    "error": "/no-such-page",
}


@pytest.fixture(scope="module")
def axe():
    return Axe()


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("name", list(AXE_PAGES))
def test_axe_finds_no_violations(guard, live_server, axe, name, lang):
    path = AXE_PAGES[name] or live_server.provider_path("spanish")
    separator = "&" if "?" in path else "?"
    # page.evaluate() runs axe through the DevTools protocol, which the page's CSP does not govern,
    # so the app's strict CSP stays on here (bypass_csp is not needed).
    page = guard.page(viewport=PHONE)
    response = page.goto(live_server(f"{path}{separator}lang={lang}"), wait_until="load")
    assert response.status == (404 if name == "error" else 200)
    assert page.locator("html").get_attribute("lang") == lang

    reports = []
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        results = axe.run(page)
        assert results.response["passes"], "axe-core did not run"
        if results.violations_count:
            reports.append(f"--- {name} ({lang}) at {viewport['width']}px ---\n{results.generate_report()}")
    assert not reports, "\n".join(reports)
    guard.assert_all_local()


# Lists the elements that stick out to the right of the window (WCAG 1.4.10 Reflow).
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    if (el.closest("#map")) continue;  // Leaflet's panes are wider than the map box, which clips them
    const box = el.getBoundingClientRect();
    if (box.width && box.right > width + 1) {
      out.push(el.tagName.toLowerCase() + "." + el.className + " → " + Math.round(box.right));
    }
  }
  return {scroll: document.documentElement.scrollWidth, width: width, out: out.slice(0, 10)};
}"""


@pytest.mark.parametrize("lang", ["en", "es"])
def test_no_page_scrolls_sideways_on_a_320px_phone_and_quick_exit_is_on_screen(guard, live_server, lang):
    page = guard.page(viewport={"width": 320, "height": 640})
    paths = ["/", SEARCH, SEARCH + "&view=map", SEARCH + "&language=es", "/search?location=77036&need=asylum",
             "/search?location=75201&need=detention-bond", "/help/detained", live_server.provider_path("spanish"),
             live_server.provider_path("shelter"), "/help/credentials", "/privacy", "/my-list", "/no-such-page"]
    problems = {}
    for path in paths:
        separator = "&" if "?" in path else "?"
        page.goto(live_server(f"{path}{separator}lang={lang}"), wait_until="load")
        found = page.evaluate(OVERFLOW)
        box = page.locator("#quick-exit").bounding_box()
        if found["scroll"] > found["width"] or found["out"] or box["x"] + box["width"] > found["width"]:
            problems[path] = found
    assert problems == {}
    guard.assert_all_local()
