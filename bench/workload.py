"""The searches the benchmark times: where people search from, what they ask, and the dense cases.

The gazetteer has no population figures (data/gazetteer: ZCTA centroids and places, no counts),
so "where people are" is taken from where the bundled real providers are: a ZIP is drawn with
weight 1 + the number of bundled sites whose address has that ZIP, and 20% of the searches come
from the 20 towns with the most bundled sites (our stand-in for the 20 largest metros).
"""

import csv
import gzip
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlmodel import Session

from geo import get_gazetteer
from matching.engine import UNKNOWABLE_FILTERS, SearchQuery
from matching.needs import get_taxonomy
from models import SearchEntry
from models.base import CREDENTIAL_KINDS
from seed.load import read_bundles

ZCTA_FILE = Path(__file__).resolve().parent.parent / "data" / "gazetteer" / "zcta_centroids.csv.gz"
METRO_SHARE = 0.2
METROS = 20
NYC_ZIP = "10001"


@dataclass
class Search:
    """One search: where from (a ZIP), the engine's query, and how it was drawn."""

    zcta: str
    query: SearchQuery
    kind: str  # "metro", "weighted" or a dense case's name

    def api_params(self) -> dict:
        """Return the same search as /api/v1/search parameters."""
        query = self.query
        params = {"location": self.zcta, "radius_km": int(query.radius_km)}
        if query.need:
            params["need"] = query.need
        if query.languages:
            params["language"] = ",".join(query.languages)
        for name in ("cost", "delivery"):
            if getattr(query, name):
                params[name] = getattr(query, name)
        if query.credentials:
            params["credential"] = query.credentials[0]
        for name in ("accepting", "open_now"):
            if getattr(query, name):
                params[name] = "1"
        for name in query.strict:
            params[f"{name}_strict"] = "1"
        return params


def zctas() -> list[tuple[str, float, float]]:
    """Return every ZCTA with its centroid."""
    with gzip.open(ZCTA_FILE, "rt") as handle:
        return [(row["zcta"], float(row["lat"]), float(row["lng"])) for row in csv.DictReader(handle)]


def bundled_sites() -> tuple[Counter, list[Counter]]:
    """Count the bundled sites per ZIP, and per ZIP in each of the METROS towns with the most sites."""
    per_zip: Counter = Counter()
    per_town: dict[tuple[str, str], Counter] = {}
    for bundle in read_bundles():
        for location in bundle["locations"]:
            address = location["address"]
            code = (address.get("postal_code") or "")[:5]
            if not code:
                continue
            per_zip[code] += 1
            town = ((address.get("city") or "").strip().lower(), address.get("state_province") or "")
            per_town.setdefault(town, Counter())[code] += 1
    biggest = sorted(per_town.values(), key=lambda zips: -sum(zips.values()))[:METROS]
    return per_zip, biggest


def mix(rng: random.Random, count: int) -> list[Search]:
    """Draw ``count`` searches: weighted places, every filter now and then, some with no need."""
    places = {zcta: (lat, lon) for zcta, lat, lon in zctas()}
    per_zip, metros = bundled_sites()
    codes = list(places)
    weights = [1 + per_zip.get(code, 0) for code in codes]
    metro_zips = [[code for code in zips if code in places] for zips in metros]
    metro_zips = [zips for zips in metro_zips if zips]
    taxonomy = get_taxonomy()
    needs = [n.code for n in taxonomy.top_level] * 3 + list(taxonomy.needs)
    found = []
    for _ in range(count):
        if rng.random() < METRO_SHARE:
            zcta, kind = rng.choice(rng.choice(metro_zips)), "metro"
        else:
            zcta, kind = rng.choices(codes, weights)[0], "weighted"
        need = None if rng.random() < 0.15 else rng.choice(needs)
        found.append(Search(zcta, _query(rng, zcta, places[zcta], need), kind))
    return found


def _query(rng: random.Random, zcta: str, point: tuple[float, float], need: str | None) -> SearchQuery:
    """Return a query from ``zcta`` with filters drawn at random, each now and then."""
    languages = (
        ("es",) if rng.random() < 0.3 else (rng.choice(["zh", "vi", "ar", "ht"]),) if rng.random() < 0.07 else ()
    )
    cost = rng.choices([None, "free", "sliding-scale"], [75, 18, 7])[0]
    credentials = (rng.choice(CREDENTIAL_KINDS),) if rng.random() < 0.05 else ()
    accepting = rng.random() < 0.1
    open_now = rng.random() < 0.1
    delivery = rng.choices([None, "in-person", "remote"], [90, 5, 5])[0]
    asked = {"language": bool(languages), "credential": bool(credentials), "accepting": accepting, "open_now": open_now}
    strict = frozenset(name for name in UNKNOWABLE_FILTERS if asked[name] and rng.random() < 0.25)
    return _located(
        zcta,
        point,
        need=need,
        languages=languages,
        cost=cost,
        credentials=credentials,
        accepting=accepting,
        open_now=open_now,
        delivery=delivery,
        strict=strict,
        radius_km=rng.choice([10.0, 25.0, 50.0, 50.0, 100.0]),
    )


def _located(zcta: str, point: tuple[float, float], **fields) -> SearchQuery:
    info = get_gazetteer().zip_info(zcta)
    return SearchQuery(
        lat=point[0],
        lon=point[1],
        state=info.state if info else None,
        county=info.county if info else None,
        timezone=info.timezone if info else None,
        **fields,
    )


def dense_cases(session: Session) -> list[Search]:
    """Return the dense searches: each top-level need and no need, 100 km around NYC 10001; and no
    need, 100 km, from the ZIP nearest the centre of each of the 10 half-degree cells with the most sites."""
    places = {zcta: (lat, lon) for zcta, lat, lon in zctas()}
    nyc = places[NYC_ZIP]
    cases = [
        Search(NYC_ZIP, _located(NYC_ZIP, nyc, need=need.code, radius_km=100.0), f"NYC 10001, {need.code}")
        for need in get_taxonomy().top_level
    ]
    cases.append(Search(NYC_ZIP, _located(NYC_ZIP, nyc, radius_km=100.0), "NYC 10001, no need"))
    for lat, lon in densest_cells(session):
        zcta = min(places, key=lambda code: (places[code][0] - lat) ** 2 + (places[code][1] - lon) ** 2)
        cases.append(Search(zcta, _located(zcta, places[zcta], radius_km=100.0), f"dense cell, ZIP {zcta}, no need"))
    return cases


def densest_cells(session: Session, count: int = 10) -> list[tuple[float, float]]:
    """Return the centres of the half-degree cells holding the most sites of the index."""
    # round(x - 0.5) floors on SQLite and PostgreSQL alike (a cast to integer truncates on one, rounds on the other).
    row = func.round((SearchEntry.latitude + 90) * 2 - 0.5).label("row")
    column = func.round((SearchEntry.longitude + 180) * 2 - 0.5).label("col")
    cells = session.execute(
        select(row, column, func.count().label("sites"))
        .where(SearchEntry.location_id.is_not(None), SearchEntry.direct.is_(True))
        .group_by(row, column)
        .order_by(func.count().desc())
        .limit(count)
    ).all()
    return [(r / 2 - 90 + 0.25, c / 2 - 180 + 0.25) for r, c, _ in cells]
