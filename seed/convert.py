"""Convert SUCCURRO seed records (../shared/seed-data) into Amparo's bundle format.

A bundle is one JSON object per organization: the organization, its locations (placed offline,
flagged when they cannot be placed) and its services (mapped onto our need taxonomy, with cost,
languages, hours, eligibility, credentials and service areas). Run once by a developer:

    python -m seed.convert ../shared/seed-data data/providers.jsonl.gz

The output is committed; the app reads only data/.
"""

import csv
import difflib
import gzip
import io
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

from geo import GeocodeError, OfflineGeocoder, get_gazetteer, haversine_km
from matching.index import county_key
from matching.needs import Taxonomy, get_taxonomy
from matching.screening import government_reason
from seed.areas import named_elsewhere, stated_areas
from seed.phones import (
    LIFELINE_SOURCE,
    LINE_WORDS,
    is_line,
    is_local_center,
    lifeline_phone,
    record_phone,
    source_digest,
    text_phones,
)

# Seed categories that map straight onto our needs. Categories not listed here (food, seniors,
# financial, ...) are outside this directory's scope: kept on the record, matched to no need.
CATEGORY_NEEDS = {
    "immigration-legal": ["immigration-legal"],
    "legal-aid": ["legal-aid"],
    "mental-health": ["mental-health"],
    "mh-treatment": ["mental-health"],
    "counseling": ["counseling"],
    "peer-support": ["support-groups"],
    "su-treatment": ["substance-use"],
    "domestic-violence": ["domestic-violence"],
    "sexual-assault": ["sexual-assault"],
    "crisis": ["crisis-lines"],
    "crisis-hotline": ["crisis-lines"],
    "suicide-prevention": ["suicide-prevention"],
}

# What being on a source list tells us, beyond the record's own categories.
SOURCE_NEEDS = {
    # EOIR's list names providers of free help to people in immigration court proceedings.
    "eoir/pro-bono-providers": ["immigration-legal", "removal-defense"],
    "acf/orr-state-affiliates": ["refugee-resettlement"],
    # LSC grantees' core case types: housing, family, public benefits, consumer.
    "lsc/grantee-programs": ["legal-aid", "housing-law", "family-law", "public-benefits", "consumer-debt"],
    "lsc/office-locations": ["legal-aid", "housing-law", "family-law", "public-benefits", "consumer-debt"],
    "988lifeline/crisis-centers": ["crisis-lines", "suicide-prevention"],
    "nami/warmline-directory": ["support-groups"],
    "nami/affiliate-directory": ["support-groups"],
    "acf/fvpsa-tribal-grantees-fy2025": ["domestic-violence", "emergency-shelter"],
}

# Lists of general legal providers (see record_needs): their general need is kept next to their specialties.
GENERAL_PROVIDER_SOURCES = {"eoir/pro-bono-providers", "lsc/grantee-programs", "lsc/office-locations"}

# Sources whose services are free by the rules of the program that lists them.
FREE_SOURCES = {
    "eoir/pro-bono-providers",  # pro bono list
    "lsc/grantee-programs",  # LSC-funded help is free to eligible clients
    "lsc/office-locations",
    "988lifeline/crisis-centers",
    "nami/warmline-directory",
    "nami/affiliate-directory",  # NAMI programs are free
    "acf/fvpsa-tribal-grantees-fy2025",  # FVPSA forbids fees for its services
}

# SAMHSA FindTreatment service labels that tell which kind of mental-health care a site gives.
SAMHSA_SERVICE_NEEDS = {
    "outpatient": "counseling",
    "regular outpatient treatment": "counseling",
    "intensive outpatient treatment": "counseling",
    "clients who have experienced trauma": "trauma-therapy",
    "persons with post-traumatic stress disorder (ptsd)": "trauma-therapy",
    "clients who have experienced sexual abuse": "trauma-therapy",
    "clients who have experienced intimate partner violence, domestic violence": "trauma-therapy",
    "hospital inpatient/24-hour hospital inpatient": "psychiatric-care",
    "partial hospitalization/day treatment": "psychiatric-care",
    "outpatient day treatment or partial hospitalization": "psychiatric-care",
    "persons experiencing first-episode psychosis": "psychiatric-care",
    "persons  18 and older with serious mental illness (smi)": "psychiatric-care",
    "children/adolescents with serious emotional disturbance (sed)": "child-family-mental-health",
}

DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
VICTIM_SOURCES_SUFFIX = ("/program-directory",)
ZIP_RE = re.compile(r"^\d{5}")
# A source coordinate this far from its own ZIP's centroid is a misplaced city centroid.
MAX_SOURCE_ZIP_KM = 40.0
DIGEST_NAME = "source_phones.csv.gz"
PLACES_OUT = Path(__file__).resolve().parent.parent / "data" / "gazetteer" / "places.csv.gz"


def record_needs(record: dict, taxonomy: Taxonomy) -> list[str]:
    """Map a seed record's categories, sources, service labels and text onto need codes."""
    categories = set(record.get("categories", []))
    sources = set(record.get("sources", []))
    needs: set[str] = set()
    for category in categories:
        needs.update(CATEGORY_NEEDS.get(category, []))
    for source in sources:
        # A national line that a directory filed under the 988 list (a domestic-violence hotline) is
        # not a 988 crisis center: it keeps its own categories (see seed.phones.lifeline_phone).
        if source == LIFELINE_SOURCE and not (is_local_center(record) or record.get("phone") == "988"):
            continue
        needs.update(SOURCE_NEEDS.get(source, []))
    # Providers on these lists are general legal providers: their specialties (deportation defense;
    # housing and family law) do not narrow them, so someone asking for asylum or for help with wages
    # still finds them, after the specialists.
    general = {code for source in sources & GENERAL_PROVIDER_SOURCES for code in SOURCE_NEEDS[source]}
    general = {code for code in general if taxonomy[code].parent is None}
    # EOIR lists immigration providers only: its "legal-aid" tag is not civil legal aid.
    if "immigration-legal" in categories and sources <= {"eoir/pro-bono-providers", "acf/orr-state-affiliates"}:
        needs.discard("legal-aid")
    if categories & {"emergency-shelter", "youth-shelter", "transitional-housing"} and (
        "domestic-violence" in needs or "sexual-assault" in needs
    ):
        needs.add("emergency-shelter")
    for label in record.get("services", []):
        code = SAMHSA_SERVICE_NEEDS.get(label.lower())
        if code and "mental-health" in taxonomy.with_ancestors(needs):
            needs.add(code)
        if label.lower() == "human trafficking":
            needs.add("human-trafficking")
        if label.lower() == "family counseling":
            needs.add("counseling")
    # Keywords add children only under top-level needs the record already has, so that a
    # clinic treating survivors of violence is not listed as a domestic-violence program.
    tops = {c for c in taxonomy.with_ancestors(needs) if taxonomy[c].parent is None}
    text = " ".join([record.get("name", ""), record.get("description", "")]).lower()
    for top in tops:
        for child in taxonomy[top].children:
            if any(keyword in text for keyword in taxonomy[child].keywords):
                needs.add(child)
    # Keep the most specific codes (a parent is implied by its children), and the general need of a
    # general provider: it then also matches, after the specialists, a need it was not tagged with.
    implied = set()
    for code in needs:
        implied.update(taxonomy.ancestors(code))
    return sorted((needs - implied) | (general & needs)) if needs else []


def record_cost(record: dict) -> str | None:
    """Return the cost kind: the record's own, else what its source implies."""
    cost = record.get("cost")
    if cost in ("free", "sliding-scale", "insurance", "varies"):
        return cost
    sources = set(record.get("sources", []))
    if sources & FREE_SOURCES or any(s.endswith(VICTIM_SOURCES_SUFFIX) for s in sources):
        return "free"
    return None


def record_credentials(record: dict) -> list[str]:
    """Return the immigration-legal credentials a record's sources establish."""
    return ["eoir-pro-bono"] if "eoir/pro-bono-providers" in record.get("sources", []) else []


def record_schedules(record: dict) -> list[dict]:
    """Return weekly opening hours from the record ("hours", or "Hours: 24/7" in the text)."""
    schedules = []
    for hours in record.get("hours", []):
        days = [d.upper()[:2] for d in hours.get("days", [])]
        schedules.append(
            {"byday": ",".join(d for d in days if d in DAYS), "opens_at": hours["open"], "closes_at": hours["close"]}
        )
    if not schedules and re.search(r"\b24/7\b|24 hours", record.get("description", ""), re.IGNORECASE):
        schedules.append(
            {
                "byday": ",".join(DAYS),
                "opens_at": "00:00",
                "closes_at": "24:00",
                "description": "Open 24 hours, every day",
            }
        )
    return schedules


# A source point this close to its ZIP's or town's centroid is that centroid, not a street address.
CENTROID_KM = 0.3
# A point shared by this many records at different streets is a town centroid the source filled in.
SHARED_POINT_RECORDS = 3


def _zip5(record: dict) -> str | None:
    match = ZIP_RE.match(record.get("address", {}).get("zip", ""))
    return match.group(0) if match else None


def place_record(record: dict, places: "Places") -> dict:
    """Find coordinates for a record offline, and say truthfully how precise they are.

    "source": a street-level point from the record; "zip" or "place": a ZIP or town centre (the
    record's own point when it is only such a centre, or a record without a street); "none".
    """
    gazetteer = get_gazetteer()
    address = record.get("address", {})
    state = (address.get("state") or "").upper() or None
    zip5 = _zip5(record)
    zip_info = gazetteer.zip_info(zip5) if zip5 else None
    geo = record.get("geo")
    lat = lon = None
    precision = "none"
    if geo:
        lat, lon, precision = geo["lat"], geo["lng"], "source"
        if zip_info and haversine_km(lat, lon, zip_info.lat, zip_info.lon) > MAX_SOURCE_ZIP_KM:
            lat, lon, precision = zip_info.lat, zip_info.lon, "zip"
        elif zip_info and haversine_km(lat, lon, zip_info.lat, zip_info.lon) <= CENTROID_KM:
            precision = "zip"
        elif places.is_census_point(record.get("place"), lat, lon) or places.shared(lat, lon):
            precision = "place"
        elif not address.get("street"):
            precision = "zip" if zip_info else "place"
    elif zip_info:
        lat, lon, precision = zip_info.lat, zip_info.lon, "zip"
    elif record.get("place") in places.points:
        lat, lon = places.points[record["place"]]
        precision = "place"
    elif address.get("city") and state:
        lat, lon, precision = _town(address["city"], state)
    placed = {"lat": lat, "lon": lon, "precision": precision, "state": state, "county": None, "timezone": None}
    info = zip_info
    if info is None and lat is not None:
        nearest = gazetteer.nearest_zip(lat, lon, state=state) or gazetteer.nearest_zip(lat, lon)
        info = gazetteer.zip_info(nearest) if nearest else None
    if info is not None:
        placed["state"] = placed["state"] or info.state
        placed["county"] = info.county
        placed["timezone"] = info.timezone
    return placed


def _town(city: str, state: str) -> tuple[float | None, float | None, str]:
    """Return a town's point ("place" precision), or no point when the gazetteer does not know it.

    A misspelt town ("Brattelboro, VT") is read as the one town of that state whose name is
    nearly the same (difflib ratio 0.9 or more), and only when there is exactly one.
    """
    try:
        place = OfflineGeocoder().resolve(f"{city}, {state}")
    except GeocodeError:
        close = get_gazetteer().similar_places(city, state, limit=2)
        close = [r for r in close if difflib.SequenceMatcher(None, city.lower(), r.name.lower()).ratio() >= 0.9]
        if len(close) != 1:
            return None, None, "none"
        return close[0].lat, close[0].lon, "place"
    return (place.lat, place.lon, "place") if place.kind == "place" else (None, None, "none")


MATCHED_SCOPES = ("national", "state", "county")
# The description of a state area read from the state a directory lists a record under.
LISTED_STATE = "Listed for this state; the exact area it serves is not listed"


def record_state(record: dict) -> str | None:
    """Return the state a record is listed in: its address's, else its directory's (the id's prefix)."""
    from geo.gazetteer import STATES

    state = (record.get("address", {}).get("state") or record["id"].split("/", 1)[0]).upper()
    return state if state in STATES else None


def listed_state_area(record: dict) -> dict | None:
    """Return the state area of a record that has no address and states no area, or None.

    Directories are arranged by state (EOIR's list by state and court, each coalition's by its
    state): a provider listed there with no address is matched in that state, and the area says
    that where exactly it works is not listed. (Not for FVPSA tribal grantees: a tribe's program
    serves its own community, not its state.)
    """
    state = record_state(record)
    if state is None or named_elsewhere(record.get("name", ""), state):
        return None
    return {"scope": "state", "state": state, "name": None, "description": LISTED_STATE}


def clean_street(street: str) -> str:
    """Drop an office label the source ran into the street ("Houston Office:, 6001 Savoy Drive")."""
    if ":," in street:
        street = street.rsplit(":,", 1)[1]
    return street.strip(" ,")


def make_location(record: dict, places: "Places", *, confidential: bool) -> dict:
    """Build a bundle location from a seed record that has an address or coordinates."""
    address = record.get("address", {})
    placed = place_record(record, places)
    location = {
        "key": record["id"],
        "name": record["name"],
        "confidential": confidential,
        "address": {
            "address_1": clean_street(address.get("street", "")),
            "address_2": address.get("street2"),
            "city": address.get("city", ""),
            "state_province": (address.get("state") or placed["state"] or "").upper(),
            "postal_code": address.get("zip", ""),
        },
        **placed,
    }
    if confidential:
        # A shelter's street is never kept; only its town or ZIP centroid places it.
        location["address"]["address_1"] = ""
        location["address"]["address_2"] = None
        if location["precision"] == "source":
            location["precision"] = "zip" if address.get("zip") else "place"
    phones = record_phone(record, kind="hotline" if is_line(record) else "voice")
    if phones:
        location["phones"] = phones
    if record.get("languages"):
        location["languages"] = record["languages"]
    return location


def town_location(record: dict, town: str, state: str) -> dict | None:
    """Build a location at the town a record's text names ("based in Mountain Home, AR"), if known."""
    lat, lon, precision = _town(town, state)
    if lat is None:
        return None
    gazetteer = get_gazetteer()
    nearest = gazetteer.nearest_zip(lat, lon, state=state)
    info = gazetteer.zip_info(nearest) if nearest else None
    return {
        "key": f"{record['id']}#{town.lower().replace(' ', '-')}",
        "name": record["name"],
        "confidential": is_confidential(record),
        "address": {"address_1": "", "address_2": None, "city": town, "state_province": state, "postal_code": ""},
        "lat": lat,
        "lon": lon,
        "precision": precision,
        "state": state,
        "county": info.county if info else None,
        "timezone": info.timezone if info else None,
    }


ONLINE_WORDS = re.compile(r"\b(virtual|online[- ]only|online)\b", re.IGNORECASE)


def record_delivery(record: dict, locations: list[dict]) -> str:
    """Say how a record's service is given: "remote" (a line or online only), "in-person" or "both".

    A telephone line or online-only service (by its name or its source: 988 centers, warmlines)
    with no street address is remote. A domestic-violence or sexual-assault program whose address is
    withheld helps in person at a place its hotline gives: both. An office that also runs a line
    ("24/7 hotline", "HelpLine") is both. Anything else is in person, where it is.
    """
    has_street = any(loc["address"]["address_1"] for loc in locations)
    named_line = bool(LINE_WORDS.search(record.get("name", "")) or ONLINE_WORDS.search(record.get("name", "")))
    national = (record.get("service_area") or {}).get("kind") == "national"
    if is_confidential(record) and record.get("phone") and not named_line and not national:
        return "both"
    if (named_line or is_line(record)) and not has_street:
        return "remote"
    text = record.get("description", "")
    mentions_line = bool(LINE_WORDS.search(text) or re.search(r"24/7 (crisis )?(phone|line)", text, re.IGNORECASE))
    if named_line or mentions_line:
        return "remote" if national and not has_street else "both"
    return "in-person"


def record_areas(record: dict, locations: list[dict]) -> list[dict]:
    """Return the service areas a record states: its ``service_area`` and the counties its text names.

    A statewide area that contradicts the record's own address or name (a Los Angeles coalition
    "serving all of New York" in a New York directory) is dropped: the record's address wins.
    """
    default_state = (record.get("address", {}).get("state") or record["id"][:2]).upper()
    counties, _towns = stated_areas(record.get("description", ""), default_state)
    areas = []
    area = record.get("service_area")
    if area:
        areas.append(
            {"scope": area["kind"], "state": (area.get("state") or "").upper() or None, "name": area.get("name")}
        )
    areas += counties
    home = {loc["state"] for loc in locations if loc.get("state")}
    kept, seen = [], set()
    for area in areas:
        key = (area["scope"], area["state"], county_key(area.get("name")) if area["scope"] == "county" else None)
        if key in seen:
            continue
        seen.add(key)
        if area["scope"] != "national" and area["state"] and home and area["state"] not in home:
            continue
        if area["scope"] == "state" and named_elsewhere(record.get("name", ""), area["state"]):
            continue
        kept.append(area)
    return kept


def make_service(record: dict, needs: list[str]) -> dict:
    """Build the bundle service a seed record describes."""
    service = {
        "key": record["id"],
        # The seed names organizations and sites, not services: the service takes that name
        # (pages then show it once); organizations name their services when they edit listings.
        "name": record["name"],
        "description": record.get("description"),
        "needs": needs,
        "source_categories": record.get("categories", []),
        "cost": record_cost(record),
        "eligibility": record.get("eligibility"),
        "languages": record.get("languages", []),
        "credentials": record_credentials(record),
        # The day the source list was compiled; a confirmation by the organization is another thing
        # (service.assured_date, set only by the organization's "confirm" or a moderator's approval).
        "listed_on": record.get("verified", {}).get("on"),
        "schedules": record_schedules(record),
        "labels": record.get("services", []),
    }
    phones = text_phones(record) + lifeline_phone(record)
    if phones:
        service["phones"] = phones
    return service


def is_confidential(record: dict) -> bool:
    """Tell whether a record is a victim-support site whose street address is withheld."""
    victim = set(record.get("categories", [])) & {"domestic-violence", "sexual-assault"}
    return bool(victim) and not record.get("address", {}).get("street")


class Places:
    """Census place points by GEOID: the gazetteer's (where people are) and the Census internal points."""

    def __init__(self, points: dict[str, tuple[float, float]], census: dict[str, tuple[float, float]]):
        self.points = points
        self.census = census
        self._shared: set[tuple[float, float]] = set()

    def is_census_point(self, geoid: str | None, lat: float, lon: float) -> bool:
        """Tell whether a point is (within CENTROID_KM) the Census internal point of the record's place."""
        point = self.census.get(geoid or "")
        return bool(point) and haversine_km(lat, lon, *point) <= CENTROID_KM

    def note_shared(self, records: list[dict]) -> None:
        """Remember points that several records at different streets share (a filled-in centroid)."""
        streets: dict[tuple[float, float], set[str]] = defaultdict(set)
        for record in records:
            if record.get("geo"):
                point = (round(record["geo"]["lat"], 4), round(record["geo"]["lng"], 4))
                streets[point].add(record.get("address", {}).get("street", "") or record["id"])
        self._shared = {point for point, found in streets.items() if len(found) >= SHARED_POINT_RECORDS}

    def shared(self, lat: float, lon: float) -> bool:
        """Tell whether a point is one that several records at different streets share."""
        return (round(lat, 4), round(lon, 4)) in self._shared


def screen(records: list[dict]) -> tuple[list[dict], list[tuple[str, str]]]:
    """Split records into providers and (id, reason) of the rest.

    Left out: government agencies, their facilities and courts (matching.screening), and records
    whose "name" is a sentence a directory's page left behind ("created by Pro Bono Net and the
    Immigrant Advocates Network", "Currently, no program is operating. Please contact ...").
    """
    from seed.audit import suspicious_name

    kept, out = [], []
    for record in records:
        reason = government_reason(record.get("name", ""), record.get("description", ""))
        reason = reason or suspicious_name(record.get("name", ""))
        if reason:
            out.append((record["id"], reason))
        else:
            kept.append(record)
    return kept, out


def convert(seed_dir: Path, taxonomy: Taxonomy | None = None) -> list[dict]:
    """Return one bundle per organization (and per site that has no organization)."""
    taxonomy = taxonomy or get_taxonomy()
    organizations, _ = screen(_read_jsonl(seed_dir / "organizations.jsonl"))
    sites, _ = screen(_read_jsonl(seed_dir / "sites.jsonl"))
    places = Places(load_places(PLACES_OUT), load_places(seed_dir / "places.csv"))
    places.note_shared(organizations + sites)
    sites_by_org: dict[str, list[dict]] = defaultdict(list)
    for site in sites:
        if site.get("org"):
            sites_by_org[site["org"]].append(site)
    bundles = []
    for org in organizations:
        bundles.append(make_bundle(org, sites_by_org.get(org["id"], []), taxonomy, places))
    known = {org["id"] for org in organizations}
    for site in sites:
        if not site.get("org") or site["org"] not in known:
            bundles.append(make_bundle(site, [], taxonomy, places))
    return merge_duplicates(bundles)


DUPLICATE_KM = 1.0


def _normal_name(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", re.sub(r"\([^)]*\)", "", name.lower())).strip()


def _numbers(bundle: dict) -> set[str]:
    phones = bundle["phones"] + [p for loc in bundle["locations"] for p in loc.get("phones", [])]
    phones += [p for svc in bundle["services"] for p in svc.get("phones", [])]
    return {re.sub(r"\D", "", p["number"]) for p in phones} - {"988"}


def _sites(bundle: dict) -> list[dict]:
    return [loc for loc in bundle["locations"] if loc["lat"] is not None]


def same_provider(first: dict, second: dict) -> bool:
    """Tell whether two bundles list one provider twice (the audit's duplicate rule, see seed/audit.py).

    Same name (an abbreviation in brackets aside), the same phone or a site within 1 km, and the same
    site or no street address on one of them to tell them apart: the International Rescue Committee
    in Dallas, listed by EOIR at its street and by ORR at the city's centre, with one phone.
    """
    if _normal_name(first["name"]) != _normal_name(second["name"]):
        return False
    near = any(
        haversine_km(a["lat"], a["lon"], b["lat"], b["lon"]) <= DUPLICATE_KM
        for a in _sites(first)
        for b in _sites(second)
    )
    if not (near or _numbers(first) & _numbers(second)):
        return False
    streets = [bool(loc["address"]["address_1"]) for loc in _sites(first) + _sites(second)]
    return near or not (_sites(first) and _sites(second) and all(streets))


def merge_duplicates(bundles: list[dict]) -> list[dict]:
    """Merge bundles that list one provider twice, until none is left (a merge can reveal another)."""
    while True:
        merged = _merge_pass(bundles)
        if len(merged) == len(bundles):
            return merged
        bundles = merged


def _merge_pass(bundles: list[dict]) -> list[dict]:
    """Merge each bundle's duplicates into the first of them (a located one, then by key)."""
    by_name: dict[str, list[dict]] = defaultdict(list)
    for bundle in bundles:
        by_name[_normal_name(bundle["name"])].append(bundle)
    merged_away: set[str] = set()
    for group in by_name.values():
        group.sort(key=lambda b: (not any(loc["precision"] == "source" for loc in b["locations"]), b["key"]))
        for index, keep in enumerate(group):
            if keep["key"] in merged_away:
                continue
            for other in group[index + 1 :]:
                if other["key"] not in merged_away and same_provider(keep, other):
                    merge_into(keep, other)
                    merged_away.add(other["key"])
    return [b for b in bundles if b["key"] not in merged_away]


def _union(first: list, second: list) -> list:
    found = list(first)
    for item in second:
        if item not in found:
            found.append(item)
    return found


def merge_into(keep: dict, other: dict) -> None:
    """Merge bundle ``other`` into ``keep``: sources, sites not already there, needs, phones, areas."""
    keep["merged_keys"] = sorted({*keep.get("merged_keys", []), other["key"], *other.get("merged_keys", [])})
    keep["sources"] = sorted(set(keep["sources"]) | set(other["sources"]))
    for field in ("email", "website", "description", "tax_id"):
        keep[field] = keep.get(field) or other.get(field)
    keep["identifiers"] = _union(keep["identifiers"], other["identifiers"])
    known = {re.sub(r"\D", "", p["number"]) for p in keep["phones"]}
    keep["phones"] += [p for p in other["phones"] if re.sub(r"\D", "", p["number"]) not in known]
    service, extra = keep["services"][0], other["services"][0]
    for location in other["locations"]:
        # A site within 1 km of one already there, or a town centre in a town already there, is that site.
        near = location["lat"] is not None and any(
            haversine_km(location["lat"], location["lon"], site["lat"], site["lon"]) <= DUPLICATE_KM
            or (not location["address"]["address_1"] and location["address"]["city"] == site["address"]["city"])
            for site in _sites(keep)
        )
        if not near and (location["lat"] is not None or not _sites(keep)):
            keep["locations"].append(location)
            service["location_keys"].append(location["key"])
            continue
        # The site is one already listed: its key is kept among the merged keys, its phones on the service.
        keep["merged_keys"] = sorted({*keep["merged_keys"], location["key"]})
        if location.get("phones"):
            numbers = {re.sub(r"\D", "", p["number"]) for p in _numbers_of(keep)}
            service.setdefault("phones", []).extend(
                {**p, "type": p.get("type", "voice")}
                for p in location["phones"]
                if re.sub(r"\D", "", p["number"]) not in numbers
            )
    service["needs"] = sorted(set(service["needs"]) | set(extra["needs"]))
    service["languages"] = sorted(set(service["languages"]) | set(extra["languages"]))
    service["credentials"] = sorted(set(service["credentials"]) | set(extra["credentials"]))
    service["source_categories"] = sorted(set(service["source_categories"]) | set(extra["source_categories"]))
    service["labels"] = _union(service["labels"], extra["labels"])
    service["cost"] = service["cost"] or extra["cost"]
    service["eligibility"] = service["eligibility"] or extra["eligibility"]
    service["description"] = service["description"] or extra["description"]
    service["schedules"] = service["schedules"] or extra["schedules"]
    service["listed_on"] = max(filter(None, [service["listed_on"], extra["listed_on"]]), default=None)
    if service["delivery"] != extra["delivery"]:
        service["delivery"] = "both"
    phones = service.get("phones", []) + [p for p in extra.get("phones", []) if p not in service.get("phones", [])]
    if phones:
        service["phones"] = phones
    areas = _union(service.get("areas", []), extra.get("areas", []))
    if areas:
        service["areas"] = areas
    placed = bool(_sites(keep))
    matched = [a for a in service.get("areas", []) if a["scope"] in MATCHED_SCOPES]
    service["placement"] = "placed" if placed else ("area-only" if matched else "unplaced")


def _numbers_of(bundle: dict) -> list[dict]:
    phones = bundle["phones"] + [p for loc in bundle["locations"] for p in loc.get("phones", [])]
    return phones + [p for svc in bundle["services"] for p in svc.get("phones", [])]


def make_bundle(record: dict, sites: list[dict], taxonomy: Taxonomy, places: Places) -> dict:
    """Build one organization bundle from an organization record and its sites."""
    needs = record_needs(record, taxonomy)
    for site in sites:
        needs = sorted(set(needs) | set(record_needs(site, taxonomy)))
        implied = {a for c in needs for a in taxonomy.ancestors(c)}
        needs = [c for c in needs if c not in implied]
    confidential = is_confidential(record)
    locations = []
    if record.get("address") or record.get("geo"):
        locations.append(make_location(record, places, confidential=confidential))
    for site in sites:
        locations.append(make_location(site, places, confidential=is_confidential(site)))
    located = [loc for loc in locations if loc["lat"] is not None]
    if not located:
        # A record with no point of its own is placed at the towns its address or text names, if any
        # ("Hartford/New Haven", "based in Mountain Home, AR").
        default_state = record_state(record)
        _counties, towns = stated_areas(record.get("description", ""), default_state)
        city = record.get("address", {}).get("city", "")
        if "/" in city and default_state:
            towns = [(part.strip(), default_state) for part in city.split("/") if part.strip()] + towns
        for town, state in towns[:3]:
            location = town_location(record, town, state)
            if location is not None:
                locations = [loc for loc in locations if loc["lat"] is not None] + [location]
    service = make_service(record, needs)
    service["delivery"] = record_delivery(record, locations)
    areas = record_areas(record, locations)
    placed = any(loc["lat"] is not None for loc in locations)
    tribal = "acf/fvpsa-tribal-grantees-fy2025" in record.get("sources", [])
    if not placed and not [a for a in areas if a["scope"] in MATCHED_SCOPES] and not tribal:
        areas.append(listed_state_area(record))
    areas = [a for a in areas if a is not None]
    if areas:
        service["areas"] = areas
    if not service["cost"]:
        costs = {record_cost(site) for site in sites} - {None}
        service["cost"] = costs.pop() if len(costs) == 1 else None
    if not service["listed_on"]:
        dates = sorted(site.get("verified", {}).get("on") for site in sites if site.get("verified", {}).get("on"))
        service["listed_on"] = dates[-1] if dates else None
    for site in sites:
        service["languages"] = sorted(set(service["languages"]) | set(site.get("languages", [])))
        site_phones = text_phones(site)
        if site_phones:
            service.setdefault("phones", []).extend(site_phones)
    service["location_keys"] = [loc["key"] for loc in locations]
    matched_areas = [a for a in service.get("areas", []) if a["scope"] in MATCHED_SCOPES]
    service["placement"] = "placed" if placed else ("area-only" if matched_areas else "unplaced")
    phones = []
    if confidential or not any(loc.get("phones") for loc in locations):
        kind = "hotline" if is_line(record) or "domestic-violence" in record.get("categories", []) else "voice"
        phones = record_phone(record, kind=kind)
        for phone in phones:
            phone["public_contact"] = True
    identifiers = [
        {"scheme": scheme, "type": scheme, "identifier": str(value)}
        for scheme, value in sorted(record.get("external_ids", {}).items())
    ]
    return {
        "key": record["id"],
        "name": record["name"],
        "alternate_name": "; ".join(record.get("aliases", [])) or None,
        "description": record.get("description", ""),
        "email": record.get("email"),
        "website": record.get("website"),
        "phones": phones,
        "identifiers": identifiers,
        "tax_id": record.get("external_ids", {}).get("ein"),
        "sources": record.get("sources", []),
        "parent_key": record.get("parent_org"),
        "provisional": bool(record.get("provisional")),
        "locations": locations,
        "services": [service],
    }


def _read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_places(path: Path) -> dict[str, tuple[float, float]]:
    """Return place points by GEOID from a places CSV (plain or gzipped)."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return {row["geoid"]: (float(row["lat"]), float(row["lng"])) for row in csv.DictReader(handle)}


def write_bundles(bundles: list[dict], out: Path) -> None:
    """Write bundles as gzipped JSON lines, in a stable order (reproducible output)."""
    with out.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as handle:
        for bundle in sorted(bundles, key=lambda b: b["key"]):
            handle.write((json.dumps(bundle, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8"))


def phone_digest(seed_dir: Path) -> list[tuple[str, str, str]]:
    """Return (record id, field, digits) for every number every seed record carries."""
    rows = []
    for name in ("organizations.jsonl", "sites.jsonl"):
        for record in _read_jsonl(seed_dir / name):
            rows += source_digest(record)
    return sorted(rows)


def write_digest(rows: list[tuple[str, str, str]], out: Path) -> None:
    """Write the phone digest as a gzipped CSV (record,field,digits), reproducibly."""
    with out.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as handle:
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(["record", "field", "digits"])
        writer.writerows(rows)
        handle.write(text.getvalue().encode("utf-8"))


def main(argv: list[str]) -> int:
    """Convert ``SEED_DIR`` into ``OUT`` (data/providers.jsonl.gz), and write the phone digest beside it."""
    seed_dir, out = Path(argv[0]), Path(argv[1])
    bundles = convert(seed_dir)
    write_bundles(bundles, out)
    write_digest(phone_digest(seed_dir), out.parent / DIGEST_NAME)
    unplaced = sum(1 for b in bundles for s in b["services"] if s["placement"] == "unplaced")
    locations = sum(len(b["locations"]) for b in bundles)
    summary = f"{len(bundles)} organizations, {locations} locations, {unplaced} services unplaced (kept, flagged)"
    print(summary)  # noqa: T201  (a developer's command reports what it wrote)
    for name in ("organizations.jsonl", "sites.jsonl"):
        for record_id, reason in screen(_read_jsonl(seed_dir / name))[1]:
            print(f"left out ({reason}): {record_id}")  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
