"""The history of a listing: every recorded change, and putting an earlier value back."""

from flask_babel import gettext as _
from sqlalchemy import select
from sqlmodel import Session

from listings.edits import EditResult, submit_changes, supersede_pending
from listings.errors import ListingError
from listings.fields import FIELDS
from listings.records import find_record, organization_id_of
from models import (
    Location,
    Metadata,
    Service,
    User,
)


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
    """Put an earlier value back, through the same pipeline (so the restore is itself recorded and moderated).

    Restoring the value a field has now creates nothing, and withdraws any change to the field that
    waits for review: the person has said which value they want.
    """
    entry, _organization_id = history_entry(session, metadata_id=metadata_id)
    record = find_record(session, resource_type=entry.resource_type, resource_id=entry.resource_id)
    current = FIELDS[entry.resource_type][entry.field_name][0](session, record)
    if current == entry.previous_value:
        withdrawn = supersede_pending(
            session, resource_type=entry.resource_type, record=record, fields={entry.field_name}
        )
        session.commit()
        return EditResult(published={}, pending=None, withdrawn=withdrawn)
    return submit_changes(
        session,
        user=user,
        resource_type=entry.resource_type,
        resource_id=entry.resource_id,
        values={entry.field_name: entry.previous_value},
        version=record.version,
        action="restore",
    )
