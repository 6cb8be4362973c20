"""The database-ranked engine gives exactly what the old all-in-Python ranking gave (tests/old_ranking.py).

Seeded generated directories: several sites per service, shared points and names (ties), areas,
every filter; each query is compared on results, order, distances, reasons and counts, on the grid
path and (on PostgreSQL with PostGIS) the PostGIS path, with a small RESULT_CAP for the capped total.
"""

import random
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, insert

import matching.engine as engine
from matching.engine import SearchQuery, search
from matching.index import _bar
from matching.needs import get_taxonomy
from models import Organization, SearchEntry, Service
from models.search import grid_cell
from tests.old_ranking import old_search

CENTRE = (32.7904, -96.8044)
NOW = datetime(2026, 12, 1, 15, 30, tzinfo=UTC)  # a Tuesday, 09:30 in Dallas
NAMES = ["Acme", "acme", "Ñandú legal", "Casa", "Zeta", "Beta", "casa"]
LANGUAGES = ["es", "en", "zh", "vi"]
CREDENTIALS = ["eoir-pro-bono", "bia-accredited"]
CAPACITIES = ["accepting", None, "waitlist", "not-accepting"]
PRECISIONS = ["source", "manual", "zip", "place", None]
DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


def _hours(rng: random.Random) -> str:
    if rng.random() < 0.4:
        return ""
    return ";".join(f"{day} {rng.choice(['08:00', '09:00', '13:00'])}-{rng.choice(['12:00', '17:00'])}"
                    for day in rng.sample(DAYS, rng.randint(1, 5)))


def _subset(rng: random.Random, values: list, chance: float = 0.5) -> list:
    return [value for value in values if rng.random() < chance]


def generate_directory(session, rng: random.Random, count: int, *, spread: float = 1.0) -> None:
    """Insert ``count`` services with random fields and the index rows matching.index would write.

    ``spread`` scales how far from CENTRE the sites lie (1: about 80 km; 0.05: a dense town centre).
    """
    taxonomy = get_taxonomy()
    codes = list(taxonomy.needs)
    shared_points = [
        (CENTRE[0] + rng.uniform(-0.3, 0.3) * spread, CENTRE[1] + rng.uniform(-0.3, 0.3) * spread) for _ in range(4)
    ]
    shared_points.append(CENTRE)
    rows = []
    for number in range(count):
        organization = Organization(name=rng.choice(NAMES), description="")
        session.add(organization)
        session.flush()
        service = Service(organization_id=organization.id, name=f"Service {number}")
        session.add(service)
        session.flush()
        own = set(rng.sample(codes, rng.randint(1, 2)))
        expanded = [(code, True) for code in sorted(own)]
        expanded += [(code, False) for code in sorted(taxonomy.with_ancestors(own) - own)]
        languages = _subset(rng, LANGUAGES, 0.3)
        common = {
            "service_id": service.id,
            "organization_id": organization.id,
            "service_name": service.name,
            "organization_name": organization.name,
            "needs": _bar(own),
            "cost": rng.choice(["free", "sliding-scale", "fee", None]),
            "credentials": _bar(_subset(rng, CREDENTIALS, 0.3)),
            "capacity": rng.choice(CAPACITIES),
            "delivery": rng.choice(["in-person", "remote", "both"]),
        }
        for site in range(rng.choice([0, 1, 1, 1, 2, 3])):
            if rng.random() < 0.3:
                lat, lon = rng.choice(shared_points)
            else:
                lat, lon = CENTRE[0] + rng.uniform(-0.7, 0.7) * spread, CENTRE[1] + rng.uniform(-0.9, 0.9) * spread
            site_languages = languages + _subset(rng, LANGUAGES, 0.1)
            rows += [
                {**common, "need_code": code, "direct": direct, "location_id": f"{service.id[:30]}-{site}",
                 "service_at_location_id": f"sal-{service.id[:30]}-{site}", "latitude": lat, "longitude": lon,
                 "cell": grid_cell(lat, lon), "geocode_precision": rng.choice(PRECISIONS), "city": "Dallas",
                 "scope": None, "state": "TX", "county": "Dallas County", "languages": _bar(site_languages),
                 "hours": _hours(rng), "timezone": rng.choice(["America/Chicago", "America/New_York", None])}
                for code, direct in expanded
            ]
        for scope, state, county in rng.sample(
            [("national", None, None), ("state", "TX", None), ("state", "OK", None), ("county", "TX", "dallas"),
             ("county", "TX", "tarrant"), ("county", "TX", None)],
            rng.choice([0, 0, 1, 2]),
        ):
            rows += [
                {**common, "need_code": code, "direct": direct, "location_id": None, "service_at_location_id": None,
                 "latitude": None, "longitude": None, "cell": None, "geocode_precision": None, "city": None,
                 "scope": scope, "state": state, "county": county, "languages": _bar(languages),
                 "hours": _hours(rng), "timezone": None}
                for code, direct in expanded
            ]
    session.execute(insert(SearchEntry), rows)
    session.commit()


def random_query(rng: random.Random) -> SearchQuery:
    taxonomy = get_taxonomy()
    return SearchQuery(
        lat=CENTRE[0] + rng.uniform(-0.2, 0.2) if rng.random() < 0.7 else CENTRE[0],
        lon=CENTRE[1] + rng.uniform(-0.2, 0.2) if rng.random() < 0.7 else CENTRE[1],
        state=rng.choice(["TX", "TX", None]),
        county=rng.choice(["Dallas County", "Tarrant", None]),
        timezone="America/Chicago",
        need=rng.choice([None, None, *[top.code for top in taxonomy.top_level], *rng.sample(list(taxonomy.needs), 3)]),
        languages=tuple(_subset(rng, LANGUAGES, 0.15)),
        cost=rng.choice([None, None, None, "free", "sliding-scale"]),
        credentials=tuple(_subset(rng, CREDENTIALS, 0.1)),
        accepting=rng.random() < 0.2,
        open_now=rng.random() < 0.2,
        delivery=rng.choice([None, None, None, "in-person", "remote"]),
        radius_km=rng.choice([0.001, 5.0, 20.0, 50.0, 100.0, 250.0]),
        now=NOW,
        strict=frozenset(_subset(rng, list(engine.UNKNOWABLE_FILTERS), 0.25)),
    )


def summary(result) -> tuple:
    """Everything a page shows of a result."""
    return (
        result.total, result.confirmed, result.unknown, result.nearby,
        [(m.service_id, m.location_id, m.matched_need, m.distance_km, m.unknown, m.reasons) for m in result.matches],
    )


@pytest.fixture(params=["auto", "grid"])
def spatial(request, monkeypatch):
    """Run on PostGIS where the test database has it ("auto"), and on the grid cells alone."""
    if request.param == "grid":
        monkeypatch.setattr(engine, "postgis_schema", lambda _connection: None)
    return request.param


@pytest.mark.parametrize("seed", [1, 2])
def test_the_database_ranking_gives_what_the_old_ranking_gave(session, spatial, seed):
    rng = random.Random(seed)
    generate_directory(session, rng, 120)
    with_results = 0
    for _ in range(60):
        query = random_query(rng)
        page, per_page = rng.choice([(1, 20), (1, 5), (2, 5), (3, 7)])
        expected = old_search(session, query, page=page, per_page=per_page)
        found = search(session, query, page=page, per_page=per_page)
        assert summary(found) == summary(expected), query
        assert not found.total_capped
        with_results += len(found.matches) > 1
    assert with_results >= 20  # the generator gives searches something to rank


@pytest.mark.parametrize("seed", [3, 4])
def test_a_capped_search_pages_like_the_old_ranking_and_counts_up_to_the_cap(session, spatial, seed, monkeypatch):
    # A tiny cap, few rows read at first (the engine must read on), and latitude bands instead of cells.
    monkeypatch.setattr(engine, "RESULT_CAP", 9)
    monkeypatch.setattr(engine, "ROWS_PER_RESULT", 1)
    monkeypatch.setattr(engine, "MIN_ROWS", 1)
    monkeypatch.setattr(engine, "MAX_CELLS", 4 if seed == 4 else engine.MAX_CELLS)
    rng = random.Random(seed)
    generate_directory(session, rng, 100)
    capped = 0
    for _ in range(50):
        query = replace(random_query(rng), radius_km=rng.choice([20.0, 100.0, 250.0]))
        page, per_page = rng.choice([(1, 5), (2, 5), (3, 4), (4, 3)])
        limit = max(9, page * per_page)
        every = old_search(session, query, page=1, per_page=1000).matches
        expected = old_search(session, query, page=page, per_page=per_page)
        found = search(session, query, page=page, per_page=per_page)
        # Counted past the cap, then capped: the first ``limit`` hold every confirmed result as far as
        # they go (unknown filters rank last); "nearby" is every service whose best row is a site.
        confirmed = sum(1 for m in every if not m.unknown)
        nearby = sum(1 for m in every if m.distance_km is not None)
        assert found.total_capped == (len(every) > limit), query
        assert (found.total, found.confirmed, found.nearby) == (
            min(len(every), limit), min(confirmed, limit), min(nearby, limit)
        ), query
        assert summary(found)[4] == summary(expected)[4], query
        capped += found.total_capped
    assert capped >= 10


@pytest.mark.parametrize("seed", [5, 6])
def test_a_dense_town_settles_in_the_small_circle_and_counts_stop_at_the_cap(session, spatial, seed, monkeypatch):
    """Wide searches in a dense centre: the page from the small circle, counts read until past the cap.

    Both shortcuts must give exactly what ranking everything gives (the old ranking), and both must
    have been taken, or the test proves nothing.
    """
    monkeypatch.setattr(engine, "RESULT_CAP", 40)
    monkeypatch.setattr(engine, "COUNT_BATCH", 7)
    monkeypatch.setattr(engine, "MIN_ROWS", 1)
    rng = random.Random(seed)
    generate_directory(session, rng, 260, spread=0.05)  # within about 5 km of the centre
    generate_directory(session, rng, 60)
    settled = stopped = 0
    original_near, original_count = engine._settled_near, engine._count_results

    def near(*args):
        nonlocal settled
        ranked = original_near(*args)
        settled += ranked is not None
        return ranked

    counted = []

    def count(*args):
        counts = original_count(*args)
        counted.append(counts)
        return counts

    monkeypatch.setattr(engine, "_settled_near", near)
    monkeypatch.setattr(engine, "_count_results", count)
    for _ in range(40):
        query = replace(
            random_query(rng), lat=CENTRE[0], lon=CENTRE[1], radius_km=rng.choice([25.0, 100.0]),
            languages=rng.choice([(), (), ("es",)]), credentials=(), accepting=False,
            need=rng.choice([None, *[top.code for top in get_taxonomy().top_level]]),
        )
        page, per_page = rng.choice([(1, 5), (1, 3), (2, 3)])
        every = old_search(session, query, page=1, per_page=1000).matches
        expected = old_search(session, query, page=page, per_page=per_page)
        counted.clear()
        found = search(session, query, page=page, per_page=per_page)
        assert summary(found)[4] == summary(expected)[4], query
        stopped += bool(counted) and counted[0][0] < len(every)  # services seen before it stopped reading
        cap = max(40, page * per_page)
        confirmed = sum(1 for m in every if not m.unknown)
        nearby = sum(1 for m in every if m.distance_km is not None)
        assert (found.total, found.confirmed, found.nearby, found.total_capped) == (
            min(len(every), cap), min(confirmed, cap), min(nearby, cap), len(every) > cap
        ), query
    assert settled >= 5
    assert stopped >= 5


def test_a_search_read_past_its_page_is_ranked_and_counted_in_one_query(session, monkeypatch):
    """Counting apart read the candidates a second time: the ranking query counts them as well.

    Specific needs (no small circle) and no "open now", with few rows read at first, so that the
    ranking stops after its page: the first query counts, nothing counts apart, and the page and
    counts are the old ranking's.
    """
    monkeypatch.setattr(engine, "ROWS_PER_RESULT", 1)
    monkeypatch.setattr(engine, "MIN_ROWS", 1)
    rng = random.Random(8)
    generate_directory(session, rng, 120)

    def count_apart(*_args):
        raise AssertionError("counted apart")

    monkeypatch.setattr(engine, "_count_results", count_apart)
    executed = []
    listener = lambda *args: executed.append(args[2])  # noqa: E731  (before_cursor_execute's statement)
    connection_engine = session.get_bind()
    read_past = 0
    for code in ("asylum", "daca", "tps", "vawa", "u-visa", "work-permits"):
        query = SearchQuery(lat=CENTRE[0], lon=CENTRE[1], state="TX", county="Dallas County",
                            timezone="America/Chicago", need=code, radius_km=100.0, now=NOW)
        expected = old_search(session, query, page=1, per_page=3)
        executed.clear()
        event.listen(connection_engine, "before_cursor_execute", listener)
        try:
            found = search(session, query, page=1, per_page=3)
        finally:
            event.remove(connection_engine, "before_cursor_execute", listener)
        assert summary(found) == summary(expected), query
        # One query ranked and counted; a further one may read further rows, none counts apart.
        assert executed[0].startswith("WITH candidates"), executed
        assert sum(sql.startswith("WITH candidates") for sql in executed) == 1, executed
        read_past += found.total > 4
    assert read_past >= 3  # most searches had more results than the rows first read
