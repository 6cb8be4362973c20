"""What a result shows beyond the index: address (never a confidential one), phones, website, dates."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import cache

from sqlalchemy import bindparam, or_, select
from sqlmodel import Session

from models import Address, Location, Organization, Phone, Service


@dataclass
class Details:
    address: dict | None = None
    latitude: float | None = None
    longitude: float | None = None
    confidential: bool = False
    phones: list[dict] = field(default_factory=list)
    website: str | None = None
    email: str | None = None
    listed_on: date | None = None  # the day the source list was compiled
    confirmed_on: date | None = None  # the day the organization confirmed the listing (service.assured_date)
    sources: list[str] = field(default_factory=list)  # source keys, e.g. "eoir/pro-bono-providers"


def public_address(location: Location, address: Address | None) -> dict | None:
    """Return the address to show, or None for a confidential location or a missing one."""
    if location.confidential or address is None:
        return None
    return {
        "address_1": address.address_1,
        "address_2": address.address_2,
        "city": address.city,
        "state_province": address.state_province,
        "postal_code": address.postal_code,
        "country": address.country,
    }


@cache
def _detail_statements() -> dict:
    """Build page_details' queries once: the columns it reads (not whole ORM objects), ids bound at run time.

    Building a statement and hydrating ORM objects cost more than the queries themselves (issue #14).
    """
    ids, services, locations, orgs = (bindparam(name, expanding=True) for name in ("ids", "svc", "loc", "org"))
    return {
        "locations": select(Location.id, Location.confidential, Location.latitude, Location.longitude).where(
            Location.id.in_(ids)
        ),
        "addresses": select(
            Address.location_id,
            Address.address_1,
            Address.address_2,
            Address.city,
            Address.state_province,
            Address.postal_code,
            Address.country,
        ).where(Address.location_id.in_(ids)),
        "orgs": select(Organization.id, Organization.website, Organization.email, Organization.sources).where(
            Organization.id.in_(ids)
        ),
        "dates": select(Service.id, Service.listed_on, Service.assured_date).where(Service.id.in_(ids)),
        "phones": select(
            Phone.service_id,
            Phone.location_id,
            Phone.organization_id,
            Phone.number,
            Phone.extension,
            Phone.type,
            Phone.description,
            Phone.public_contact,
        ).where(
            or_(Phone.service_id.in_(services), Phone.location_id.in_(locations), Phone.organization_id.in_(orgs))
        ),
    }


def page_details(session: Session, matches: list, facts=None) -> dict[str, Details]:
    """Return Details per service id for one page of matches, with a fixed number of queries.

    ``facts`` (matching.cache.Facts): details read for the directory's current version are kept and
    not read again. Treat the Details returned as read-only: they may be shared between requests.
    """
    if facts is None:
        return _read_details(session, matches)
    by_key = {(match.service_id, match.location_id): match for match in matches}

    def read(missing: list) -> dict:
        details = _read_details(session, [by_key[key] for key in missing])
        return {key: details[key[0]] for key in missing}

    found = facts.read("details", list(by_key), read)
    return {service_id: details for (service_id, _location_id), details in found.items()}


def _read_details(session: Session, matches: list) -> dict[str, Details]:
    """Read Details per service id for these matches from the database."""
    location_ids = [m.location_id for m in matches if m.location_id]
    service_ids = [m.service_id for m in matches]
    org_ids = [m.organization_id for m in matches]
    statements = _detail_statements()
    locations = {loc.id: loc for loc in session.execute(statements["locations"], {"ids": location_ids})}
    addresses = {a.location_id: a for a in session.execute(statements["addresses"], {"ids": location_ids})}
    orgs = {o.id: o for o in session.execute(statements["orgs"], {"ids": org_ids})}
    dates = {row.id: row for row in session.execute(statements["dates"], {"ids": service_ids})}
    phones = defaultdict(list)
    found_phones = session.execute(statements["phones"], {"svc": service_ids, "loc": location_ids, "org": org_ids})
    for phone in found_phones:
        phones[phone.service_id or phone.location_id or phone.organization_id].append(phone)
    details = {}
    for match in matches:
        location = locations.get(match.location_id)
        org = orgs[match.organization_id]
        found = Details(website=org.website, email=org.email, sources=org.sources.split())
        if match.service_id in dates:
            found.listed_on = dates[match.service_id].listed_on
            found.confirmed_on = dates[match.service_id].assured_date
        if location is not None:
            found.confidential = location.confidential
            found.address = public_address(location, addresses.get(location.id))
            if not location.confidential:
                found.latitude, found.longitude = location.latitude, location.longitude
        candidates = (
            phones[match.service_id] + (phones[match.location_id] if location else []) + phones[match.organization_id]
        )
        if found.confidential:
            candidates = [p for p in candidates if p.public_contact or p.service_id] or phones[match.organization_id]
        seen = set()
        for phone in candidates:
            if phone.number not in seen:
                seen.add(phone.number)
                found.phones.append(
                    {
                        "number": phone.number,
                        "extension": phone.extension,
                        "type": phone.type,
                        "description": phone.description,
                    }
                )
        details[match.service_id] = found
    return details
