"""Search benchmark: the real data plus exactly N synthetic services, a weighted mix of searches.

Prints p50/p95/p99/max of the matching engine and of the /api/v1/search request, the dense
searches timed apart, the failures (any answer but 200), a naive baseline (the same bounding box
on the HSDS tables, then a Python haversine), the load average, the database size and the peak
memory of this process.

    make bench                                    # 100,000 synthetic services, SQLite in bench/out/
    make bench BENCH_ARGS="--services 1000000" DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/bench_load
Options: --services N, --searches N, --naive N (naive searches), --seed N, --jobs N (build workers), --build-only.
A database holding another data set is refused (the message says how to rebuild), never reused.
"""

import argparse
import gc
import os
import platform
import random
import resource
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import Engine, select, text
from sqlmodel import Session

from bench.build import WrongDatabase, check_or_build, contents
from bench.workload import Search, dense_cases, mix
from geo.distance import bounding_box, haversine_km
from matching.engine import search, warm_statements
from matching.needs import get_taxonomy
from models import Attribute, Location, ServiceAtLocation, TaxonomyTerm, db

OUT = Path(__file__).resolve().parent / "out"
DENSE_RUNS = 3


def naive_search(session: Session, search_: Search) -> list:
    """The fair naive way: the bounding box on the HSDS tables, a Python haversine, filter by need, sort."""
    query = search_.query
    south, north, west, east = bounding_box(query.lat, query.lon, query.radius_km)
    statement = (
        select(ServiceAtLocation.service_id, Location.latitude, Location.longitude)
        .join(Location, Location.id == ServiceAtLocation.location_id)
        .where(Location.latitude.between(south, north), Location.longitude.between(west, east))
    )
    if query.need:
        taxonomy = get_taxonomy()
        wanted = [query.need, *taxonomy.descendants(query.need)]
        statement = (
            statement.join(Attribute, Attribute.link_id == ServiceAtLocation.service_id)
            .join(TaxonomyTerm, TaxonomyTerm.id == Attribute.taxonomy_term_id)
            .where(TaxonomyTerm.code.in_(wanted))
        )
    found: dict[str, float] = {}
    for service_id, lat, lon in session.execute(statement):
        distance = haversine_km(query.lat, query.lon, lat, lon)
        if distance <= query.radius_km and distance < found.get(service_id, float("inf")):
            found[service_id] = distance
    return sorted(found.items(), key=lambda item: item[1])


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def spread(values: list[float]) -> str:
    """Return "p50 .. p95 .. p99 .. max" of timings in ms."""
    cuts = [("p50", 0.5), ("p95", 0.95), ("p99", 0.99)]
    parts = [f"{name} {percentile(values, share):8.2f}" for name, share in cuts]
    return "   ".join([*parts, f"max {max(values):8.2f} ms"])


def peak_memory_mb() -> float:
    """Return this process's peak resident memory so far, in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def workers_peak_memory_mb() -> float:
    """Return the peak resident memory of the largest finished worker process, in MB."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def cpu_seconds(who: int) -> float:
    """Return the CPU time (user + system) of this process or of its finished children."""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def database_size_mb(engine: Engine) -> float:
    """Return the database's size on disk in MB (a SQLite file with its WAL; a PostgreSQL database)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            return connection.execute(text("SELECT pg_database_size(current_database())")).scalar_one() / 2**20
    path = Path(engine.url.database)
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 2**20


def timed(function, *args) -> tuple[float, object]:
    started = time.perf_counter()
    result = function(*args)
    return (time.perf_counter() - started) * 1000, result


def run_engine(session: Session, searches: list[Search]) -> tuple[list[float], list[int]]:
    """Time the engine on every search; return the times and the result counts."""
    times, totals = [], []
    for item in searches:
        elapsed, result = timed(search, session, item.query)
        times.append(elapsed)
        totals.append(result.total)
    return times, totals


def run_api(client, searches: list[Search]) -> tuple[list[float], Counter]:
    """Time /api/v1/search on every search; return the times and the count of each status but 200."""
    times, failures = [], Counter()
    for item in searches:
        elapsed, response = timed(lambda params: client.get("/api/v1/search", query_string=params), item.api_params())
        times.append(elapsed)
        if response.status_code != 200:
            failures[response.status_code] += 1
    return times, failures


def describe(item: Search) -> str:
    query = item.query
    return f"{item.kind:<34} need {query.need or '(none)':<22} {query.radius_km:5.0f} km"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=100_000, help="synthetic services (exactly)")
    parser.add_argument("--searches", type=int, default=1000)
    parser.add_argument("--naive", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--jobs", type=int, default=2, help="worker processes building the data (PostgreSQL)")
    parser.add_argument("--build-only", action="store_true", help="build or check the data set, then stop")
    args = parser.parse_args()

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"load average at start: {load_average()}"
    )
    OUT.mkdir(exist_ok=True)
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{OUT}/bench-{args.services}.sqlite3"
    engine = db.make_engine(url)
    db.upgrade(engine)
    try:
        built = check_or_build(engine, args.services, seed=args.seed, jobs=args.jobs)
    except WrongDatabase as error:
        print(f"refused: {error}", file=sys.stderr)
        sys.exit(2)
    with Session(engine) as session:
        found = contents(session)
    print(f"data: {found.synthetic:,} synthetic + {found.other:,} real services, {engine.dialect.name}")
    if built is not None:
        print(
            f"built the data set in {built:.0f} s; peak memory {peak_memory_mb():.0f} MB (largest build worker "
            f"{workers_peak_memory_mb():.0f} MB); load average {load_average()}"
        )
        print(
            f"build CPU time: {cpu_seconds(resource.RUSAGE_SELF):.0f} s here, "
            f"{cpu_seconds(resource.RUSAGE_CHILDREN):.0f} s in the workers (the database server's is on top)"
        )
    print(f"database size: {database_size_mb(engine):,.0f} MB")
    if args.build_only:
        print(f"peak memory: {peak_memory_mb():.0f} MB")
        return

    searches = mix(random.Random(args.seed), args.searches)
    with Session(engine) as session:
        warm_statements(session)  # what the app does at start (web.warmup), with gc.freeze(); not timed
        gc.freeze()
        run_engine(session, mix(random.Random(args.seed + 1), 50))  # warm the page cache; not timed
        engine_ms, totals = run_engine(session, searches)
        naive_ms = [timed(naive_search, session, item)[0] for item in searches[: args.naive]]
        dense = dense_cases(session)
        dense_ms = [statistics.median(run_engine(session, [item])[0][0] for _ in range(DENSE_RUNS)) for item in dense]
        dense_totals = run_engine(session, dense)[1]

    from app import create_app

    # measure the request, not the limiter, nor the results cache (the mix repeats some searches)
    app = create_app(
        {"ENGINE": engine, "RATELIMIT_ENABLED": False, "SITE_URL": "http://127.0.0.1:5000", "CACHE": "off"}
    )
    client = app.test_client()
    api_ms, failures = run_api(client, searches)
    dense_api_ms, dense_failures = run_api(client, dense)

    kinds = Counter(item.kind for item in searches)
    print(
        f"{args.searches} searches ({kinds['metro']} from the {20} towns with the most bundled sites, the rest "
        f"from ZIPs weighted by bundled sites; {sum(1 for s in searches if not s.query.need)} with no need)"
    )
    print(
        f"results per search: median {statistics.median(totals):.0f}, "
        f"p95 {percentile(totals, 0.95):.0f}, max {max(totals)}"
    )
    print(f"engine       {spread(engine_ms)}")
    print(f"api request  {spread(api_ms)}")
    print(f"failures (not 200): {sum(failures.values())} of {len(searches)} {dict(failures) or ''}")
    same = engine_ms[: args.naive]
    print(
        f"naive (bounding box + Python haversine, first {args.naive} searches): p50 "
        f"{percentile(naive_ms, 0.5):.2f} ms; engine on the same: p50 {percentile(same, 0.5):.2f} ms "
        f"({statistics.median(naive_ms) / statistics.median(same):.1f}x)"
    )
    print("the 10 searches of the mix with the most results:")
    for index in sorted(range(len(searches)), key=lambda i: -totals[i])[:10]:
        print(f"  {describe(searches[index])} {totals[index]:>7,} results {engine_ms[index]:8.2f} ms")
    print(f"dense cases (engine: median of {DENSE_RUNS} runs; api: one run):")
    for item, elapsed, total, api_elapsed in zip(dense, dense_ms, dense_totals, dense_api_ms, strict=True):
        print(f"  {describe(item)} {total:>7,} results {elapsed:8.2f} ms   api {api_elapsed:8.2f} ms")
    print(f"dense failures (not 200): {sum(dense_failures.values())} {dict(dense_failures) or ''}")
    print(f"load average at end: {load_average()}; peak memory: {peak_memory_mb():.0f} MB")


if __name__ == "__main__":
    main()
