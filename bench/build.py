"""Build the benchmark's database: the bundled real providers plus exactly N synthetic services.

Synthetic services are made, written (COPY on PostgreSQL) and indexed a batch at a time, each
batch committed, so memory stays flat whatever N is. A database that holds anything else than
what a run asks for is refused, never silently reused.
"""

import multiprocessing
import random
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from sqlalchemy import Engine, func, select, text
from sqlmodel import Session

from bench.workload import zctas
from matching.bulk_index import index_new_services
from matching.index import cluster
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
    db,
)
from seed.bulk import write_rows
from seed.load import load_providers, read_bundles, term_id

SYNTHETIC_SOURCE = "bench"  # organization.sources of every synthetic provider
BATCH = 5000  # synthetic services per batch (written, indexed and committed together)
LANGS = ["es", "en", "zh", "vi", "ar", "ht", "fr", "pt", "ko", "ru"]
ORDER = (Organization, Location, Address, Service, ServiceAtLocation, Attribute, Language, Credential)


class WrongDatabase(Exception):
    """The database holds something else than this run asks for."""


@dataclass
class Contents:
    synthetic: int
    other: int


def contents(session: Session) -> Contents:
    """Count the synthetic services and the others."""
    total = session.execute(select(func.count()).select_from(Service)).scalar_one()
    synthetic = session.execute(
        select(func.count())
        .select_from(Service)
        .join(Organization, Organization.id == Service.organization_id)
        .where(Organization.sources == SYNTHETIC_SOURCE)
    ).scalar_one()
    return Contents(synthetic=synthetic, other=total - synthetic)


def bundled_services() -> int:
    """Return how many services the bundled providers file holds."""
    return sum(len(bundle["services"]) for bundle in read_bundles())


def rebuild_hint(engine: Engine) -> str:
    """Say how to start over on this database."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return f"delete {url.database} (and its -wal and -shm files), then run the benchmark again"
    return (
        f"dropdb -h {url.host} -U {url.username} {url.database} && createdb -h {url.host} -U {url.username} "
        f"{url.database}, or point DATABASE_URL at another empty database"
    )


def check_or_build(
    engine: Engine, services: int, *, seed: int, jobs: int = 1, report: Callable[[str], None] = print
) -> float | None:
    """Build the data set on an empty database, or check that it is this one; return the build time.

    Raises WrongDatabase when the database holds another data set (or a build that was interrupted).
    """
    expected_real = bundled_services()
    with Session(engine) as session:
        found = contents(session)
    if found.synthetic == services and found.other == expected_real:
        return None
    if found.synthetic or found.other:
        raise WrongDatabase(
            f"This database holds {found.synthetic:,} synthetic and {found.other:,} other services; this run "
            f"wants {services:,} synthetic services on top of the {expected_real:,} bundled ones. The benchmark "
            f"does not reuse a database built for another data set. To rebuild: {rebuild_hint(engine)}."
        )
    started = time.perf_counter()
    with Session(engine) as session:
        load_providers(session, read_bundles(), commit_batches=True)
        session.commit()
    report(f"  loaded the bundled providers in {time.perf_counter() - started:.0f} s")
    batches = [(first, min(BATCH, services - first)) for first in range(0, services, BATCH)]
    if engine.dialect.name != "postgresql":
        jobs = 1  # SQLite has one writer at a time
    if jobs == 1:
        with Session(engine) as session:
            synthesize(session, batches, seed=seed, started=started, report=report)
    else:
        url = engine.url.render_as_string(hide_password=False)
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            parts = [pool.submit(_synthesize_part, url, batches[job::jobs], seed, started) for job in range(jobs)]
            for part in parts:
                part.result()
    with Session(engine) as session:
        cluster(session)
        session.commit()
    return time.perf_counter() - started


def _synthesize_part(url: str, batches: list[tuple[int, int]], seed: int, started: float) -> None:
    """Build some of the batches in a worker process, on a connection of its own."""
    engine = db.make_engine(url)
    with Session(engine) as session:
        synthesize(session, batches, seed=seed, started=started, report=lambda line: print(line, flush=True))
    engine.dispose()


def synthesize(
    session: Session, batches: list[tuple[int, int]], *, seed: int, started: float, report: Callable[[str], None]
) -> None:
    """Add the synthetic services of ``batches`` (first index, size), each batch written, indexed and committed.

    Each batch draws from a generator seeded with --seed and its first index, so the data set is the
    same however many workers build it.
    """
    places = zctas()
    codes = list(get_taxonomy().needs)
    if session.get_bind().dialect.name == "postgresql":
        # Disposable data: a crash loses the last batches, which the refusal of a half-built database catches.
        session.execute(text("SET synchronous_commit = off"))
    for number, (first, size) in enumerate(batches, start=1):
        rows, service_ids = _synthetic_batch(first, size, random.Random(f"{seed}:{first}"), places, codes)
        for model in ORDER:
            write_rows(session, model, rows[model])
        index_new_services(session, service_ids)
        session.commit()
        if number % 10 == 0 or number == len(batches):
            report(f"  {number:>4} / {len(batches)} batches of this worker ({time.perf_counter() - started:.0f} s)")


def _uuid(rng: random.Random) -> str:
    """Return a random uuid drawn from ``rng`` (the same data set for the same --seed)."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _synthetic_batch(first: int, size: int, rng: random.Random, places: list, codes: list[str]):
    """Return the rows of synthetic services first .. first + size - 1, by model, and their ids."""
    rows: dict[type, list[dict]] = {model: [] for model in ORDER}
    service_ids = []
    for index in range(first, first + size):
        for model, row in _synthetic_service(index, rng, places, codes):
            rows[model].append(row)
        service_ids.append(rows[Service][-1]["id"])
    return rows, service_ids


def _synthetic_service(index: int, rng: random.Random, places: list, codes: list[str]) -> Iterator[tuple[type, dict]]:
    """Yield the rows of one synthetic service: one site near a random ZIP centroid, 1 to 3 needs."""
    _, lat, lon = rng.choice(places)
    org_id, loc_id, svc_id = _uuid(rng), _uuid(rng), _uuid(rng)
    yield (
        Organization,
        {
            "id": org_id,
            "name": f"Synthetic provider {index}",
            "description": "",
            "status": "published",
            "verified": False,
            "sources": SYNTHETIC_SOURCE,
            "version": 1,
        },
    )
    yield (
        Location,
        {
            "id": loc_id,
            "organization_id": org_id,
            "latitude": lat + rng.uniform(-0.05, 0.05),
            "longitude": lon + rng.uniform(-0.05, 0.05),
            "location_type": "physical",
            "confidential": False,
            "geocode_precision": "source",
            "timezone": "America/Chicago",
            "version": 1,
        },
    )
    yield (
        Address,
        {
            "id": _uuid(rng),
            "location_id": loc_id,
            "address_1": f"{index} Main St",
            "city": "Town",
            "state_province": "TX",
            "postal_code": "00000",
            "country": "US",
            "address_type": "physical",
        },
    )
    yield (
        Service,
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
        },
    )
    yield ServiceAtLocation, {"id": _uuid(rng), "service_id": svc_id, "location_id": loc_id}
    for code in rng.sample(codes, rng.randint(1, 3)):
        yield (
            Attribute,
            {
                "id": _uuid(rng),
                "link_id": svc_id,
                "taxonomy_term_id": term_id(code),
                "link_entity": "service",
                "link_type": "need",
            },
        )
    for code in rng.sample(LANGS, rng.randint(0, 3)):
        yield Language, {"id": _uuid(rng), "service_id": svc_id, "code": code}
    if rng.random() < 0.1:
        yield (
            Credential,
            {
                "id": _uuid(rng),
                "service_id": svc_id,
                "kind": rng.choice(["doj-recognized", "accredited-rep-full", "attorney"]),
            },
        )
