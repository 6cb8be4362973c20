"""The results cache in the app: built from the settings, handed to every search, reported on request.

``ranker()`` is what web.search passes to matching.engine.search, so the page's search, the wider radii
of "ways on" and the area options are all cached. Each lookup's outcome ("hit", "miss", "off",
"error") is counted on the cache (``app.extensions["amparo.results_cache"].counts``) and, only when
CACHE_SERVER_TIMING is on, sent back as ``Server-Timing: cache;desc="hit"`` (the page's own search).
It is off by default: a header saying "hit" would tell anyone that someone else searched that place
for that need a few minutes ago.

``facts()`` hands the searches the process's FactsMemo bound to the request's directory version (the
rows and details of results already shown), when the cache is on; ``answers()`` another one, for whole
answers of the current minute (web.search.run_search), smaller: an answer weighs some 30 times a fact.
"""

from datetime import datetime

from flask import Flask, current_app, g

from matching.cache import FactsMemo, build_results_cache
from matching.index import index_version

ANSWERS_KEPT = 256  # whole answers kept per process (about 50 KB each in memory: 12 MB at most)


def register(app: Flask) -> None:
    """Build the cache the settings ask for and, if asked, report its outcomes in a header."""
    app.extensions["amparo.results_cache"] = build_results_cache(app.config)
    app.extensions["amparo.facts"] = FactsMemo()
    app.extensions["amparo.answers"] = FactsMemo(size=ANSWERS_KEPT)
    app.after_request(_server_timing)


def ranker():
    """Return a ranker for matching.engine.search that goes through the cache and notes the outcome."""
    cache = current_app.extensions["amparo.results_cache"]

    def cached_rank(session, query, limit):
        request_version(session)
        ranking, outcome = cache.lookup(session, query, limit, g.get("index_version"))
        g.setdefault("cache_outcomes", []).append(outcome)
        return ranking

    return cached_rank


def request_version(session) -> str | None:
    """Return the directory's version, read once per request; None when the cache is off (nothing kept)."""
    if current_app.extensions["amparo.results_cache"].backend is None:
        return None
    if "index_version" not in g:
        g.index_version = index_version(session)
    return g.index_version


def facts(session):
    """Return the facts memo bound to this request's directory version, or None when the cache is off."""
    version = request_version(session)
    return None if version is None else current_app.extensions["amparo.facts"].bound(version)


def answers(session, minute: datetime):
    """Return the answers memo bound to this request's version and minute, or None when the cache is off.

    Bound to the minute as well as the version: a new minute empties it, so that no one's search is
    kept in memory for longer than the minute its answer holds for.
    """
    version = request_version(session)
    if version is None:
        return None
    return current_app.extensions["amparo.answers"].bound(f"{version} {minute.isoformat()}")


def note_hit() -> None:
    """Note a search answered from memory (a kept answer) among the request's cache outcomes."""
    g.setdefault("cache_outcomes", []).append("hit")


def _server_timing(response):
    outcomes = g.get("cache_outcomes")
    if outcomes and current_app.config["CACHE_SERVER_TIMING"]:
        response.headers.add("Server-Timing", f'cache;desc="{outcomes[0]}"')
    return response
