"""Names the browser tests share (kept out of conftest.py, which pytest imports under its own name)."""

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from flask import Flask
from werkzeug.serving import make_server

NEUTRAL_URL = "https://neutral.test/"
NEUTRAL_PAGE = "<!doctype html><html lang=en><head><title>Weather</title></head><body><h1>Weather</h1></body></html>"
PASSWORD = "correct horse battery"


@dataclass
class LiveServer:
    """The running app: its base URL and the ids of the services the tests look for."""

    url: str
    services: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)

    def __call__(self, path: str = "/") -> str:
        return self.url + path

    def provider_path(self, key: str) -> str:
        return f"/provider/{self.services[key]}"


def path_of(url: str) -> str:
    """The path and query of a URL, for comparing pages across hosts."""
    return re.sub(r"^[a-z]+://[^/]+", "", url)


@contextmanager
def serve(app: Flask) -> Iterator[str]:
    """Serve an app with werkzeug on a free port of 127.0.0.1, in a daemon thread; yield its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="amparo-live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def log_in(page, base_url: str, email: str, password: str = PASSWORD) -> None:
    """Log a page in through the real form and wait until the login page is left."""
    page.goto(base_url + "/account/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/account/login" not in url)


def axe_report(page, axe) -> str | None:
    """Run axe-core on the page; return its report when it finds violations, else None."""
    results = axe.run(page)
    assert results.response["passes"], "axe-core did not run"
    return results.generate_report() if results.violations_count else None
