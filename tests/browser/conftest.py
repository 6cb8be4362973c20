"""Browser fixtures: a live Amparo on 127.0.0.1, Debian's Chromium, and a guard that keeps every request local.

One browser per test session, one live server (on a database of its own) per test module, and a fresh
browser context per test. Every context goes through ``guard``: requests to the live server continue,
the quick-exit page is answered with a tiny local page, and anything else is aborted and recorded, so a
test can assert that no request left 127.0.0.1.
"""

import os
from pathlib import Path

import pytest
from sqlmodel import Session

from models import Organization
from tests.browser.support import NEUTRAL_PAGE, NEUTRAL_URL, LiveServer, serve
from tests.conftest import _Database, _make_app
from tests.factories import make_service

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DALLAS = (32.7883, -96.7996)


def _fill(database: _Database) -> tuple[dict[str, str], dict[str, str]]:
    """Five Dallas services: three immigration (free Spanish, paid English, one that lists no language and
    is placed only at its ZIP centre), a hidden shelter, a counselor."""
    lat, lon = DALLAS
    weekdays = [(day, "09:00", "17:00") for day in ("MO", "TU", "WE", "TH", "FR")]
    with Session(database.engine, expire_on_commit=False) as session:
        made = {
            "spanish": make_service(
                session, name="Clínica Legal Esperanza", needs=["asylum"], lat=lat + 0.004, lon=lon + 0.003,
                languages=["es", "en"], cost="free", credentials=["doj-recognized"], capacity="accepting",
                hours=weekdays,
            ),
            "paid": make_service(
                session, name="Paid Immigration Office", needs=["asylum"], lat=lat - 0.003, lon=lon - 0.002,
                languages=["en"], cost="fee",
            ),
            "shelter": make_service(
                session, name="Safe Harbor Shelter", needs=["domestic-violence"], lat=lat + 0.01, lon=lon - 0.01,
                confidential=True, street="42 Hidden Lane", public_phone="800-555-0123", cost="free",
            ),
            "unlisted": make_service(
                session, name="Centro Comunitario Sin Idiomas", needs=["asylum"], lat=lat + 0.006, lon=lon - 0.004,
                precision="zip", street="",
            ),
            "counseling": make_service(
                session, name="Oak Cliff Counseling", needs=["counseling"], lat=lat - 0.02, lon=lon + 0.01,
                languages=["en", "es"], cost="sliding-scale",
            ),
        }
        names = {
            key: session.get(Organization, service.organization_id).name for key, service in made.items()
        }
    return {key: service.id for key, service in made.items()}, names


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """The app on a fresh, filled database, served by werkzeug on 127.0.0.1 in a daemon thread."""
    database = _Database(tmp_path_factory.mktemp("browser-db"))
    try:
        services, names = _fill(database)
        app = _make_app(database, QUICK_EXIT_URL=NEUTRAL_URL)
        with serve(app) as url:
            yield LiveServer(url=url, services=services, names=names)
    finally:
        database.drop()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, driven by Playwright, shared by the whole session."""
    if not CHROMIUM.exists():
        if os.environ.get("AMPARO_SKIP_BROWSER") == "1":
            pytest.skip("AMPARO_SKIP_BROWSER=1 and /usr/bin/chromium is missing")
        pytest.fail(
            "Browser tests need Debian's Chromium at /usr/bin/chromium: run `make browser` (or `make test`), "
            "or set AMPARO_SKIP_BROWSER=1 to skip them.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        found = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield found
        finally:
            found.close()
    finally:
        playwright.stop()


class Guard:
    """Opens browser contexts whose requests may only go to the live server."""

    def __init__(self, browser, base_url: str):
        self.browser = browser
        self.origin = base_url.rstrip("/")
        self.blocked: list[str] = []
        self.contexts: list = []

    def _route(self, route):
        url = route.request.url
        if url == self.origin or url.startswith(self.origin + "/"):
            route.continue_()
        elif url == NEUTRAL_URL:
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=NEUTRAL_PAGE)
        else:
            self.blocked.append(url)
            route.abort("blockedbyclient")

    def context(self, **options):
        """A new browser context (kwargs go to ``browser.new_context``) behind the guard."""
        context = self.browser.new_context(**options)
        context.route("**/*", self._route)
        self.contexts.append(context)
        return context

    def page(self, **options):
        """A new page in a new guarded context."""
        return self.context(**options).new_page()

    def assert_all_local(self):
        assert self.blocked == [], f"requests tried to leave 127.0.0.1: {self.blocked}"

    def close(self):
        for context in self.contexts:
            context.close()
        self.contexts.clear()


@pytest.fixture
def guard(browser, live_server):
    """The network guard: every browser test opens its contexts through it."""
    found = Guard(browser, live_server.url)
    try:
        yield found
    finally:
        found.close()
    # A safety net for tests that forget: nothing may have left 127.0.0.1.
    found.assert_all_local()



def pytest_collection_modifyitems(items):
    """The live server's threads may leave a static file unclosed when the browser leaves mid-response
    (quick exit does exactly that); that is the dev server's business, not a failure of the page."""
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.filterwarnings("ignore:unclosed file:ResourceWarning"))
            item.add_marker(pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"))
