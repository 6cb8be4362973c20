"""Bring the seeded records nobody has touched up to a new bundle (`flask seed --refresh`).

`flask seed` only adds what is missing. After a new bundle (phones corrected, duplicates merged,
agencies left out), an existing installation refreshes the organizations that are still exactly
as seeded: such an organization is deleted and loaded again from the bundle, or deleted when the
bundle no longer has it. An organization is untouched when it, its services and its locations are
all at version 1, no history row names them, it is unverified, and nothing outside the seeded
tables points at it (members, claims, invitations, change requests, referrals, saved lists,
problem reports, contacts, accessibility notes, required documents). Everything else is kept.
"""

from collections.abc import Iterable

from sqlalchemy import delete, select, update
from sqlmodel import Session

from matching.index import analyze, mark_index_changed
from models import (
    Address,
    Attribute,
    CostOption,
    Credential,
    Language,
    Location,
    Metadata,
    Organization,
    OrganizationIdentifier,
    Phone,
    Schedule,
    SearchEntry,
    Service,
    ServiceArea,
    ServiceAtLocation,
)
from models.base import stable_id
from seed.load import load_providers

CHUNK = 500


def _chunks(ids: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _referencing_columns() -> list:
    """Return the columns outside the seeded tables that point at an organization, service or location."""
    from sqlmodel import SQLModel

    seeded = {
        model.__tablename__
        for model in (
            Organization, OrganizationIdentifier, Location, Address, Service, ServiceAtLocation, Phone,
            Schedule, Language, Attribute, Credential, CostOption, ServiceArea, SearchEntry,
        )
    }  # fmt: skip
    found = []
    for table in SQLModel.metadata.sorted_tables:
        if table.name in seeded:
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name in ("organization", "service", "location"):
                found.append(fk.parent)
    return found


def touched_organizations(session: Session, org_ids: list[str]) -> set[str]:
    """Return the organizations among org_ids that someone has edited, claimed or uses."""
    touched: set[str] = set()
    owner_of: dict[str, str] = {}
    for chunk in _chunks(org_ids):
        for org_id, version, verified in session.execute(
            select(Organization.id, Organization.version, Organization.verified).where(Organization.id.in_(chunk))
        ):
            owner_of[org_id] = org_id
            if version != 1 or verified:
                touched.add(org_id)
        for model in (Service, Location):
            for record_id, org_id, version in session.execute(
                select(model.id, model.organization_id, model.version).where(model.organization_id.in_(chunk))
            ):
                owner_of[record_id] = org_id
                if version != 1:
                    touched.add(org_id)
    references = _referencing_columns()
    for chunk in _chunks(list(owner_of)):
        found = session.execute(select(Metadata.resource_id).where(Metadata.resource_id.in_(chunk))).scalars()
        touched.update(owner_of[resource_id] for resource_id in found)
        for column in references:
            for value in session.execute(select(column).where(column.in_(chunk))).scalars():
                touched.add(owner_of[value])
    return touched


def delete_organizations(session: Session, org_ids: list[str]) -> None:
    """Delete organizations and every seeded row that belongs to them."""
    for chunk in _chunks(org_ids):
        services = list(session.execute(select(Service.id).where(Service.organization_id.in_(chunk))).scalars())
        locations = list(session.execute(select(Location.id).where(Location.organization_id.in_(chunk))).scalars())
        for part in _chunks(services):
            session.execute(delete(SearchEntry).where(SearchEntry.service_id.in_(part)))
            session.execute(delete(Attribute).where(Attribute.link_id.in_(part)))
            for model in (Credential, CostOption, ServiceArea, Schedule, Language, Phone, ServiceAtLocation):
                session.execute(delete(model).where(model.service_id.in_(part)))
        for part in _chunks(locations):
            for model in (Schedule, Language, Phone, ServiceAtLocation, Address):
                session.execute(delete(model).where(model.location_id.in_(part)))
        session.execute(delete(Phone).where(Phone.organization_id.in_(chunk)))
        session.execute(delete(OrganizationIdentifier).where(OrganizationIdentifier.organization_id.in_(chunk)))
        for part in _chunks(services):
            session.execute(delete(Service).where(Service.id.in_(part)))
        for part in _chunks(locations):
            session.execute(delete(Location).where(Location.id.in_(part)))
        session.execute(
            update(Organization).where(Organization.parent_organization_id.in_(chunk)).values(parent_organization_id=None)
        )
        session.execute(delete(Organization).where(Organization.id.in_(chunk)))
    mark_index_changed(session)  # their index rows went with them


def refresh_providers(session: Session, bundles: list[dict]) -> dict[str, int]:
    """Reload untouched seeded organizations from the bundles; return counts of what was done."""
    keys = {bundle["key"] for bundle in bundles}
    query = select(Organization.source_key, Organization.id).where(Organization.source_key.is_not(None))
    seeded = {row.source_key: row.id for row in session.execute(query)}
    touched = touched_organizations(session, list(seeded.values()))
    untouched = {key: org_id for key, org_id in seeded.items() if org_id not in touched}
    removed = [org_id for key, org_id in untouched.items() if key not in keys]
    delete_organizations(session, list(untouched.values()))
    session.flush()
    counts = load_providers(session, bundles)
    # Children whose parent was reloaded get their link back (load_providers links only new children).
    known = set(session.execute(select(Organization.id)).scalars())
    for bundle in bundles:
        if bundle.get("parent_key"):
            child, parent = stable_id("organization", bundle["key"]), stable_id("organization", bundle["parent_key"])
            if child in known and parent in known:
                session.execute(
                    update(Organization)
                    .where(Organization.id == child, Organization.parent_organization_id.is_(None))
                    .values(parent_organization_id=parent)
                )
    analyze(session)
    return {
        "refreshed": len(untouched) - len(removed),
        "added": counts["organizations"] - (len(untouched) - len(removed)),
        "removed": len(removed),
        "kept": len(touched),
    }
