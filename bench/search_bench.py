"""Search benchmark: 100,000 synthetic services on top of the real data, 1,000 searches.

Prints p50/p95 of the matching engine and of the /api/v1/search request, and compares the
engine with a naive search (load every location, geodesic distance in Python, filter, sort).

    make bench                       # SQLite in bench/out/
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/test make bench
Options: --services N, --searches N, --naive N (naive searches; each takes seconds), --seed N.
"""

import argparse
import csv
import gzip
import os
import platform
import random
import statistics
import time
from pathlib import Path

from geopy.distance import geodesic
from sqlalchemy import func, insert, select
from sqlmodel import Session

from matching.engine import SearchQuery, search
from matching.index import analyze, reindex_services
from matching.needs import get_taxonomy
from models import (
    Address,
    Attribute,
    Credential,
    Language,
    Location,
    Organization,
    Service,
    ServiceAtLocation,
    TaxonomyTerm,
    db,
)
from models.base import new_id
from seed.load import load_providers, read_bundles, term_id

OUT = Path(__file__).resolve().parent / "out"
ZCTA_FILE = Path(__file__).resolve().parent.parent / "data" / "gazetteer" / "zcta_centroids.csv.gz"
LANGS = ["es", "en", "zh", "vi", "ar", "ht", "fr", "pt", "ko", "ru"]


def zctas() -> list[tuple[str, float, float]]:
    with gzip.open(ZCTA_FILE, "rt") as handle:
        return [(row["zcta"], float(row["lat"]), float(row["lng"])) for row in csv.DictReader(handle)]


def synthesize(session: Session, count: int, rng: random.Random, places: list) -> None:
    """Insert ``count`` synthetic services, each at one site near a random ZIP centroid, and index them."""
    codes = list(get_taxonomy().needs)
    rows: dict[type, list[dict]] = {
        m: [] for m in (Organization, Location, Address, Service, ServiceAtLocation, Attribute, Language, Credential)
    }
    service_ids = []
    for index in range(count):
        _, lat, lon = rng.choice(places)
        lat += rng.uniform(-0.05, 0.05)
        lon += rng.uniform(-0.05, 0.05)
        org_id, loc_id, svc_id = new_id(), new_id(), new_id()
        rows[Organization].append(
            {
                "id": org_id,
                "name": f"Synthetic provider {index}",
                "description": "",
                "status": "published",
                "verified": False,
                "sources": "bench",
                "version": 1,
            }
        )
        rows[Location].append(
            {
                "id": loc_id,
                "organization_id": org_id,
                "latitude": lat,
                "longitude": lon,
                "location_type": "physical",
                "confidential": False,
                "geocode_precision": "source",
                "timezone": "America/Chicago",
                "version": 1,
            }
        )
        rows[Address].append(
            {
                "id": new_id(),
                "location_id": loc_id,
                "address_1": f"{index} Main St",
                "city": "Town",
                "state_province": "TX",
                "postal_code": "00000",
                "country": "US",
                "address_type": "physical",
            }
        )
        rows[Service].append(
            {
                "id": svc_id,
                "organization_id": org_id,
                "name": f"Service {index}",
                "status": "active",
                "cost": rng.choice(["free", "sliding-scale", "varies", None]),
                "capacity": rng.choice(["accepting", "waitlist", None, None]),
                "delivery": rng.choice(["in-person", "in-person", "both", "remote"]),
                "placement": "placed",
                "version": 1,
            }
        )
        rows[ServiceAtLocation].append({"id": new_id(), "service_id": svc_id, "location_id": loc_id})
        for code in rng.sample(codes, rng.randint(1, 3)):
            rows[Attribute].append(
                {
                    "id": new_id(),
                    "link_id": svc_id,
                    "taxonomy_term_id": term_id(code),
                    "link_entity": "service",
                    "link_type": "need",
                }
            )
        for code in rng.sample(LANGS, rng.randint(0, 3)):
            rows[Language].append({"id": new_id(), "service_id": svc_id, "code": code})
        if rng.random() < 0.1:
            rows[Credential].append(
                {
                    "id": new_id(),
                    "service_id": svc_id,
                    "kind": rng.choice(["doj-recognized", "accredited-rep-full", "attorney"]),
                }
            )
        service_ids.append(svc_id)
    for model, items in rows.items():
        for start in range(0, len(items), 5000):
            session.execute(insert(model), items[start : start + 5000])
    reindex_services(session, service_ids)
    analyze(session)


def queries(rng: random.Random, places: list, count: int) -> list[tuple[str, SearchQuery]]:
    """Representative searches: a random ZIP anywhere, a need (top-level or child), some filters."""
    from geo import get_gazetteer

    gazetteer = get_gazetteer()
    taxonomy = get_taxonomy()
    needs = [n.code for n in taxonomy.top_level] * 3 + list(taxonomy.needs)
    found = []
    while len(found) < count:
        zcta, lat, lon = rng.choice(places)
        info = gazetteer.zip_info(zcta)
        found.append(
            (
                zcta,
                SearchQuery(
                    lat=lat,
                    lon=lon,
                    state=info.state if info else None,
                    county=info.county if info else None,
                    timezone=info.timezone if info else None,
                    need=rng.choice(needs),
                    languages=("es",) if rng.random() < 0.3 else (),
                    cost="free" if rng.random() < 0.2 else None,
                    radius_km=rng.choice([25.0, 50.0, 50.0, 50.0, 100.0]),
                ),
            )
        )
    return found


def naive_search(session: Session, query: SearchQuery) -> list:
    """The naive way: every location with its needs, geodesic distance for each, filter, sort."""
    taxonomy = get_taxonomy()
    wanted = {query.need, *taxonomy.descendants(query.need)}
    rows = session.execute(
        select(ServiceAtLocation.service_id, Location.latitude, Location.longitude, TaxonomyTerm.code)
        .join(Location, Location.id == ServiceAtLocation.location_id)
        .join(Attribute, Attribute.link_id == ServiceAtLocation.service_id)
        .join(TaxonomyTerm, TaxonomyTerm.id == Attribute.taxonomy_term_id)
    ).all()
    found = {}
    for service_id, lat, lon, code in rows:
        if lat is None or code not in wanted:
            continue
        distance = geodesic((query.lat, query.lon), (lat, lon)).km
        if distance <= query.radius_km and (service_id not in found or distance < found[service_id]):
            found[service_id] = distance
    return sorted(found.items(), key=lambda item: item[1])


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=100_000)
    parser.add_argument("--searches", type=int, default=1000)
    parser.add_argument("--naive", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    places = zctas()

    OUT.mkdir(exist_ok=True)
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{OUT}/bench-{args.services}.sqlite3"
    engine = db.make_engine(url)
    db.upgrade(engine)
    with Session(engine) as session:
        if session.execute(select(func.count()).select_from(Service)).scalar_one() < args.services:
            started = time.perf_counter()
            load_providers(session, read_bundles())
            synthesize(session, args.services, rng, places)
            session.commit()
            print(f"built data set in {time.perf_counter() - started:.0f} s")
        total_services = session.execute(select(func.count()).select_from(Service)).scalar_one()

        searches = queries(rng, places, args.searches)
        for _, query in queries(random.Random(args.seed + 1), places, 50):
            search(session, query)  # warm the database's page cache; not timed
        engine_ms, results = [], []
        for _, query in searches:
            started = time.perf_counter()
            result = search(session, query)
            engine_ms.append((time.perf_counter() - started) * 1000)
            results.append(result.total)

        naive_ms = []
        for _, query in searches[: args.naive]:
            started = time.perf_counter()
            naive_search(session, query)
            naive_ms.append((time.perf_counter() - started) * 1000)

    from app import create_app

    # measure the request, not the limiter
    app = create_app({"ENGINE": engine, "RATELIMIT_ENABLED": False, "SITE_URL": "http://127.0.0.1:5000"})
    client = app.test_client()
    api_ms = []
    for zcta, query in searches:
        params = {"location": zcta, "need": query.need, "radius_km": int(query.radius_km)}
        if query.languages:
            params["language"] = ",".join(query.languages)
        if query.cost:
            params["cost"] = query.cost
        started = time.perf_counter()
        response = client.get("/api/v1/search", query_string=params)
        api_ms.append((time.perf_counter() - started) * 1000)
        assert response.status_code in (200, 422), response.status_code

    engine_naive_sample = engine_ms[: args.naive]
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {engine.dialect.name}"
    )
    print(f"data: {total_services} services ({args.services} synthetic + real), {args.searches} searches")
    print(f"results per search: median {statistics.median(results):.0f}, max {max(results)}")
    print(f"engine       p50 {percentile(engine_ms, 0.5):7.2f} ms   p95 {percentile(engine_ms, 0.95):7.2f} ms")
    print(f"api request  p50 {percentile(api_ms, 0.5):7.2f} ms   p95 {percentile(api_ms, 0.95):7.2f} ms")
    print(f"naive        p50 {percentile(naive_ms, 0.5):7.2f} ms   ({args.naive} searches)")
    ratio = statistics.median(naive_ms) / statistics.median(engine_naive_sample)
    print(f"speed-up over naive (median, same {args.naive} searches): {ratio:.0f}x")


if __name__ == "__main__":
    main()
