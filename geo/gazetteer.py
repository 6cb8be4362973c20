"""Offline US gazetteer: ZIP centroids, Census places, ZIP attributes and state names.

Owns the in-memory indexes built from data/gazetteer/*.csv.gz (written by
``python -m geo.build_gazetteer``) and from the ``zipcodes`` package: ZIP -> centroid and
attributes (state, county, city, timezone), place names -> places, and a coarse grid over
ZCTA centroids for nearest-ZIP lookups. Loaded once per process through get_gazetteer().
"""

from __future__ import annotations

import csv
import difflib
import gc
import gzip
import math
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, NamedTuple

import zipcodes

from geo.distance import bounding_box, haversine_km

DATA_DIR: Path = Path(__file__).resolve().parent.parent / "data" / "gazetteer"
ZCTA_FILE = "zcta_centroids.csv.gz"
PLACES_FILE = "places.csv.gz"

GRID_DEGREES = 0.5
NEAREST_ZIP_KM = 50.0

STATES: dict[str, str] = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "FL": "Florida", "GA": "Georgia",
    "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "IA": "Iowa",
    "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland",
    "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri",
    "MT": "Montana", "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey",
    "NM": "New Mexico", "NY": "New York", "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio",
    "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina",
    "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont",
    "VA": "Virginia", "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
    "DC": "District of Columbia",
    "PR": "Puerto Rico", "VI": "U.S. Virgin Islands", "GU": "Guam", "AS": "American Samoa",
    "MP": "Northern Mariana Islands", "UM": "U.S. Minor Outlying Islands",
}  # fmt: skip
"""State, district and territory names by USPS abbreviation."""

_EXTRA_STATE_NAMES: dict[str, str] = {
    "virgin islands": "VI", "us virgin islands": "VI", "united states virgin islands": "VI",
    "mariana islands": "MP", "washington dc": "DC", "washington d c": "DC",
}  # fmt: skip

INCORPORATED_KINDS = frozenset({"city", "town", "village", "borough", "municipality"})
"""Census place kinds that are incorporated (or New England towns); preferred over CDPs."""

# Within one state, the lowest rank wins for a shared name.
_KIND_RANK: dict[str, int] = dict.fromkeys(INCORPORATED_KINDS, 0) | {"other": 1, "cdp": 2, "postal": 3}
# Across states (suggestion order): incorporated places and USPS cities (big consolidated
# cities such as Nashville are USPS-only here), then CDPs; ties broken by ZIP count.
_KIND_GROUP: dict[str, int] = dict.fromkeys(INCORPORATED_KINDS, 0) | {"other": 0, "postal": 0, "cdp": 1}

# What people type for a few big places, in English and Spanish: alias -> (place name, state).
ALIASES: dict[str, tuple[str, str]] = {
    "NYC": ("New York", "NY"), "New York City": ("New York", "NY"), "Nueva York": ("New York", "NY"),
    "Ciudad de Nueva York": ("New York", "NY"), "LA": ("Los Angeles", "CA"), "L.A.": ("Los Angeles", "CA"),
    "SF": ("San Francisco", "CA"), "DC": ("Washington", "DC"), "D.C.": ("Washington", "DC"),
    "Washington DC": ("Washington", "DC"), "Filadelfia": ("Philadelphia", "PA"),
    "Nueva Orleans": ("New Orleans", "LA"),
}  # fmt: skip
"""Aliases that resolve on their own, even where a state shares the letters (LA, DC)."""

# New York City's boroughs (no Census place carries them): name -> the county whose ZIPs they are.
BOROUGHS: dict[str, str] = {
    "Manhattan": "New York County", "Brooklyn": "Kings County", "Queens": "Queens County",
    "Bronx": "Bronx County", "Staten Island": "Richmond County",
}  # fmt: skip
# Names that, typed alone, mean the borough rather than a smaller place elsewhere ("Brooklyn, MI").
# Manhattan alone stays a question: Manhattan, KS is a city of its own.
PREFERRED_BARE = frozenset({"brooklyn", "queens", "bronx", "thebronx", "statenisland"})

_TOKEN_EXPANSIONS = {"st": "saint", "ste": "sainte", "ft": "fort", "mt": "mount"}
_ABBREVIATED = re.compile(r"\b(?:st|ste|ft|mt)\b")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_APOSTROPHES = re.compile(r"['\u2019\u2018`]")
_PAREN = re.compile(r"^(.*?)\s*\(([^)]*)\)\s*$")
_NAME_SUFFIXES = (" city and", " borough and", " corporation", " zona urbana", " comunidad")
_NEEDS_CLEANING = re.compile(r"[(,/-]| and$| corporation$| urbana$| comunidad$")
_CONSOLIDATED = re.compile(r"^([^-/,]+?)\s*[-/,]\s*.*\b(county|government)\b", re.IGNORECASE)


def normalize(text: str) -> str:
    """Lowercase, strip accents and punctuation, expand St./Ft./Mt.: 'St. José' -> 'saint jose'."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
    text = _NON_ALNUM.sub(" ", _APOSTROPHES.sub("", text.lower())).strip()
    return _ABBREVIATED.sub(_expand, text)


def _expand(match: re.Match[str]) -> str:
    return _TOKEN_EXPANSIONS[match.group(0)]


def tokens(text: str) -> list[str]:
    """Normalized words of text (see normalize)."""
    return normalize(text).split()


_KEY_CACHE: dict[str, str] = {}


def name_key(text: str) -> str:
    """Lookup key for a place name: normalized words joined without spaces ('St. Louis' -> 'saintlouis')."""
    key = _KEY_CACHE.get(text)
    if key is None:
        key = normalize(text).replace(" ", "")
        if len(_KEY_CACHE) < 200_000:
            _KEY_CACHE[text] = key
    return key


def _build_state_keys() -> dict[str, str]:
    keys: dict[str, str] = {}
    for abbr, name in STATES.items():
        keys[abbr.lower()] = abbr
        keys[name_key(name)] = abbr
    for name, abbr in _EXTRA_STATE_NAMES.items():
        keys[name_key(name)] = abbr
    return keys


_STATE_KEYS = _build_state_keys()
STATE_ABBREVIATIONS: dict[str, str] = {name: abbr for abbr, name in STATES.items()}
"""USPS abbreviation by state name (the reverse of STATES)."""


def state_abbr(text: str) -> str | None:
    """USPS abbreviation for a state name or abbreviation ('Texas', 'tx', 'D.C.'), else None."""
    return _STATE_KEYS.get(name_key(text))


def state_name(abbr: str) -> str | None:
    """Full name for a USPS abbreviation ('TX' -> 'Texas'), else None."""
    return STATES.get(abbr.upper())


def display_name(census_name: str) -> tuple[str, list[str]]:
    """Clean a Census place name for display; return (name, extra alias names).

    'El Paso de Robles (Paso Robles)' -> ('El Paso de Robles', ['Paso Robles']);
    'Juneau city and' -> ('Juneau', []); 'Macon-Bibb County' -> ('Macon', ['Macon-Bibb County']).
    """
    name = census_name.strip()
    aliases: list[str] = []
    if not _NEEDS_CLEANING.search(name):
        return name, aliases
    match = _PAREN.match(name)
    if match:
        name = match.group(1)
        if match.group(2).strip() and match.group(2).strip().lower() != "balance":
            aliases.append(match.group(2).strip())
    for suffix in _NAME_SUFFIXES:
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)].strip()
    consolidated = _CONSOLIDATED.match(name)
    if consolidated or "," in name:
        short = consolidated.group(1) if consolidated else name.split(",", 1)[0]
        aliases.append(name)
        name = short.strip()
    return name, aliases


@dataclass(frozen=True, slots=True)
class ZipInfo:
    """What is known about one ZIP code; lat/lon are the ZCTA centroid when there is one."""

    zip: str
    lat: float
    lon: float
    state: str | None
    county: str | None
    city: str | None
    timezone: str | None
    source: Literal["zcta", "zipcodes"]


class PlaceRecord(NamedTuple):
    """One named place: a Census place or a USPS city from zipcodes.

    kind is the Census kind (city, town, village, borough, municipality, cdp, other) or
    'postal' for a USPS city name no Census place carries (e.g. Nashville, Honolulu).
    """

    name: str
    state: str
    kind: str
    lat: float
    lon: float

    @property
    def label(self) -> str:
        """'Dallas, TX': the form that resolves back to this record."""
        return f"{self.name}, {self.state}"

    @property
    def incorporated(self) -> bool:
        """True for cities, towns, villages, boroughs and municipalities."""
        return self.kind in INCORPORATED_KINDS


def _coords(lat: str | None, lon: str | None) -> tuple[float, float] | None:
    """Parse zipcodes coordinates; None when missing or 0,0 (military ZIPs)."""
    if not lat or not lon:
        return None
    try:
        point = (float(lat), float(lon))
    except ValueError:
        return None
    return point if point != (0.0, 0.0) else None


class Gazetteer:
    """In-memory offline gazetteer. Build with Gazetteer.load(); share via get_gazetteer()."""

    def __init__(
        self,
        zcta: dict[str, tuple[float, float]],
        places: list[tuple[str, str, str, float, float]],
        zip_rows: list[dict[str, Any]],
    ) -> None:
        """Index ZCTA centroids, Census place rows (name, state, kind, lat, lon) and zipcodes rows."""
        self._zcta = zcta
        # zipcodes rows as given: zip_code, zip_code_type, city, state, county, timezone, lat, long.
        self._meta: dict[str, dict[str, Any]] = {row["zip_code"]: row for row in zip_rows}
        self._zip_cache: dict[str, ZipInfo | None] = {}
        self._grid: dict[tuple[int, int], list[tuple[float, float, str]]] = defaultdict(list)
        for code, (lat, lon) in zcta.items():
            self._grid[self._cell(lat, lon)].append((lat, lon, code))
        self._by_key: dict[str, list[PlaceRecord]] = defaultdict(list)
        self._best: dict[tuple[str, str], PlaceRecord] = {}
        self._zip_counts: dict[tuple[str, str], int] = defaultdict(int)
        self._index_places(places)
        self._index_postal_cities()
        self._index_boroughs()
        self._aliases: dict[str, PlaceRecord] = {}
        self._index_aliases()
        self._keys_by_state: dict[str, list[str]] = defaultdict(list)
        for key, state in self._best:
            self._keys_by_state[state].append(key)
        self._all_keys = sorted(self._by_key)

    @classmethod
    def load(cls, data_dir: Path | str = DATA_DIR) -> Gazetteer:
        """Read the gzip CSVs in data_dir and the zipcodes package tables."""
        data_dir = Path(data_dir)
        # Building ~300k small objects triggers many useless cyclic-GC passes; skip them.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            return cls._load(data_dir)
        finally:
            if gc_was_enabled:
                gc.enable()

    @classmethod
    def _load(cls, data_dir: Path) -> Gazetteer:
        with gzip.open(data_dir / ZCTA_FILE, "rt", encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            next(reader)
            zcta = {code: (float(lat), float(lng)) for code, lat, lng in reader}
        with gzip.open(data_dir / PLACES_FILE, "rt", encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            next(reader)
            places = [
                (name, state.upper(), kind.lower(), float(lat), float(lng))
                for _geoid, name, state, kind, lat, lng in reader
            ]
        return cls(zcta, places, zipcodes.list_all())

    # -- indexing -----------------------------------------------------------------------

    @staticmethod
    def _cell(lat: float, lon: float) -> tuple[int, int]:
        return math.floor(lat / GRID_DEGREES), math.floor(lon / GRID_DEGREES)

    def _add(self, key: str, record: PlaceRecord) -> None:
        if not key:
            return
        self._by_key[key].append(record)
        current = self._best.get((key, record.state))
        if current is None or _KIND_RANK[record.kind] < _KIND_RANK[current.kind]:
            self._best[(key, record.state)] = record

    def _index_places(self, places: list[tuple[str, str, str, float, float]]) -> None:
        for raw_name, state, raw_kind, lat, lon in places:
            kind = raw_kind if raw_kind in _KIND_RANK and raw_kind != "postal" else "other"
            name, aliases = display_name(raw_name)
            record = PlaceRecord(name, state, kind, lat, lon)
            key = name_key(name)
            self._add(key, record)
            for other in {name_key(raw_name), *(name_key(a) for a in aliases)} - {key} if aliases else ():
                self._add(other, record)

    def _index_postal_cities(self) -> None:
        """Add USPS city names (e.g. Nashville, Honolulu) that no Census place carries."""
        codes: dict[tuple[str, str], list[str]] = defaultdict(list)
        names: dict[tuple[str, str], str] = {}
        for code, meta in self._meta.items():
            city, state = meta["city"], meta["state"]
            if not city or not state or meta["zip_code_type"] not in ("STANDARD", "PO BOX"):
                continue
            key = (name_key(city), state)
            names.setdefault(key, city)
            self._zip_counts[key] += 1
            codes[key].append(code)
        for key, city in names.items():
            if key in self._best:
                continue
            points = [self._zcta[c] for c in codes[key] if c in self._zcta]
            if not points:
                found = (_coords(self._meta[c]["lat"], self._meta[c]["long"]) for c in codes[key])
                points = [p for p in found if p]
            if not points:
                continue
            lat, lon = _middle(points)
            self._add(key[0], PlaceRecord(city, key[1], "postal", lat, lon))

    def _index_boroughs(self) -> None:
        """Add New York City's boroughs, each at the middle of its county's ZCTAs."""
        for name, county in BOROUGHS.items():
            codes = [c for c, m in self._meta.items() if (m["state"], m["county"]) == ("NY", county)]
            codes = [c for c in codes if c in self._zcta]
            if not codes:
                continue
            lat, lon = _middle([self._zcta[c] for c in codes])
            record = PlaceRecord(name, "NY", "borough", lat, lon)
            self._zip_counts[(name_key(name), "NY")] = len(codes)
            for key in {name_key(name), name_key(f"The {name}")}:
                self._add(key, record)
                self._best[(key, "NY")] = record

    def _index_aliases(self) -> None:
        """Make common names and abbreviations ("NYC", "LA", "Nueva York") find their place."""
        for alias, (name, state) in ALIASES.items():
            record = self._best.get((name_key(name), state))
            if record is not None:
                self._aliases[name_key(alias)] = record
                self._by_key[name_key(alias)].append(record)
                self._best.setdefault((name_key(alias), state), record)

    def alias(self, text: str) -> PlaceRecord | None:
        """The place an alias or a borough names on its own ("NYC", "LA", "the Bronx"), or None."""
        key = name_key(text)
        if key in PREFERRED_BARE:
            return self._best.get((key, "NY"))
        return self._aliases.get(key)

    # -- ZIP codes ----------------------------------------------------------------------

    def zip_info(self, zip5: str) -> ZipInfo | None:
        """Centroid and attributes for a 5-digit ZIP, or None when it is unknown or unlocatable."""
        if zip5 in self._zip_cache:
            return self._zip_cache[zip5]
        meta = self._meta.get(zip5)
        point = self._zcta.get(zip5)
        source: Literal["zcta", "zipcodes"] = "zcta"
        if point is None and meta is not None:
            point, source = _coords(meta["lat"], meta["long"]), "zipcodes"
        info: ZipInfo | None = None
        if point is not None:
            attrs = meta or {}
            info = ZipInfo(
                zip5, point[0], point[1],
                attrs.get("state") or None, attrs.get("county") or None,
                attrs.get("city") or None, attrs.get("timezone") or None, source,
            )  # fmt: skip
        if len(self._zip_cache) < 100_000:
            self._zip_cache[zip5] = info
        return info

    def nearest_zip(
        self, lat: float, lon: float, max_km: float = NEAREST_ZIP_KM, state: str | None = None
    ) -> str | None:
        """The ZCTA whose centroid is nearest (lat, lon) within max_km, optionally in one state."""
        for radius in (15.0, max_km):
            if radius > max_km:
                continue
            found = self._nearest_within(lat, lon, radius, state)
            if found is not None:
                return found
        return None

    def _nearest_within(self, lat: float, lon: float, radius: float, state: str | None) -> str | None:
        min_lat, max_lat, min_lon, max_lon = bounding_box(lat, lon, radius)
        row_lo, col_lo = self._cell(min_lat, min_lon)
        row_hi, col_hi = self._cell(max_lat, max_lon)
        best: str | None = None
        best_km = radius
        for row in range(row_lo, row_hi + 1):
            for col in range(col_lo, col_hi + 1):
                for zlat, zlon, code in self._grid.get((row, col), ()):
                    if not (min_lat <= zlat <= max_lat and min_lon <= zlon <= max_lon):
                        continue
                    km = haversine_km(lat, lon, zlat, zlon)
                    if km <= best_km and (state is None or self._state_of(code) == state):
                        best, best_km = code, km
        return best

    def _state_of(self, zip5: str) -> str | None:
        meta = self._meta.get(zip5)
        return meta["state"] or None if meta else None

    # -- places -------------------------------------------------------------------------

    def find_place(self, name: str, state: str) -> PlaceRecord | None:
        """The preferred place called name in state (incorporated over CDP), or None."""
        return self._best.get((name_key(name), state.upper()))

    def find_place_key(self, key: str, state: str | None) -> list[PlaceRecord]:
        """Places with lookup key `key` (see name_key): one in state, or the best per state."""
        if state is not None:
            found = self._best.get((key, state))
            return [found] if found else []
        states = {record.state for record in self._by_key.get(key, ())}
        return self._ordered([self._best[(key, s)] for s in states])

    def places_named(self, name: str) -> list[PlaceRecord]:
        """The preferred place of that name in each state, in suggestion order."""
        return self.find_place_key(name_key(name), None)

    def zip_count(self, record: PlaceRecord) -> int:
        """How many USPS ZIPs carry this place's name in its state (a rough size measure)."""
        return self._zip_counts.get((name_key(record.name), record.state), 0)

    def _ordered(self, records: list[PlaceRecord]) -> list[PlaceRecord]:
        return sorted(records, key=lambda r: (_KIND_GROUP[r.kind], -self.zip_count(r), r.state, r.name))

    def similar_places(self, name: str, state: str | None = None, limit: int = 5) -> list[PlaceRecord]:
        """Places with names close to name (difflib), within state when given; best first."""
        key = name_key(name)
        if not key:
            return []
        pool = self._keys_by_state.get(state, []) if state else self._all_keys
        matches = difflib.get_close_matches(key, pool, n=limit, cutoff=0.75)
        found: list[PlaceRecord] = []
        for match in matches:
            found.extend(self.find_place_key(match, state)[:1] if state else self.find_place_key(match, None)[:2])
        seen: set[str] = set()
        unique = [r for r in found if not (r.label in seen or seen.add(r.label))]
        return unique[:limit]

    def __repr__(self) -> str:
        return f"<Gazetteer {len(self._zcta)} ZCTAs, {len(self._best)} place names, {len(self._meta)} ZIPs>"


def _middle(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Return the point (one of points) nearest their mean: the middle of a place's ZIPs, on one of them."""
    mean_lat = sum(p[0] for p in points) / len(points)
    mean_lon = sum(p[1] for p in points) / len(points)
    lat, lon = min(points, key=lambda p: haversine_km(mean_lat, mean_lon, p[0], p[1]))
    return round(lat, 5), round(lon, 5)


@lru_cache(maxsize=1)
def get_gazetteer() -> Gazetteer:
    """The process-wide gazetteer, loaded from data/gazetteer on first use."""
    return Gazetteer.load(DATA_DIR)
