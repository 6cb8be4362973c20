"""HSDS import benchmark: a synthetic 211-style HSDS 1.x package of 4,000 services, imported once.

Writes the package (data/ layout, datapackage.json, AIRS codes in services_taxonomy.csv, 12-hour
hours, phones, languages) to bench/out/, imports it into a fresh database with the same code as
``flask hsds import``, and prints the time. The target: at most 20 s on the 2-core machine.

    .venv/bin/python -m bench.import_bench                 # SQLite in bench/out/
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/test .venv/bin/python -m bench.import_bench
Options: --services N, --seed N.
"""

import argparse
import csv
import json
import os
import platform
import random
import shutil
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlmodel import Session

from app import create_app
from hsds.importer import import_path
from models import db

OUT = Path(__file__).resolve().parent / "out"
CODES = ["FT-3600", "FT-3600.6500", "FN-1500.9100", "RP-1500", "RP-1400", "BH-1800.1500-100", "YZ-0001"]
ZIPS = [("75201", "Dallas", "TX"), ("77002", "Houston", "TX"), ("10001", "New York", "NY"),
        ("60601", "Chicago", "IL"), ("90012", "Los Angeles", "CA"), ("33130", "Miami", "FL")]  # fmt: skip
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]


def _write(path: Path, header: list[str], rows: list[list]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def write_package(folder: Path, services: int, rng: random.Random) -> None:
    """Write a 1.x package with ``services`` services, two per organization, one site per organization."""
    data = folder / "data"
    data.mkdir(parents=True)
    orgs = services // 2
    tables = {
        "organizations": (["id", "name", "description", "url"], []),
        "locations": (["id", "organization_id", "name", "latitude", "longitude"], []),
        "physical_addresses": (["id", "location_id", "address_1", "city", "state_province", "postal_code"], []),
        "services": (["id", "organization_id", "name", "description", "status", "fees"], []),
        "services_at_location": (["id", "service_id", "location_id"], []),
        "services_taxonomy": (["id", "service_id", "taxonomy_id", "taxonomy_detail"], []),
        "phones": (["id", "service_id", "number", "type"], []),
        "regular_schedules": (["id", "service_id", "weekday", "opens_at", "closes_at"], []),
        "languages": (["id", "service_id", "language"], []),
        "taxonomy": (["id", "name", "parent_id", "vocabulary"], [[c, f"Term {c}", "", "AIRS"] for c in CODES]),
    }
    for o in range(orgs):
        zip_code, city, state = rng.choice(ZIPS)
        tables["organizations"][1].append([f"org-{o}", f"Community Org {o}", f"Helps people ({o})", ""])
        tables["locations"][1].append([f"loc-{o}", f"org-{o}", f"Office {o}", "", ""])
        tables["physical_addresses"][1].append([f"adr-{o}", f"loc-{o}", f"{o} Main St", city, state, zip_code])
    for s in range(services):
        org = s // 2
        tables["services"][1].append([f"svc-{s}", f"org-{org}", f"Service {s}", "Help", "active", "Free"])
        tables["services_at_location"][1].append([f"sal-{s}", f"svc-{s}", f"loc-{org}"])
        tables["services_taxonomy"][1].append([f"st-{s}", f"svc-{s}", rng.choice(CODES), ""])
        tables["phones"][1].append([f"ph-{s}", f"svc-{s}", f"214-555-{s % 10000:04d}", "voice"])
        for d, day in enumerate(rng.sample(DAYS, 3)):
            tables["regular_schedules"][1].append([f"rs-{s}-{d}", f"svc-{s}", day, "9:00am", "5:00 PM"])
        tables["languages"][1].append([f"lang-{s}", f"svc-{s}", rng.choice(["Spanish", "English", "Vietnamese"])])
    resources = []
    for name, (header, rows) in tables.items():
        _write(data / f"{name}.csv", header, rows)
        resources.append({"name": name, "path": f"data/{name}.csv"})
    (folder / "datapackage.json").write_text(json.dumps({"name": "bench", "resources": resources}), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=4_000)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    package = OUT / "import-package"
    shutil.rmtree(package, ignore_errors=True)
    write_package(package, args.services, random.Random(args.seed))
    url = db.normalize_url(os.environ.get("DATABASE_URL") or f"sqlite:///{OUT}/import-bench.sqlite3")
    schema = None
    if url.startswith("sqlite"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    else:  # a schema of its own, dropped at the end: the database's other schemas are left alone
        schema = f"import_bench_{uuid.uuid4().hex[:12]}"
        _admin(url, f'CREATE SCHEMA "{schema}"')
    engine = db.make_engine(url, schema=schema)
    try:
        db.upgrade(engine)
        _run(engine, package, args.services, url)
    finally:
        engine.dispose()
        if schema:
            _admin(url, f'DROP SCHEMA "{schema}" CASCADE')


def _admin(url: str, statement: str) -> None:
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(statement))
    admin.dispose()


def _run(engine, package: Path, services: int, url: str) -> None:
    app = create_app({"ENGINE": engine, "TESTING": True, "SECRET_KEY": "bench"})
    with app.app_context(), Session(engine) as session:
        started = time.perf_counter()
        report = import_path(session, package, max_bytes=50_000_000)
        took = time.perf_counter() - started
        again = time.perf_counter()
        second = import_path(session, package, max_bytes=50_000_000)
        took_again = time.perf_counter() - again
    assert report.ok, report.text()[:2_000]
    assert second.changed == 0, second.text()[:2_000]
    print(f"{services} services, {sum(report.read.values())} rows: imported in {took:.1f} s; "
          f"the same package again (nothing to change) in {took_again:.1f} s")  # fmt: skip
    print(f"{platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores, {url.split(':')[0]}")


if __name__ == "__main__":
    main()
