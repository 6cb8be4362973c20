"""The edit pipeline of listings: read and write fields as text, record history, moderate, detect conflicts.

Every change goes through ``apply_changes``: one HSDS metadata row per changed field, the
record's version bumped with a compare-and-set, and the search index refreshed, all in the
caller's transaction. Rules raise ListingError, whose message the view puts on the form field.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import or_, select, update
from sqlmodel import Session

from matching.index import reindex_services
from models import (
    Address,
    Attribute,
    ChangeRequest,
    Credential,
    Language,
    ListingReport,
    Location,
    Membership,
    Metadata,
    Organization,
    Service,
    ServiceAtLocation,
    TaxonomyTerm,
    User,
)
from models.base import today, utcnow
from seed.load import term_id

MODELS = {"organization": Organization, "service": Service, "location": Location}
ADDRESS_FIELDS = ("address_1", "address_2", "city", "state_province", "postal_code")


class ListingError(Exception):
    """A broken listing rule; ``field`` names the form field the message belongs to."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class EditConflict(ListingError):
    """Someone saved the record since the form was opened: nothing was written."""

    def __init__(self, *, stored: dict[str, str], version: int):
        super().__init__(_("Someone else saved this listing while you were editing it. Nothing was saved."))
        self.stored = stored
        self.version = version


@dataclass
class EditResult:
    published: dict[str, tuple[str, str]]
    pending: ChangeRequest | None


# Reading and writing one field as text (the form of HSDS metadata values).


def dump(value: Any) -> str:
    """Return a stored value as the text history keeps."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def split_codes(value: str) -> list[str]:
    """Return the codes of a comma list, trimmed, without repeats."""
    return list(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))


def _column(name: str, kind: str = "text", *, nullable: bool = True):
    def get(_session: Session, record: Any) -> str:
        return dump(getattr(record, name))

    def put(_session: Session, record: Any, value: str) -> None:
        if kind == "bool":
            setattr(record, name, value == "yes")
        elif kind == "date":
            setattr(record, name, date.fromisoformat(value) if value else None)
        else:
            setattr(record, name, value or (None if nullable else ""))

    return get, put


def _get_needs(session: Session, service: Service) -> str:
    codes = session.execute(
        select(TaxonomyTerm.code)
        .join(Attribute, Attribute.taxonomy_term_id == TaxonomyTerm.id)
        .where(Attribute.link_id == service.id, Attribute.link_entity == "service")
    ).scalars()
    return ",".join(sorted(code for code in codes if code))


def _put_needs(session: Session, service: Service, value: str) -> None:
    wanted = {term_id(code): code for code in split_codes(value)}
    rows = session.execute(
        select(Attribute).where(Attribute.link_id == service.id, Attribute.link_entity == "service")
    ).scalars()
    for row in rows:
        if row.taxonomy_term_id in wanted:
            wanted.pop(row.taxonomy_term_id)
        else:
            session.delete(row)
    for term in wanted:
        session.add(Attribute(link_id=service.id, taxonomy_term_id=term, link_entity="service"))


def _child_codes(model: Any, column: str):
    """Read and write rows of ``model`` under a service as a comma list (rows kept stay untouched)."""

    def get(session: Session, service: Service) -> str:
        values = session.execute(select(getattr(model, column)).where(model.service_id == service.id)).scalars()
        return ",".join(sorted({value for value in values if value}))

    def put(session: Session, service: Service, value: str) -> None:
        wanted = split_codes(value)
        for row in session.execute(select(model).where(model.service_id == service.id)).scalars():
            if getattr(row, column) in wanted:
                wanted.remove(getattr(row, column))
            else:
                session.delete(row)
        for code in wanted:
            session.add(model(service_id=service.id, **{column: code}))

    return get, put


def _address_of(session: Session, location: Location) -> Address | None:
    return (
        session.execute(
            select(Address).where(Address.location_id == location.id).order_by(Address.address_type != "physical")
        )
        .scalars()
        .first()
    )


def _address(name: str):
    def get(session: Session, location: Location) -> str:
        return dump(getattr(_address_of(session, location), name, None))

    def put(session: Session, location: Location, value: str) -> None:
        address = _address_of(session, location)
        if address is None:
            address = Address(location_id=location.id)
            session.add(address)
        nullable = name == "address_2"
        setattr(address, name, value or (None if nullable else ""))

    return get, put


FieldAccess = tuple[Callable[[Session, Any], str], Callable[[Session, Any, str], None]]
FIELDS: dict[str, dict[str, FieldAccess]] = {
    "organization": {
        "name": _column("name", nullable=False),
        "description": _column("description", nullable=False),
        "website": _column("website"),
        "email": _column("email"),
    },
    "service": {
        "description": _column("description"),
        "eligibility_description": _column("eligibility_description"),
        "application_process": _column("application_process"),
        "fees_description": _column("fees_description"),
        "cost": _column("cost"),
        "delivery": _column("delivery", nullable=False),
        "needs": (_get_needs, _put_needs),
        "languages": _child_codes(Language, "code"),
        "credentials": _child_codes(Credential, "kind"),
        "no_id_needed": _column("no_id_needed", "bool"),
        "capacity": _column("capacity"),
        "capacity_stated_on": _column("capacity_stated_on", "date"),
        "assured_date": _column("assured_date", "date"),
    },
    "location": {
        **{name: _address(name) for name in ADDRESS_FIELDS},
        "confidential": _column("confidential", "bool"),
    },
}


def read_values(session: Session, *, resource_type: str, record: Any) -> dict[str, str]:
    """Return every editable field of a record as text."""
    return {name: get(session, record) for name, (get, _put) in FIELDS[resource_type].items()}


# Finding records and their organization.


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


def is_sensitive(*, resource_type: str, field: str, record: Any, new_values: dict[str, str]) -> bool:
    """Tell whether a change to this field must wait for a moderator, even for a verified organization."""
    if (resource_type, field) in (("organization", "name"), ("service", "credentials")):
        return True
    if resource_type == "location":
        confidential = record.confidential or new_values.get("confidential") == "yes"
        if field in ADDRESS_FIELDS and confidential:
            return True
        # Making a confidential location public would publish its address.
        if field == "confidential" and record.confidential and new_values.get("confidential") == "no":
            return True
    return False


# The pipeline.


def apply_changes(
    session: Session,
    *,
    resource_type: str,
    record: Any,
    changes: dict[str, str],
    updated_by: str,
    action: str = "update",
) -> dict[str, tuple[str, str]]:
    """Write changed fields with one history row each, bump the version, reindex; return field -> (old, new)."""
    fields = FIELDS[resource_type]
    done: dict[str, tuple[str, str]] = {}
    for name, new in changes.items():
        get, put = fields[name]
        old = get(session, record)
        if old == new:
            continue
        put(session, record, new)
        done[name] = (old, new)
        session.add(
            Metadata(
                resource_id=record.id,
                resource_type=resource_type,
                last_action_type=action,
                field_name=name,
                previous_value=old,
                replacement_value=new,
                updated_by=updated_by[:300],
            )
        )
    if not done:
        return done
    model = MODELS[resource_type]
    # Compare-and-set: a concurrent save that got here first makes this one fail, not overwrite.
    bumped = session.execute(
        update(model).where(model.id == record.id, model.version == record.version).values(version=record.version + 1)
    )
    if bumped.rowcount != 1:
        session.rollback()
        session.refresh(record)
        raise EditConflict(
            stored=read_values(session, resource_type=resource_type, record=record), version=record.version
        )
    session.expire(record, ["version"])
    if hasattr(record, "last_modified"):
        record.last_modified = utcnow()
    session.flush()
    reindex_services(session, services_touched(session, resource_type=resource_type, record=record))
    return done


def submit_changes(
    session: Session,
    *,
    user: User,
    resource_type: str,
    resource_id: str,
    values: dict[str, str],
    version: int,
    action: str = "update",
) -> EditResult:
    """Save an edit: publish what may publish, queue the rest for review; refuse a stale version."""
    record = find_record(session, resource_type=resource_type, resource_id=resource_id)
    stored = read_values(session, resource_type=resource_type, record=record)
    if record.version != version:
        raise EditConflict(stored=stored, version=record.version)
    changed = {name: value for name, value in values.items() if name in stored and stored[name] != value}
    organization = session.get(Organization, organization_id_of(resource_type, record))
    held = {
        name: value
        for name, value in changed.items()
        if not organization.verified
        or is_sensitive(resource_type=resource_type, field=name, record=record, new_values=values)
    }
    publish = {name: value for name, value in changed.items() if name not in held}
    published = apply_changes(
        session, resource_type=resource_type, record=record, changes=publish, updated_by=user.email, action=action
    )
    pending = None
    if held:
        pending = ChangeRequest(
            organization_id=organization.id,
            resource_type=resource_type,
            resource_id=record.id,
            changes=json.dumps({name: [stored[name], value] for name, value in held.items()}),
            submitted_by=user.id,
        )
        session.add(pending)
    session.commit()
    return EditResult(published=published, pending=pending)


def set_capacity(session: Session, *, user: User, service_id: str, capacity: str) -> None:
    """Say whether a service takes new clients, as of today (publishes at once: it is about today, not trust)."""
    service = find_record(session, resource_type="service", resource_id=service_id)
    changes = {"capacity": capacity, "capacity_stated_on": today().isoformat()}
    apply_changes(session, resource_type="service", record=service, changes=changes, updated_by=user.email)
    session.commit()


def confirm_listing(session: Session, *, user: User, service_id: str) -> None:
    """Record that someone checked today that the service's listing is still correct."""
    service = find_record(session, resource_type="service", resource_id=service_id)
    changes = {"assured_date": today().isoformat()}
    apply_changes(session, resource_type="service", record=service, changes=changes, updated_by=user.email)
    service.assurer_email = user.email
    session.commit()


# History.


def history_of(session: Session, *, organization_id: str) -> list[Metadata]:
    """Return every recorded change to an organization, its services and its locations, newest first."""
    ids = [organization_id]
    ids += session.execute(select(Service.id).where(Service.organization_id == organization_id)).scalars().all()
    ids += session.execute(select(Location.id).where(Location.organization_id == organization_id)).scalars().all()
    return list(
        session.execute(
            select(Metadata).where(Metadata.resource_id.in_(ids)).order_by(Metadata.last_action_date.desc())
        ).scalars()
    )


def history_entry(session: Session, *, metadata_id: str) -> tuple[Metadata, str]:
    """Return a history row and the id of its organization, or raise ListingError."""
    entry = session.get(Metadata, metadata_id)
    if entry is None or entry.field_name not in FIELDS.get(entry.resource_type, {}):
        raise ListingError(_("This change does not exist."))
    record = find_record(session, resource_type=entry.resource_type, resource_id=entry.resource_id)
    return entry, organization_id_of(entry.resource_type, record)


def restore(session: Session, *, user: User, metadata_id: str) -> EditResult:
    """Put an earlier value back, through the same pipeline (so the restore is itself recorded and moderated)."""
    entry, _organization_id = history_entry(session, metadata_id=metadata_id)
    record = find_record(session, resource_type=entry.resource_type, resource_id=entry.resource_id)
    return submit_changes(
        session,
        user=user,
        resource_type=entry.resource_type,
        resource_id=entry.resource_id,
        values={entry.field_name: entry.previous_value},
        version=record.version,
        action="restore",
    )


# Moderation.


def pending_changes(session: Session) -> list[tuple[ChangeRequest, Organization, User]]:
    """Return the change requests waiting for review, oldest first."""
    rows = session.execute(
        select(ChangeRequest, Organization, User)
        .join(Organization, Organization.id == ChangeRequest.organization_id)
        .join(User, User.id == ChangeRequest.submitted_by)
        .where(ChangeRequest.status == "pending")
        .order_by(ChangeRequest.submitted_at)
    )
    return [tuple(row) for row in rows]


def changes_submitted_by(session: Session, *, user_id: str) -> list[tuple[ChangeRequest, Organization]]:
    """Return a user's change requests that wait or were rejected, newest first."""
    rows = session.execute(
        select(ChangeRequest, Organization)
        .join(Organization, Organization.id == ChangeRequest.organization_id)
        .where(ChangeRequest.submitted_by == user_id, ChangeRequest.status.in_(("pending", "rejected")))
        .order_by(ChangeRequest.submitted_at.desc())
    )
    return [tuple(row) for row in rows]


def field_changes(change: ChangeRequest) -> dict[str, list[str]]:
    """Return a change request's fields as field -> [old, new]."""
    return json.loads(change.changes)


def _pending(session: Session, change_id: str) -> ChangeRequest:
    change = session.get(ChangeRequest, change_id)
    if change is None or change.status != "pending":
        raise ListingError(_("This change request has already been reviewed."))
    return change


def approve_change(session: Session, *, moderator: User, change_id: str) -> None:
    """Publish a change request, unless the listing changed since (then it must be rejected and redone)."""
    change = _pending(session, change_id)
    record = find_record(session, resource_type=change.resource_type, resource_id=change.resource_id)
    stored = read_values(session, resource_type=change.resource_type, record=record)
    fields = field_changes(change)
    if any(stored.get(name) != old for name, (old, _new) in fields.items()):
        raise ListingError(_("The listing has changed since this request was made. Reject it and ask for a new one."))
    submitter = session.get(User, change.submitted_by)
    apply_changes(
        session,
        resource_type=change.resource_type,
        record=record,
        changes={name: new for name, (_old, new) in fields.items()},
        updated_by=_("%(submitter)s (approved by %(moderator)s)", submitter=submitter.email, moderator=moderator.email),
    )
    change.status, change.reviewed_by, change.reviewed_at = "approved", moderator.id, utcnow()
    session.commit()


def reject_change(session: Session, *, moderator: User, change_id: str, reason: str) -> None:
    """Refuse a change request with a reason the submitter sees."""
    if not reason.strip():
        raise ListingError(_("Say why, so the organization can fix it."), field="reason")
    change = _pending(session, change_id)
    change.status, change.reviewed_by, change.reviewed_at = "rejected", moderator.id, utcnow()
    change.reason = reason.strip()
    session.commit()


def open_reports(session: Session) -> list[tuple[ListingReport, Service]]:
    """Return the public's open problem reports, oldest first."""
    rows = session.execute(
        select(ListingReport, Service)
        .join(Service, Service.id == ListingReport.service_id)
        .where(ListingReport.status == "open")
        .order_by(ListingReport.created_at)
    )
    return [tuple(row) for row in rows]


def resolve_report(session: Session, *, report_id: str) -> None:
    """Close a problem report."""
    report = session.get(ListingReport, report_id)
    if report is None or report.status != "open":
        raise ListingError(_("This report is already closed."))
    report.status = "resolved"
    session.commit()


def stale_services(session: Session, *, stale_after: timedelta) -> list[tuple[Service, Organization]]:
    """Return active services of claimed organizations nobody has confirmed within ``stale_after``."""
    claimed = select(Membership.organization_id).where(Membership.role == "owner")
    rows = session.execute(
        select(Service, Organization)
        .join(Organization, Organization.id == Service.organization_id)
        .where(
            Organization.id.in_(claimed),
            Service.status == "active",
            or_(Service.assured_date.is_(None), Service.assured_date < today() - stale_after),
        )
        .order_by(Organization.name, Service.name)
    )
    return [tuple(row) for row in rows]


def organizations_of(session: Session, *, user_id: str) -> list[tuple[Organization, list[Service]]]:
    """Return the organizations a user belongs to, each with its services, by name."""
    organizations = session.execute(
        select(Organization)
        .join(Membership, Membership.organization_id == Organization.id)
        .where(Membership.user_id == user_id)
        .order_by(Organization.name)
    ).scalars()
    return [(organization, parts_of(session, organization_id=organization.id)[0]) for organization in organizations]


def parts_of(session: Session, *, organization_id: str) -> tuple[list[Service], list[Location]]:
    """Return an organization's services and locations, by name."""
    services = session.execute(
        select(Service).where(Service.organization_id == organization_id).order_by(Service.name)
    ).scalars()
    locations = session.execute(
        select(Location).where(Location.organization_id == organization_id).order_by(Location.name)
    ).scalars()
    return list(services), list(locations)
