"""Names the browser tests share (kept out of conftest.py, which pytest imports under its own name)."""

import re

NEUTRAL_URL = "https://neutral.test/"
NEUTRAL_PAGE = "<!doctype html><html lang=en><head><title>Weather</title></head><body><h1>Weather</h1></body></html>"


def path_of(url: str) -> str:
    """The path and query of a URL, for comparing pages across hosts."""
    return re.sub(r"^[a-z]+://[^/]+", "", url)
