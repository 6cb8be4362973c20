"""Keyboard only, and 200% zoom: a person who cannot use a mouse or needs large text still gets help."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def _tab_to(page, selector: str, limit: int = 40) -> None:
    """Press Tab until the element matching ``selector`` has focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_a_keyboard_only_seeker_can_search_and_open_a_provider(guard, live_server):
    page = guard.page(viewport={"width": 1280, "height": 900})
    page.goto(live_server("/"))
    _tab_to(page, "#location")
    page.keyboard.type("75201")
    _tab_to(page, "input[name=need]")
    page.keyboard.press("ArrowDown")  # from the first need to the second: "a lawyer for another problem"
    page.keyboard.press("ArrowUp")  # and back to immigration
    expect(page.locator("input[name=need][value=immigration-legal]")).to_be_checked()
    _tab_to(page, "form#search button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search\?"))
    _tab_to(page, "a.result-name")
    focused_outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert focused_outline != "none"  # the focus can be seen
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/provider/"))
    expect(page.locator("h1")).to_be_visible()
    guard.assert_all_local()


@pytest.mark.parametrize("path", ["/", "/search?location=75201&need=immigration-legal", "/privacy"])
def test_pages_reflow_at_200_percent_zoom(guard, live_server, path):
    # 200% zoom on a 1280 px window is a 640 CSS px viewport with twice the pixels.
    page = guard.page(viewport={"width": 640, "height": 450}, device_scale_factor=2)
    page.goto(live_server(path))
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 640
    box = page.locator("#quick-exit").bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 640
    guard.assert_all_local()
