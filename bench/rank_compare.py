"""Old ranking (every candidate fetched, ranked in Python) against the database ranking, in one run.

Builds (or reuses) the benchmark's data set (bench.build: the real data plus N synthetic services),
then times the benchmark's weighted searches (bench.workload; p50/p95/p99/max) and dense ones, one by
one, with both engines interleaved so that both see the same machine load. The old engine gets its own
(need_code, latitude, longitude) index back for the run, so that it is timed as it ran.

    .venv/bin/python -m bench.rank_compare --services 100000
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/test .venv/bin/python -m bench.rank_compare
On PostgreSQL the data goes to schema bench_rank_N, and the new engine is timed twice: with PostGIS
(when installed) and on the grid cells alone.
"""

import argparse
import os
import random
import statistics
import time
from unittest import mock

from sqlalchemy import create_engine, text
from sqlmodel import Session

import matching.engine
from bench.build import check_or_build
from bench.search_bench import OUT, percentile
from bench.workload import mix
from geo import get_gazetteer
from matching.engine import SearchQuery, search
from models import db
from tests.old_ranking import old_search

DENSE = [  # (label, ZIP, need, radius km)
    ("NYC 10001, immigration-legal, 100 km", "10001", "immigration-legal", 100.0),
    ("NYC 10001, no need, 100 km", "10001", None, 100.0),
    ("Los Angeles 90012, no need, 100 km", "90012", None, 100.0),
    ("Chicago 60601, mental-health, 100 km", "60601", "mental-health", 100.0),
    ("NYC 10001, asylum, Spanish, 50 km", "10001", "asylum", 50.0),
]


def dense_queries() -> list[tuple[str, SearchQuery]]:
    gazetteer = get_gazetteer()
    found = []
    for label, zcta, need, radius in DENSE:
        info = gazetteer.zip_info(zcta)
        languages = ("es",) if "Spanish" in label else ()
        found.append((label, SearchQuery(lat=info.lat, lon=info.lon, state=info.state, county=info.county,
                                         timezone=info.timezone, need=need, radius_km=radius, languages=languages)))
    return found


def timed(function, session, query) -> tuple[float, int]:
    started = time.perf_counter()
    result = function(session, query)
    return (time.perf_counter() - started) * 1000, result.total


def engines(dialect: str) -> dict:
    found = {"old": old_search, "new": search}
    if dialect == "postgresql":
        def grid(session, query):
            with mock.patch.object(matching.engine, "postgis_schema", return_value=None):
                return search(session, query)
        found["new, grid only"] = grid
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=100_000)
    parser.add_argument("--searches", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    url = os.environ.get("DATABASE_URL")
    schema = None
    if url:
        schema = f"bench_rank_{args.services}"
        admin = create_engine(db.normalize_url(url))
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        admin.dispose()
    else:
        url = f"sqlite:///{OUT}/rank-{args.services}.sqlite3"
    engine = db.make_engine(url, schema=schema)
    db.upgrade(engine)
    built = check_or_build(engine, args.services, seed=args.seed)
    if built is not None:
        print(f"built {args.services} services (and the real data) in {built:.0f} s")
    with Session(engine) as session:
        session.execute(text("CREATE INDEX IF NOT EXISTS ix_old_need_lat_lon"
                             " ON search_entry (need_code, latitude, longitude)"))
        session.execute(text("ANALYZE"))
        session.commit()
        rows = session.execute(text("SELECT count(*) FROM search_entry")).scalar_one()
        print(f"{engine.dialect.name}, {args.services} services, {rows} index rows, load average "
              f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        runs = engines(engine.dialect.name)
        searches = [(item.zcta, item.query) for item in mix(random.Random(args.seed), args.searches)]
        for _, query in searches[:30]:
            for function in runs.values():
                function(session, query)  # warm the caches; not timed
        times = {name: [] for name in runs}
        for _, query in searches:
            totals = set()
            for name, function in runs.items():
                ms, total = timed(function, session, query)
                times[name].append(ms)
                totals.add(min(total, matching.engine.RESULT_CAP))
            assert len(totals) == 1, totals
        print(f"{args.searches} weighted searches (bench.workload.mix)")
        for name, values in times.items():
            print(f"  {name:15} p50 {percentile(values, .5):7.1f}  p95 {percentile(values, .95):7.1f}"
                  f"  p99 {percentile(values, .99):7.1f}  max {max(values):7.1f} ms")
        print(f"dense searches (median of {args.repeat})")
        for label, query in dense_queries():
            cells = []
            for name, function in runs.items():
                samples = [timed(function, session, query) for _ in range(args.repeat)]
                cells.append(f"{name} {statistics.median(ms for ms, _ in samples):7.1f} ms")
                total = samples[0][1]
            print(f"  {label:40} {total:6} results   " + "   ".join(cells))
        session.execute(text("DROP INDEX IF EXISTS ix_old_need_lat_lon"))
        session.commit()
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
