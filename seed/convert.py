"""Convert SUCCURRO seed records (../shared/seed-data) into Amparo's bundle format.

A bundle is one JSON object per organization: the organization, its locations (placed offline,
flagged when they cannot be placed) and its services (mapped onto our need taxonomy, with cost,
languages, hours, eligibility, credentials and service areas). Run once by a developer:

    python -m seed.convert ../shared/seed-data data/providers.jsonl.gz

The output is committed; the app reads only data/.
"""

import gzip
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

from geo import GeocodeError, OfflineGeocoder, get_gazetteer, haversine_km
from matching.needs import Taxonomy, get_taxonomy

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


def record_needs(record: dict, taxonomy: Taxonomy) -> list[str]:
    """Map a seed record's categories, sources, service labels and text onto need codes."""
    categories = set(record.get("categories", []))
    sources = set(record.get("sources", []))
    needs: set[str] = set()
    for category in categories:
        needs.update(CATEGORY_NEEDS.get(category, []))
    for source in sources:
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


def split_phone(raw: str) -> dict:
    """Split "907-565-1200 x65015" into number and extension."""
    match = re.match(r"^(.*?)\s*(?:x|ext\.?|extension)\s*(\d+)$", raw.strip(), re.IGNORECASE)
    if match:
        return {"number": match.group(1).strip(), "extension": int(match.group(2))}
    return {"number": raw.strip()}


def place_record(record: dict, places_by_geoid: dict[str, tuple[float, float]]) -> dict:
    """Find coordinates for a record offline: its own, else its ZIP, its Census place, or its town."""
    gazetteer = get_gazetteer()
    address = record.get("address", {})
    state = (address.get("state") or "").upper() or None
    zip5 = (ZIP_RE.match(address.get("zip", "")) or [None])[0]
    zip_info = gazetteer.zip_info(zip5) if zip5 else None
    geo = record.get("geo")
    lat = lon = None
    precision = "none"
    if geo:
        lat, lon, precision = geo["lat"], geo["lng"], "source"
        if zip_info and haversine_km(lat, lon, zip_info.lat, zip_info.lon) > MAX_SOURCE_ZIP_KM:
            lat, lon, precision = zip_info.lat, zip_info.lon, "zip"
    elif zip_info:
        lat, lon, precision = zip_info.lat, zip_info.lon, "zip"
    elif record.get("place") in places_by_geoid:
        lat, lon = places_by_geoid[record["place"]]
        precision = "place"
    elif address.get("city") and state:
        try:
            place = OfflineGeocoder().resolve(f"{address['city']}, {state}")
            lat, lon, precision = place.lat, place.lon, "place"
        except GeocodeError:
            pass
    placed = {"lat": lat, "lon": lon, "precision": precision, "state": state, "county": None, "timezone": None}
    info = zip_info
    if info is None and lat is not None:
        nearest = gazetteer.nearest_zip(lat, lon)
        info = gazetteer.zip_info(nearest) if nearest else None
    if info is not None:
        placed["state"] = placed["state"] or info.state
        placed["county"] = info.county
        placed["timezone"] = info.timezone
    return placed


def clean_street(street: str) -> str:
    """Drop an office label the source ran into the street ("Houston Office:, 6001 Savoy Drive")."""
    if ":," in street:
        street = street.rsplit(":,", 1)[1]
    return street.strip(" ,")


def make_location(record: dict, places_by_geoid: dict, *, confidential: bool) -> dict:
    """Build a bundle location from a seed record that has an address or coordinates."""
    address = record.get("address", {})
    placed = place_record(record, places_by_geoid)
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
    if record.get("phone"):
        location["phones"] = [split_phone(record["phone"])]
    if record.get("languages"):
        location["languages"] = record["languages"]
    return location


def make_service(record: dict, needs: list[str]) -> dict:
    """Build the bundle service a seed record describes."""
    sources = set(record.get("sources", []))
    remote = bool(sources & {"988lifeline/crisis-centers", "nami/warmline-directory"})
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
        "delivery": "remote" if remote else "in-person",
        "schedules": record_schedules(record),
        "assured_date": record.get("verified", {}).get("on"),
        "labels": record.get("services", []),
    }
    if "988lifeline/crisis-centers" in sources:
        service["phones"] = [
            {
                "number": "988",
                "type": "hotline",
                "description": "Call or text 988; the 988 Lifeline connects you to a local crisis center.",
            }
        ]
    area = record.get("service_area")
    if area:
        service["areas"] = [
            {"scope": area["kind"], "state": (area.get("state") or "").upper() or None, "name": area.get("name")}
        ]
    return service


def is_confidential(record: dict) -> bool:
    """Tell whether a record is a victim-support site whose street address is withheld."""
    victim = set(record.get("categories", [])) & {"domestic-violence", "sexual-assault"}
    return bool(victim) and not record.get("address", {}).get("street")


def convert(seed_dir: Path, taxonomy: Taxonomy | None = None) -> list[dict]:
    """Return one bundle per organization (and per site that has no organization)."""
    taxonomy = taxonomy or get_taxonomy()
    places_by_geoid = load_places(seed_dir / "places.csv")
    organizations = _read_jsonl(seed_dir / "organizations.jsonl")
    sites = _read_jsonl(seed_dir / "sites.jsonl")
    sites_by_org: dict[str, list[dict]] = defaultdict(list)
    for site in sites:
        if site.get("org"):
            sites_by_org[site["org"]].append(site)
    bundles = []
    for org in organizations:
        bundles.append(make_bundle(org, sites_by_org.get(org["id"], []), taxonomy, places_by_geoid))
    known = {org["id"] for org in organizations}
    for site in sites:
        if not site.get("org") or site["org"] not in known:
            bundles.append(make_bundle(site, [], taxonomy, places_by_geoid))
    return bundles


def make_bundle(record: dict, sites: list[dict], taxonomy: Taxonomy, places_by_geoid: dict) -> dict:
    """Build one organization bundle from an organization record and its sites."""
    needs = record_needs(record, taxonomy)
    for site in sites:
        needs = sorted(set(needs) | set(record_needs(site, taxonomy)))
        implied = {a for c in needs for a in taxonomy.ancestors(c)}
        needs = [c for c in needs if c not in implied]
    confidential = is_confidential(record)
    locations = []
    if record.get("address") or record.get("geo"):
        locations.append(make_location(record, places_by_geoid, confidential=confidential))
    for site in sites:
        locations.append(make_location(site, places_by_geoid, confidential=is_confidential(site)))
    service = make_service(record, needs)
    if not service["cost"]:
        costs = {record_cost(site) for site in sites} - {None}
        service["cost"] = costs.pop() if len(costs) == 1 else None
    for site in sites:
        service["languages"] = sorted(set(service["languages"]) | set(site.get("languages", [])))
    service["location_keys"] = [loc["key"] for loc in locations]
    placed = any(loc["lat"] is not None for loc in locations)
    service["placement"] = "placed" if placed else ("area-only" if service.get("areas") else "unplaced")
    phones = [split_phone(record["phone"])] if record.get("phone") else []
    if confidential or (not locations and phones):
        for phone in phones:
            phone["type"] = "hotline" if "domestic-violence" in record.get("categories", []) else "voice"
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
    """Return Census place centroids by GEOID."""
    import csv

    with path.open(encoding="utf-8") as handle:
        return {row["geoid"]: (float(row["lat"]), float(row["lng"])) for row in csv.DictReader(handle)}


def write_bundles(bundles: list[dict], out: Path) -> None:
    """Write bundles as gzipped JSON lines, in a stable order (reproducible output)."""
    with out.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as handle:
        for bundle in sorted(bundles, key=lambda b: b["key"]):
            handle.write((json.dumps(bundle, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8"))


def main(argv: list[str]) -> int:
    """Convert ``SEED_DIR`` into ``OUT`` (data/providers.jsonl.gz)."""
    seed_dir, out = Path(argv[0]), Path(argv[1])
    bundles = convert(seed_dir)
    write_bundles(bundles, out)
    unplaced = sum(1 for b in bundles for s in b["services"] if s["placement"] == "unplaced")
    locations = sum(len(b["locations"]) for b in bundles)
    summary = f"{len(bundles)} organizations, {locations} locations, {unplaced} services unplaced (kept, flagged)"
    print(summary)  # noqa: T201  (a developer's command reports what it wrote)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
