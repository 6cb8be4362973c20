"""The edit pipeline: every change to a listing goes through ``apply_changes``.

One HSDS metadata row per changed field, the record's version bumped with a compare-and-set, and
the search index refreshed, all in the caller's transaction. ``submit_changes`` decides what
publishes at once and what waits for a moderator. Rules raise ListingError, whose message the
view puts on the form field.
"""

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlmodel import Session

from listings.codecs import (
    PARSERS,
    language_notes_text,
    parse_language_notes,
    split_codes,
)
from listings.conflicts import EditConflict, FieldConflict, describe_conflicts, merge_edit, same_text
from listings.errors import ListingError
from listings.fields import ADDRESS_FIELDS, CONFIDENTIAL_FREE_TEXT, FIELDS, read_values
from listings.records import MODELS, find_record, organization_id_of, services_touched
from matching.index import reindex_services
from models import (
    ChangeRequest,
    Location,
    Metadata,
    Organization,
    ServiceAtLocation,
    User,
)
from models.base import today, utcnow


@dataclass
class EditResult:
    """What a save did: fields published at once, the change request queued, pending requests withdrawn."""

    published: dict[str, tuple[str, str]]
    pending: ChangeRequest | None
    withdrawn: int = 0
    merged: bool = False  # someone else saved since the form was opened, and their changes are kept


def _at_confidential_location(session: Session, *, resource_type: str, record: Any, new_values: dict) -> bool:
    """Tell whether a record is, or serves at, a confidential location (after this edit)."""
    if resource_type == "location":
        return record.confidential or new_values.get("confidential") == "yes"
    confidential = select(Location.id).where(Location.confidential)
    if resource_type == "service":
        confidential = confidential.join(ServiceAtLocation, ServiceAtLocation.location_id == Location.id).where(
            ServiceAtLocation.service_id == record.id
        )
    else:
        confidential = confidential.where(Location.organization_id == record.id)
    return session.execute(confidential.limit(1)).first() is not None


def is_sensitive(session: Session, *, resource_type: str, field: str, record: Any, new_values: dict[str, str]) -> bool:
    """Tell whether a change to this field must wait for a moderator, even for a verified organization."""
    if (resource_type, field) in (("organization", "name"), ("service", "credentials")):
        return True
    if resource_type == "location":
        confidential = record.confidential or new_values.get("confidential") == "yes"
        if field in ADDRESS_FIELDS and confidential:
            return True
        # Free text about a confidential site easily names its street ("bus 7 stops at the corner of ..."):
        # a moderator reads it first, like the address.
        if field in CONFIDENTIAL_FREE_TEXT and confidential:
            return True
        # Making a confidential location public would publish its address.
        if field == "confidential" and record.confidential and new_values.get("confidential") == "no":
            return True
    # The phones of a shelter are all a victim can reach it by (its address is never shown): a changed
    # number could send them to an abuser or a scammer, so a moderator checks it first. This holds for
    # the phones of the confidential location itself and for those of its service and organization,
    # which the public pages show in its place.
    if field == "phones":
        return _at_confidential_location(session, resource_type=resource_type, record=record, new_values=new_values)
    return False


def _check(resource_type: str, values: dict[str, str]) -> None:
    """Parse every value that has a syntax, so that a bad one is refused before anything is written."""
    for name, value in values.items():
        if name in PARSERS and name in FIELDS[resource_type]:
            try:
                PARSERS[name](value)
            except ListingError as error:
                raise ListingError(error.message, field=name) from None


def _with_dependents(resource_type: str, stored: dict[str, str], values: dict[str, str]) -> dict[str, str]:
    """Return values plus what they imply for related fields (a restore brings one field alone).

    A note needs its language; a language taken away takes its note with it, recorded rather than lost.
    """
    if resource_type != "service" or not {"languages", "language_notes"} & values.keys():
        return values
    merged = {**stored, **values}
    codes = split_codes(merged["languages"])
    notes = parse_language_notes(merged["language_notes"])
    values = dict(values)
    if "language_notes" in values and "languages" not in values:
        values["languages"] = ",".join(sorted({*codes, *notes}))
    else:
        values["language_notes"] = language_notes_text({code: note for code, note in notes.items() if code in codes})
    return values


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
    # Every old value is read before anything is written (a language's removal takes its note), and
    # fields are written in the table's order (a new language gets its row before its note).
    olds = {name: fields[name][0](session, record) for name in fields if name in changes}
    done: dict[str, tuple[str, str]] = {}
    for name, old in olds.items():
        new = changes[name]
        if old == new:
            continue
        fields[name][1](session, record, new)
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
    opened: dict[str, str] | None = None,
    action: str = "update",
) -> EditResult:
    """Save an edit: publish what may publish, queue the rest for review.

    ``opened`` holds the values the form was opened on: when someone saved the record since (a
    stale ``version``), only the fields this form changed are written, and a field both changed
    raises EditConflict with nothing written. Without ``opened``, a stale version is refused.
    """
    record = find_record(session, resource_type=resource_type, resource_id=resource_id)
    stored = read_values(session, resource_type=resource_type, record=record)
    merged = record.version != version
    if merged:
        values = _merge_stale_edit(
            session, resource_type=resource_type, record=record, stored=stored, opened=opened, values=values
        )
    _check(resource_type, values)
    values = _with_dependents(resource_type, stored, values)
    changed = {name: value for name, value in values.items() if name in stored and stored[name] != value}
    organization = session.get(Organization, organization_id_of(resource_type, record))
    held = {
        name: value
        for name, value in changed.items()
        if not organization.verified
        or is_sensitive(session, resource_type=resource_type, field=name, record=record, new_values=values)
    }
    publish = {name: value for name, value in changed.items() if name not in held}
    # A new edit of a field replaces any change to it still waiting for review.
    withdrawn = supersede_pending(session, resource_type=resource_type, record=record, fields=set(changed))
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
    return EditResult(published=published, pending=pending, withdrawn=withdrawn, merged=merged and bool(changed))


def _merge_stale_edit(
    session: Session,
    *,
    resource_type: str,
    record: Any,
    stored: dict[str, str],
    opened: dict[str, str] | None,
    values: dict[str, str],
) -> dict[str, str]:
    """Return the changes of a form opened on an older version, or raise EditConflict for a field both changed."""
    if opened is None:
        # A form that does not say what it was opened on: every difference may undo someone's work.
        mine = {name: value for name, value in values.items() if name in stored and not same_text(stored[name], value)}
        conflicts = [FieldConflict(name=name, theirs=stored[name], mine=value) for name, value in mine.items()]
    else:
        merge = merge_edit(opened=opened, stored=stored, values=values)
        if not merge.conflicts:
            return merge.changes
        mine = {**merge.changes, **{conflict.name: conflict.mine for conflict in merge.conflicts}}
        conflicts = merge.conflicts
    raise EditConflict(
        stored=stored,
        version=record.version,
        mine=mine,
        conflicts=describe_conflicts(session, resource_type=resource_type, record=record, conflicts=conflicts),
    )


def supersede_pending(session: Session, *, resource_type: str, record: Any, fields: set[str]) -> int:
    """Take ``fields`` out of the record's change requests waiting for review; return how many were emptied."""
    if not fields:
        return 0
    emptied = 0
    requests = session.execute(
        select(ChangeRequest).where(
            ChangeRequest.resource_type == resource_type,
            ChangeRequest.resource_id == record.id,
            ChangeRequest.status == "pending",
        )
    ).scalars()
    for request in requests:
        changes = json.loads(request.changes)
        kept = {name: values for name, values in changes.items() if name not in fields}
        if kept == changes:
            continue
        if kept:
            request.changes = json.dumps(kept)
        else:
            request.status, request.reviewed_at = "superseded", utcnow()
            emptied += 1
    return emptied


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
