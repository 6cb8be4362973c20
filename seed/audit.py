"""Measure the directory's data quality: what `flask data audit` prints.

Each check counts active services with one kind of problem and keeps a few example ids:
no need, no way to contact them, unplaced, placed only at a town or ZIP centre, a service
area that contradicts their address, duplicate candidates (the same phone, or the same name
within 1 km), and suspicious names (sentences, "created by ...", government agencies, their
facilities and courts). It reads the database, so it measures NGO edits too.
"""

import re
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlmodel import Session

from geo.distance import haversine_km
from matching.screening import government_reason
from models import (
    Address,
    Attribute,
    Location,
    Organization,
    Phone,
    Service,
    ServiceArea,
    ServiceAtLocation,
)
from seed.areas import named_elsewhere

DUPLICATE_KM = 1.0
EXAMPLES = 5
# Numbers that many listings share by design: they are not duplicates.
SHARED_NUMBERS = frozenset({"988", "911"})
# "created by Pro Bono Net and ...", "Currently, no program is operating. Please contact ...": a
# name that opens like a sentence, or has a lowercase word ending a sentence ("Assoc." is a name).
_SENTENCE_START = re.compile(
    r"^(created|provided|operated|funded|run|sponsored) by\b|^(click|call|visit|currently|please)\b", re.IGNORECASE
)
_SENTENCE_END = re.compile(r"(?<![A-Za-z])[a-z]{4,}\.(\s|$)")


@dataclass
class Check:
    """One audit check: what it counts, how many, and the services found (seed keys, else service ids)."""

    code: str
    label: str
    ids: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        """How many services the check found."""
        return len(self.ids)

    def line(self, examples: int = EXAMPLES) -> str:
        """Return the check as one printed line: label, count and example ids."""
        shown = ", ".join(sorted(self.ids)[:examples])
        return f"{self.label}: {self.count}" + (f" (e.g. {shown})" if shown else "")


def suspicious_name(name: str) -> str | None:
    """Return why a name does not look like a provider's name, or None."""
    reason = government_reason(name)
    if reason:
        return reason
    if not name.strip():
        return "empty"
    if _SENTENCE_START.search(name) or _SENTENCE_END.search(name):
        return "a sentence, not a name"
    return None


def _normal_name(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", re.sub(r"\([^)]*\)", "", name.lower())).strip()


def _digits(number: str) -> str:
    return re.sub(r"\D", "", number)


def audit(session: Session) -> list[Check]:
    """Run every check over the active services; return the checks in a fixed order."""
    services = {
        s.id: s for s in session.execute(select(Service).where(Service.status == "active")).scalars()
    }
    orgs = {o.id: o for o in session.execute(select(Organization)).scalars()}
    needs = set(session.execute(select(Attribute.link_id).where(Attribute.link_entity == "service")).scalars())
    locations_of: dict[str, list[Location]] = defaultdict(list)
    for service_id, location in session.execute(
        select(ServiceAtLocation.service_id, Location).join(Location, Location.id == ServiceAtLocation.location_id)
    ):
        locations_of[service_id].append(location)
    streets = set(session.execute(select(Address.location_id).where(Address.address_1 != "")).scalars())
    areas_of: dict[str, list[ServiceArea]] = defaultdict(list)
    for area in session.execute(select(ServiceArea)).scalars():
        areas_of[area.service_id].append(area)
    phones_of_service: dict[str, set[str]] = defaultdict(set)
    phones_of_location: dict[str, set[str]] = defaultdict(set)
    phones_of_org: dict[str, set[str]] = defaultdict(set)
    for phone in session.execute(select(Phone)).scalars():
        number = _digits(phone.number)
        if phone.service_id:
            phones_of_service[phone.service_id].add(number)
        elif phone.location_id:
            phones_of_location[phone.location_id].add(number)
        elif phone.organization_id:
            phones_of_org[phone.organization_id].add(number)

    def phones(service: Service) -> set[str]:
        found = set(phones_of_service[service.id]) | phones_of_org[service.organization_id]
        for location in locations_of[service.id]:
            found |= phones_of_location[location.id]
        return found

    no_need = Check("no-need", "services with no need")
    no_contact = Check("no-contact", "services with no way to contact them (no phone, email, website or street)")
    unplaced = Check("unplaced", "services unplaced (no site and no matched area)")
    centroid = Check("centroid", "services placed only at a town or ZIP centre")
    contradicts = Check("area-contradicts-address", "services with a service area that contradicts their address")
    names = Check("suspicious-name", "services with a suspicious name")
    by_phone: dict[str, set[str]] = defaultdict(set)
    for service in services.values():
        org = orgs.get(service.organization_id)
        if service.id not in needs:
            no_need.ids.append(service.id)
        numbers = phones(service)
        visit = any(loc.id in streets and not loc.confidential for loc in locations_of[service.id])
        if not (numbers or visit or service.url or service.email or (org and (org.website or org.email))):
            no_contact.ids.append(service.id)
        located = [loc for loc in locations_of[service.id] if loc.latitude is not None]
        if service.placement == "unplaced" or (not located and service.placement == "placed"):
            unplaced.ids.append(service.id)
        elif located and all(loc.geocode_precision in ("zip", "place") for loc in located):
            centroid.ids.append(service.id)
        home = {loc.state for loc in located if loc.state}
        for area in areas_of[service.id]:
            if area.scope == "national" or not area.state:
                continue
            named = area.scope == "state" and named_elsewhere(org.name if org else service.name, area.state)
            if (home and area.state not in home) or named:
                contradicts.ids.append(service.id)
                break
        if suspicious_name(service.name) or (org and suspicious_name(org.name)):
            names.ids.append(service.id)
        for number in numbers - SHARED_NUMBERS:
            if len(number) >= 7:
                by_phone[number].add(service.id)
    duplicates = Check("duplicate", "duplicate candidates (same phone and name, or same name within 1 km)")
    duplicate_ids: set[str] = set()
    for ids in by_phone.values():
        if len(ids) > 1:
            duplicate_ids |= _same_provider(ids, services, locations_of, streets)
    duplicate_ids |= _same_name_nearby(services, locations_of)
    duplicates.ids = sorted(duplicate_ids)
    checks = [no_need, no_contact, unplaced, centroid, contradicts, duplicates, names]
    # Show the seed key ("tx/raices") where there is one: people can find it in data/ and the seed.
    for check in checks:
        keys = []
        for service_id in check.ids:
            org = orgs.get(services[service_id].organization_id)
            keys.append(org.source_key if org and org.source_key else service_id)
        check.ids = keys
    return checks


def _same_provider(
    ids: set[str], services: dict[str, Service], locations_of: dict[str, list[Location]], streets: set[str]
) -> set[str]:
    """Return the services sharing a phone that look like one provider listed twice.

    Two listings are one provider when they share the number and the name (an abbreviation in
    brackets aside: "International Rescue Committee (IRC)"), and they are at the same site (within
    1 km) or one of them has no street address to tell them apart. A chain's sites at streets of
    their own, and programs with names of their own that share an intake line ("NYLAG - Employment
    Law Project" beside "NYLAG"), are not duplicates.
    """
    found: set[str] = set()
    ordered = sorted(ids)
    for index, first in enumerate(ordered):
        for second in ordered[index + 1 :]:
            if services[first].organization_id == services[second].organization_id:
                continue
            if _normal_name(services[first].name) != _normal_name(services[second].name):
                continue
            sites_a = [loc for loc in locations_of[first] if loc.latitude is not None]
            sites_b = [loc for loc in locations_of[second] if loc.latitude is not None]
            exact = sites_a and sites_b and all(loc.id in streets for loc in sites_a + sites_b)
            near = any(
                haversine_km(x.latitude, x.longitude, y.latitude, y.longitude) <= DUPLICATE_KM
                for x in sites_a
                for y in sites_b
            )
            if near or not exact:
                found |= {first, second}
    return found


def _same_name_nearby(services: dict[str, Service], locations_of: dict[str, list[Location]]) -> set[str]:
    """Return services of different organizations with the same name at sites within 1 km."""
    by_name: dict[str, list[tuple[str, float, float]]] = defaultdict(list)
    for service in services.values():
        for loc in locations_of[service.id]:
            if loc.latitude is not None:
                by_name[_normal_name(service.name)].append((service.id, loc.latitude, loc.longitude))
    found: set[str] = set()
    for entries in by_name.values():
        if len(entries) < 2:
            continue
        for index, (first, lat, lon) in enumerate(entries):
            for second, lat2, lon2 in entries[index + 1 :]:
                if first == second or services[first].organization_id == services[second].organization_id:
                    continue
                if haversine_km(lat, lon, lat2, lon2) <= DUPLICATE_KM:
                    found |= {first, second}
    return found
