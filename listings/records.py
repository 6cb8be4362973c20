"""Finding the records a listing is made of, and the organization each belongs to."""

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlmodel import Session

from listings.errors import ListingError
from models import (
    Address,
    Location,
    Membership,
    Organization,
    Service,
    ServiceAtLocation,
)

MODELS = {"organization": Organization, "service": Service, "location": Location}


def find_record(session: Session, *, resource_type: str, resource_id: str) -> Any:
    """Return the organization, service or location with this id, or raise ListingError."""
    record = session.get(MODELS[resource_type], resource_id) if resource_type in MODELS else None
    if record is None or (resource_type == "location" and record.organization_id is None):
        raise ListingError(_("This listing does not exist."))
    return record


def organization_id_of(resource_type: str, record: Any) -> str:
    """Return the id of the organization a record belongs to."""
    return record.id if resource_type == "organization" else record.organization_id


def services_touched(session: Session, *, resource_type: str, record: Any) -> list[str]:
    """Return the services whose search entries a change to this record affects."""
    if resource_type == "service":
        return [record.id]
    if resource_type == "organization":
        return list(session.execute(select(Service.id).where(Service.organization_id == record.id)).scalars())
    return list(
        session.execute(
            select(ServiceAtLocation.service_id).where(ServiceAtLocation.location_id == record.id)
        ).scalars()
    )


def organizations_of(session: Session, *, user_id: str) -> list[tuple[Organization, list[Service], list[Location]]]:
    """Return the organizations a user belongs to, each with its services and locations, by name."""
    organizations = session.execute(
        select(Organization)
        .join(Membership, Membership.organization_id == Organization.id)
        .where(Membership.user_id == user_id)
        .order_by(Organization.name)
    ).scalars()
    return [(organization, *parts_of(session, organization_id=organization.id)) for organization in organizations]


def parts_of(session: Session, *, organization_id: str) -> tuple[list[Service], list[Location]]:
    """Return an organization's services and locations, by name."""
    services = session.execute(
        select(Service).where(Service.organization_id == organization_id).order_by(Service.name)
    ).scalars()
    locations = session.execute(
        select(Location).where(Location.organization_id == organization_id).order_by(Location.name)
    ).scalars()
    return list(services), list(locations)


def record_names(session: Session, *, records: list[tuple[str, str]]) -> dict[str, str]:
    """Return resource id -> the name staff know a record by, for (resource_type, resource_id) pairs.

    A location without a name goes by its street, or its city.
    """
    ids: dict[str, set[str]] = {}
    for resource_type, resource_id in records:
        ids.setdefault(resource_type, set()).add(resource_id)
    names: dict[str, str] = {}
    for resource_type, model in (("organization", Organization), ("service", Service)):
        if ids.get(resource_type):
            rows = session.execute(select(model.id, model.name).where(model.id.in_(ids[resource_type])))
            names.update({record_id: name or "" for record_id, name in rows})
    if ids.get("location"):
        rows = session.execute(
            select(Location.id, Location.name, Address.address_1, Address.city)
            .outerjoin(Address, Address.location_id == Location.id)
            .where(Location.id.in_(ids["location"]))
        )
        for record_id, name, street, city in rows:
            names.setdefault(record_id, name or street or city or "")
    return names


def public_pages_of(session: Session, *, resource_type: str, record: Any) -> list[Service]:
    """Return the published services whose public page shows this record (to link the edit page to them)."""
    organization_id = organization_id_of(resource_type, record)
    organization = session.get(Organization, organization_id)
    if organization is None or organization.status != "published":
        return []
    query = select(Service).where(Service.status == "active").order_by(Service.name)
    if resource_type == "service":
        query = query.where(Service.id == record.id)
    elif resource_type == "location":
        query = query.join(ServiceAtLocation, ServiceAtLocation.service_id == Service.id).where(
            ServiceAtLocation.location_id == record.id
        )
    else:
        query = query.where(Service.organization_id == record.id)
    return list(session.execute(query).scalars())
