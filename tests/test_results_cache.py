"""The results cache (matching.cache): hits on repeat, misses after any listing change, no trace of a seeker.

The acceptance test runs two app processes on one database and one Redis: what one process ranked, the
other answers from the cache, and a listing change made anywhere makes both rank afresh.
"""

import logging
import urllib.request
import uuid
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from matching.cache import FactsMemo, MemoryBackend, ResultsCache, build_results_cache, rounded
from matching.engine import Ranking, SearchQuery, rank
from matching.index import index_version, rebuild_index, reindex_services
from models import Organization, Service
from tests import test_listings
from tests.conftest import REDIS_URL, assert_one_rate_limit, require_redis
from tests.factories import make_service
from tests.test_listings import _edit_form, _log_in, _post

world = test_listings.world  # the listings' fixture: an organization's owner, a verified listing in Dallas

SEARCH = "/api/v1/search?location=75201&need=asylum"


def _timing(response) -> str:
    """Return the outcome of the page's own search, from its Server-Timing header."""
    header = response.headers["Server-Timing"]
    assert header.startswith('cache;desc="')
    return header.removeprefix('cache;desc="').removesuffix('"')


@pytest.fixture
def timed(app):
    """The test's app, saying in a header whether a search came from the cache."""
    app.config["CACHE_SERVER_TIMING"] = True
    return app


def _names(response) -> list[str]:
    return [result["organization_name"] for result in response.get_json()["results"]]


def _dallas(session, app, name: str = "Alpha Legal", **fields) -> Service:
    with app.app_context():
        service = make_service(session, name=name, needs=["asylum"], lat=32.80, lon=-96.80, **fields)
    session.commit()
    return service


def test_a_repeated_search_is_a_hit_with_the_same_answer_on_the_api_and_the_page(timed, client, session):
    _dallas(session, timed)
    first, second = client.get(SEARCH), client.get(SEARCH)
    assert (_timing(first), _timing(second)) == ("miss", "hit")
    assert first.get_json() == second.get_json()
    assert _names(second) == ["Alpha Legal"]
    page = "/search?location=75201&need=asylum"
    # The page asks the same question (the engine ranks up to RESULT_CAP for both): the API's answer serves it.
    assert [_timing(client.get(page)) for _ in range(2)] == ["hit", "hit"]


def test_the_header_is_off_by_default(client, app, session):
    _dallas(session, app)
    assert "Server-Timing" not in client.get(SEARCH).headers


def test_an_edit_through_the_staff_pages_makes_the_next_search_miss(timed, client, session, world):
    search = SEARCH + "&accepting=y"
    assert _timing(client.get(search)) == "miss"
    assert _timing(client.get(search)) == "hit"
    _log_in(client, "a@example.org")
    response = _post(client, f"/manage/services/{world['service'].id}/capacity", {"capacity": "accepting"})
    assert response.status_code == 302
    after = client.get(search)
    assert _timing(after) == "miss"
    assert "Alpha Legal" in _names(after)


def test_a_cached_answer_shows_a_changed_phone_and_website_at_once(timed, client, session, world):
    """The details of results are kept per directory version (FactsMemo): an edit shows at the next search."""
    long_ago = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    for model in (Service, Organization):
        session.execute(update(model).values(last_modified=long_ago))
    session.commit()
    first = client.get(SEARCH)
    assert first.last_modified == long_ago
    assert _timing(client.get(SEARCH)) == "hit"
    _log_in(client, "a@example.org")
    for url, changes in (
        (f"/manage/services/{world['service'].id}", {"phones-0-number": ["214-555-0142"]}),
        (f"/manage/organizations/{world['org'].id}", {"website": ["https://alpha-legal.example.org/help"]}),
    ):
        form = _edit_form(client, url)
        form.update(changes)
        assert client.post(url, data=form).status_code == 302
    after = client.get(SEARCH)
    assert _timing(after) == "miss"
    alpha = next(result for result in after.get_json()["results"] if result["organization_name"] == "Alpha Legal")
    assert [phone["number"] for phone in alpha["phones"]] == ["214-555-0142", "214-555-0100"]  # the service's first
    assert alpha["website"] == "https://alpha-legal.example.org/help"
    # Last-Modified is kept per version too: it moved with the edit.
    assert after.last_modified > long_ago
    assert client.get(SEARCH).get_json() == after.get_json()


def test_a_search_answered_from_the_cache_reads_only_the_version(timed, client, session, app):
    """Ranking, index rows, details and Last-Modified of a repeated search come from memory: one query."""
    from sqlalchemy import event

    _dallas(session, timed)
    client.get(SEARCH)
    statements = []
    engine = app.config["ENGINE"]
    listener = lambda *args: statements.append(args[2])  # noqa: E731  (before_cursor_execute's statement)
    event.listen(engine, "before_cursor_execute", listener)
    try:
        again = client.get(SEARCH)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert _timing(again) == "hit"
    assert len(statements) == 1, statements
    assert "directory_state" in statements[0]


def test_a_kept_answer_is_worded_per_language_and_units_and_lasts_its_minute(timed, client, session, monkeypatch):
    """Whole answers are kept (web.search.run_search) per language, units and minute, never across them."""
    import web.search

    _dallas(session, timed)
    answered = []
    real_answer = web.search.answer
    monkeypatch.setattr(web.search, "answer", lambda *args: answered.append(args[1].now) or real_answer(*args))
    minute = datetime(2026, 12, 1, 16, 59, 30, tzinfo=UTC)

    class Clock(datetime):
        @classmethod
        def now(cls, tz=None):
            return minute

    monkeypatch.setattr(web.search, "datetime", Clock)
    english = client.get(SEARCH).get_json()
    assert english == client.get(SEARCH).get_json()
    assert len(answered) == 1
    spanish = client.get(SEARCH + "&lang=es").get_json()
    assert spanish["results"][0]["needs"][0]["label"] != english["results"][0]["needs"][0]["label"]
    kilometres = client.get(SEARCH + "&units=km").get_json()
    assert "km" in " ".join(kilometres["results"][0]["reasons"])
    assert "km" not in " ".join(english["results"][0]["reasons"])
    assert len(answered) == 3
    minute = datetime(2026, 12, 1, 17, 0, 5, tzinfo=UTC)
    client.get(SEARCH)
    assert answered[-1] == datetime(2026, 12, 1, 17, 0, tzinfo=UTC)  # a new minute: answered again, as of it
    assert len(answered) == 4
    # and the last minute's answers are gone from memory: no search is kept past its minute
    assert len(timed.extensions["amparo.answers"]) == 1


def test_the_facts_memo_keeps_one_version_and_reads_only_what_it_lacks():
    memo = FactsMemo(size=3)
    reads = []

    def fetch(keys):
        reads.append(list(keys))
        return {key: f"{key}@v" for key in keys if key != "gone"}

    assert memo.read("1", "row", ["a", "b", "gone"], fetch) == {"a": "a@v", "b": "b@v"}
    assert memo.read("1", "row", ["a", "b", "c"], fetch) == {"a": "a@v", "b": "b@v", "c": "c@v"}
    assert reads == [["a", "b", "gone"], ["c"]]
    assert memo.read("1", "details", ["a"], fetch) == {"a": "a@v"}  # kinds are apart
    assert reads[-1] == ["a"]  # and past the bound (3), it started again empty
    memo.read("2", "row", ["a"], fetch)  # another version: read again
    assert reads[-1] == ["a"]
    assert memo.read("2", "row", ["a"], fetch) == {"a": "a@v"}
    assert len(reads) == 4


def test_an_import_makes_the_next_search_miss(timed, client, session):
    from seed.load import load_providers, read_bundles

    _dallas(session, timed)
    wide = "/api/v1/search?location=75201&radius_km=30"
    before = client.get(wide)
    assert _timing(client.get(wide)) == "hit"
    dallas = [bundle for bundle in read_bundles() if bundle["key"].startswith("tx/dallas/")][:5]
    assert dallas, "the bundled directory has providers in Dallas"
    load_providers(session, dallas)  # the bulk path: COPY on PostgreSQL
    session.commit()
    after = client.get(wide)
    assert _timing(after) == "miss"
    assert after.get_json()["total"] > before.get_json()["total"]


def test_a_reindex_and_a_rebuild_make_the_next_search_miss(timed, client, session):
    from matching.bulk_index import rebuild_index_in_batches

    service = _dallas(session, timed)
    assert [_timing(client.get(SEARCH)) for _ in range(2)] == ["miss", "hit"]
    for write in (
        lambda: reindex_services(session, [service.id]),
        lambda: rebuild_index(session),
        lambda: rebuild_index_in_batches(session),
    ):
        version = index_version(session)
        write()
        session.commit()
        assert index_version(session) != version
        assert [_timing(client.get(SEARCH)) for _ in range(2)] == ["miss", "hit"]


def test_a_change_rolled_back_leaves_the_version_and_the_cached_answers(timed, client, session):
    service = _dallas(session, timed)
    version = index_version(session)
    reindex_services(session, [service.id])
    session.rollback()
    assert index_version(session) == version


def _query(**fields) -> SearchQuery:
    return SearchQuery(lat=32.7831, lon=-96.8067, state="TX", county="Dallas County", need="asylum", **fields)


def test_open_now_is_keyed_by_the_minute_and_only_then(app, session):
    _dallas(session, app, hours=[("MO", "09:00", "17:00")])
    cache = ResultsCache(MemoryBackend(size=10, ttl=300), secret=b"k" * 32)
    monday = datetime(2026, 11, 30, 16, 5, 1, tzinfo=UTC)  # 10:05 in Dallas

    def outcome(query):
        return cache.lookup(session, query, 20)[1]

    asked = _query(open_now=True, now=monday)
    assert outcome(asked) == "miss"
    assert outcome(replace(asked, now=monday.replace(second=59))) == "hit"
    assert outcome(replace(asked, now=monday.replace(minute=6))) == "miss"
    plain = _query(now=monday)
    assert outcome(plain) == "miss"
    assert outcome(replace(plain, now=monday.replace(hour=23))) == "hit"


def test_the_search_runs_on_the_rounded_point_so_a_hit_is_the_keys_own_answer(app, session):
    _dallas(session, app)
    cache = ResultsCache(MemoryBackend(size=10, ttl=300), secret=b"k" * 32)
    query = _query(radius_km=5.0)
    ranking, outcome = cache.lookup(session, query, 20)
    near, near_outcome = cache.lookup(session, replace(query, lat=32.78349, lon=-96.80651), 20)
    assert (outcome, near_outcome) == ("miss", "hit")
    assert near == ranking == rank(session, rounded(query), 20)
    assert (rounded(query).lat, rounded(query).lon) == (32.783, -96.807)


def test_off_ranks_every_time_and_gives_the_same_answers(make_app, session):
    app = make_app(CACHE="off")
    _dallas(session, app)
    cache = app.extensions["amparo.results_cache"]
    assert cache.backend is None
    with app.app_context():
        response = app.test_client().get(SEARCH)
    assert _names(response) == ["Alpha Legal"]
    assert cache.counts["off"] >= 1
    assert cache.counts["hit"] == cache.counts["miss"] == 0


def test_the_memory_cache_keeps_its_most_recent_entries_up_to_its_size():
    backend = MemoryBackend(size=2, ttl=300)
    ranking = Ranking(entries=(), total=0, confirmed=0, nearby=0, capped=False)
    backend.set("a", ranking)
    backend.set("b", ranking)
    assert backend.get("a") is ranking  # now the most recently used
    backend.set("c", ranking)
    assert len(backend) == 2
    assert backend.get("b") is None
    assert backend.get("a") is ranking
    assert backend.get("c") is ranking


def test_memory_entries_expire():
    backend = MemoryBackend(size=2, ttl=0)
    backend.set("a", Ranking(entries=(), total=0, confirmed=0, nearby=0, capped=False))
    assert backend.get("a") is None


def test_a_redis_that_is_down_still_answers_and_says_so_once(make_app, session, caplog):
    app = make_app(CACHE_URL="redis://127.0.0.1:1/0", CACHE_SERVER_TIMING=True)  # nothing listens on port 1
    _dallas(session, app)
    client = app.test_client()
    # Three searches (a whole answer once given is kept in the process, and would not ask Redis again).
    searches = [SEARCH, SEARCH + "&radius_km=30", SEARCH + "&radius_km=40"]
    with caplog.at_level(logging.WARNING, logger="matching.cache"):
        answers = [client.get(search) for search in searches]
    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert all(_names(answer) == ["Alpha Legal"] for answer in answers)
    assert {_timing(answer) for answer in answers} == {"error"}
    warnings = [record for record in caplog.records if record.name == "matching.cache"]
    assert len(warnings) == 1
    assert "75201" not in warnings[0].getMessage()
    assert "asylum" not in warnings[0].getMessage()


def test_redis_holds_no_place_no_need_and_nothing_readable(make_app, session):
    import redis

    require_redis()
    prefix = f"amparo-test-{uuid.uuid4().hex}:"
    app = make_app(CACHE_URL=REDIS_URL, CACHE_KEY_PREFIX=prefix, CACHE_SERVER_TIMING=True, CACHE_TTL_SECONDS=60)
    _dallas(session, app, name="Dallas Immigrant Legal Aid")
    client = app.test_client()
    assert [_timing(client.get(SEARCH + "&language=es")) for _ in range(2)] == ["miss", "hit"]
    store = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(store.scan_iter(match=prefix + "*"))
        assert keys
        for key in keys:
            digest = key.decode().removeprefix(prefix)
            assert len(digest) == 64
            assert int(digest, 16) >= 0
            assert 0 < store.ttl(key) <= 60
            value = store.get(key)
            for secret in (b"75201", b"asylum", b"32.8", b"-96.8", b"Dallas", b'"es"', b"[["):
                assert secret not in key
                assert secret not in value
    finally:
        for key in store.scan_iter(match=prefix + "*"):
            store.delete(key)
        store.close()


def test_the_key_depends_on_every_filter_and_on_the_version():
    cache = build_results_cache({"SECRET_KEY": "s", "CACHE": "on"})
    query = rounded(_query(languages=("es", "en")))
    key = cache.key(query, 20, "1@x")
    assert key == cache.key(replace(query, languages=("en", "es")), 20, "1@x")
    for other in (
        replace(query, need="detained"), replace(query, languages=("es",)), replace(query, cost="free"),
        replace(query, credentials=("eoir-pro-bono",)), replace(query, accepting=True),
        replace(query, delivery="remote"), replace(query, radius_km=10.0),
        replace(query, strict=frozenset({"language"})),
        replace(query, lat=32.784), replace(query, county="Collin County"),
    ):  # fmt: skip
        assert cache.key(other, 20, "1@x") != key
    assert cache.key(query, 21, "1@x") != key
    assert cache.key(query, 20, "2@y") != key
    assert build_results_cache({"SECRET_KEY": "another", "CACHE": "on"}).key(query, 20, "1@x") != key


# The acceptance test: two app processes, one database, one Redis.


def _get(url: str) -> tuple[str, str]:
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310  (a local test server)
        return _timing(response), response.read().decode()


def test_two_app_processes_share_the_cache_and_a_listing_change_makes_both_miss(two_app_processes, database):
    """A search on A is a miss and the same on B a hit; a listing change makes both rank afresh.

    And one rate limit counts the requests to both (issue #14: cache and limits shared).
    """
    from sqlmodel import Session

    from tests.conftest import _make_app

    first, second = two_app_processes
    app = _make_app(database)
    with Session(database.engine, expire_on_commit=False) as session, app.app_context():
        service = make_service(session, name="Alpha Legal", needs=["asylum"], lat=32.80, lon=-96.80,
                               capacity="waitlist")  # fmt: skip
        session.commit()
    near = "/search?location=75201&need=asylum"
    far = "/search?location=75201&need=asylum&radius_mi=25"
    assert _get(first + near)[0] == "miss"
    assert _get(second + near)[0] == "hit"
    assert _get(second + far)[0] == "miss"
    assert _get(first + far)[0] == "hit"
    _, page = _get(first + near)
    assert "Alpha Legal" in page
    assert "Waitlist" in page

    with Session(database.engine, expire_on_commit=False) as session:  # a listing change, in the database
        found = session.execute(select(Service).where(Service.id == service.id)).scalar_one()
        found.capacity = "accepting"
        reindex_services(session, [found.id])
        session.commit()
    outcome, page = _get(first + near)
    assert outcome == "miss"
    assert "Waitlist" not in page
    outcome, page = _get(second + far)
    assert outcome == "miss"
    assert "Waitlist" not in page
    assert _get(second + near)[0] == "hit"
    assert _get(first + far)[0] == "hit"
    assert_one_rate_limit(first, second)
