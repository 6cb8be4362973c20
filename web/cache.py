"""The results cache in the app: built from the settings, handed to every search, reported on request.

``ranker()`` is what web.search passes to matching.engine.search, so the page's search, the wider radii
of "ways on" and the area options are all cached. Each lookup's outcome ("hit", "miss", "off",
"error") is counted on the cache (``app.extensions["amparo.results_cache"].counts``) and, only when
CACHE_SERVER_TIMING is on, sent back as ``Server-Timing: cache;desc="hit"`` (the page's own search).
It is off by default: a header saying "hit" would tell anyone that someone else searched that place
for that need a few minutes ago.
"""

from flask import Flask, current_app, g

from matching.cache import build_results_cache
from matching.index import index_version


def register(app: Flask) -> None:
    """Build the cache the settings ask for and, if asked, report its outcomes in a header."""
    app.extensions["amparo.results_cache"] = build_results_cache(app.config)
    app.after_request(_server_timing)


def ranker():
    """Return a ranker for matching.engine.search that goes through the cache and notes the outcome."""
    cache = current_app.extensions["amparo.results_cache"]

    def cached_rank(session, query, limit):
        if cache.backend is not None and "index_version" not in g:  # read once per request
            g.index_version = index_version(session)
        ranking, outcome = cache.lookup(session, query, limit, g.get("index_version"))
        g.setdefault("cache_outcomes", []).append(outcome)
        return ranking

    return cached_rank


def _server_timing(response):
    outcomes = g.get("cache_outcomes")
    if outcomes and current_app.config["CACHE_SERVER_TIMING"]:
        response.headers.add("Server-Timing", f'cache;desc="{outcomes[0]}"')
    return response
