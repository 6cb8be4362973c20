"""The review queue: change requests that wait for a moderator, approved or rejected."""

import json

from flask_babel import gettext as _
from sqlalchemy import select
from sqlmodel import Session

from listings.edits import (
    apply_changes,
)
from listings.errors import ListingError
from listings.fields import read_values
from listings.records import find_record
from models import (
    ChangeRequest,
    Organization,
    User,
)
from models.base import utcnow


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


def changes_waiting_for(session: Session, *, resource_type: str, resource_id: str) -> list[ChangeRequest]:
    """Return the change requests of one record that wait for review, oldest first."""
    rows = session.execute(
        select(ChangeRequest)
        .where(
            ChangeRequest.resource_type == resource_type,
            ChangeRequest.resource_id == resource_id,
            ChangeRequest.status == "pending",
        )
        .order_by(ChangeRequest.submitted_at)
    )
    return list(rows.scalars())


def waiting_change(session: Session, *, change_id: str) -> ChangeRequest:
    """Return a change request that waits for review, or raise ListingError."""
    return _pending(session, change_id)


def withdraw_change(session: Session, *, user: User, change_id: str) -> None:
    """Withdraw a change request before review: it stays on record, and can no longer be approved."""
    change = _pending(session, change_id)
    change.status, change.reviewed_by, change.reviewed_at = "withdrawn", user.id, utcnow()
    session.commit()


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
