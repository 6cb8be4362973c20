"""Status rules of referral items (what a provider may set, what a note may hold, when a referral closes),
and what a provider and the public status lookup may read of a referral.

A provider's note is client data, so it is encrypted; it must never hold a date of birth, an
A-number or a Social Security number, and is refused (with a plain reason) when it seems to.
Setting a status emails the caseworker (referrals.notices), after the change is committed.
"""

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlmodel import Session

from models import Organization, Referral, ReferralEvent, ReferralItem, Service, User
from models.base import utcnow
from models.referral import FINAL_STATUSES, REFERRAL_STATUSES
from referrals.access import item_for_provider
from referrals.crypto import decrypt, encrypt
from referrals.notes import note_problem

# "sent" and "tracked" belong to the caseworker who made the referral; a provider answers with the others.
PROVIDER_STATUSES = tuple(status for status in REFERRAL_STATUSES if status not in ("sent", "tracked"))
NOTE_MAX_LENGTH = 500
INBOX_LIMIT = 500  # the newest; older ones are in the reports


class StatusError(Exception):
    """A broken status rule; ``field`` names the form field the message belongs to."""

    def __init__(self, message: str, *, field: str = "status"):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass
class HistoryEntry:
    """One status change as a provider sees it, with its note decrypted."""

    status: str
    at: datetime
    note: str | None


@dataclass
class StatusLine:
    """What the public status lookup tells about one service of a referral: nothing about the client."""

    service_name: str
    provider_name: str
    status: str
    updated_at: datetime


def check_note(note: str) -> None:
    """Raise StatusError when a note is too long or seems to hold a birth date, an A-number or an SSN."""
    if len(note) > NOTE_MAX_LENGTH:
        raise StatusError(_("Keep the note under %(count)d characters.", count=NOTE_MAX_LENGTH), field="note")
    problem = note_problem(note)
    if problem:
        raise StatusError(problem, field="note")


def _record(session: Session, *, item: ReferralItem, status: str, note: str | None, user: User) -> None:
    now = utcnow()
    item.status = status
    item.status_at = now
    if item.first_response_at is None:
        item.first_response_at = now
    session.add(item)
    session.add(
        ReferralEvent(referral_item_id=item.id, status=status, note_enc=encrypt(note), by_user_id=user.id, at=now)
    )
    session.flush()
    _update_closed(session, referral_id=item.referral_id, now=now)


def _update_closed(session: Session, *, referral_id: str, now: datetime) -> None:
    """Close a referral when every item is final; open it again when one moves back."""
    referral = session.get(Referral, referral_id)
    statuses = session.execute(select(ReferralItem.status).where(ReferralItem.referral_id == referral_id)).scalars()
    if all(status in FINAL_STATUSES for status in statuses):
        if referral.closed_at is None:
            referral.closed_at = now
    else:
        referral.closed_at = None
    session.add(referral)


def set_status(session: Session, *, user: User, item_id: str, status: str, note: str | None = None) -> ReferralItem:
    """Set a referral item's status as its provider, with an optional note (encrypted), and commit."""
    item = item_for_provider(session, user=user, item_id=item_id)
    if item is None:
        raise LookupError(item_id)
    if status not in PROVIDER_STATUSES:
        raise StatusError(_("Choose a status from the list."))
    note = (note or "").strip() or None
    if note:
        check_note(note)
    _record(session, item=item, status=status, note=note, user=user)
    session.commit()
    return item


def mark_received(session: Session, *, user: User, item: ReferralItem) -> bool:
    """Mark a newly sent item "received" when its provider says so (a POST); tell whether it was new."""
    if item.status != "sent":
        return False
    _record(session, item=item, status="received", note=None, user=user)
    session.commit()
    return True


def history_of(session: Session, *, item_id: str) -> list[HistoryEntry]:
    """Return an item's status changes, newest first, with notes decrypted."""
    events = session.execute(
        select(ReferralEvent)
        .where(ReferralEvent.referral_item_id == item_id, ReferralEvent.status != "invited")  # the caseworker's log
        .order_by(ReferralEvent.at.desc())
    ).scalars()
    return [HistoryEntry(status=event.status, at=event.at, note=decrypt(event.note_enc)) for event in events]


def status_by_code(session: Session, *, code: str) -> list[StatusLine] | None:
    """Return the status of each service of the referral with this (normalized) code, or None."""
    referral_id = session.execute(select(Referral.id).where(Referral.code == code)).scalar_one_or_none()
    if referral_id is None:
        return None
    rows = session.execute(
        select(Service.name, Organization.name, ReferralItem.status, ReferralItem.status_at)
        .join(Service, Service.id == ReferralItem.service_id)
        .join(Organization, Organization.id == ReferralItem.provider_id)
        .where(ReferralItem.referral_id == referral_id)
        .order_by(Organization.name, Service.name)
    ).all()
    return [StatusLine(*row) for row in rows]


@dataclass
class IncomingRow:
    """One line of a provider's inbox: anonymous facts only (no client field)."""

    item: ReferralItem
    referral: Referral
    service_name: str

    @property
    def needs(self) -> list[str]:
        """Return the referral's need codes."""
        return [code for code in self.referral.needs.split(",") if code]


def incoming(session: Session, *, organization_ids: list[str], status: str | None = None) -> list[IncomingRow]:
    """Return the items sent to these organizations, new ones first, then newest first."""
    if not organization_ids:
        return []
    query = (
        select(ReferralItem, Referral, Service.name)
        .join(Referral, Referral.id == ReferralItem.referral_id)
        .join(Service, Service.id == ReferralItem.service_id)
        .where(ReferralItem.provider_id.in_(organization_ids))
    )
    if status:
        query = query.where(ReferralItem.status == status)
    query = query.order_by((ReferralItem.status == "sent").desc(), Referral.created_at.desc()).limit(INBOX_LIMIT)
    return [IncomingRow(*row) for row in session.execute(query).all()]


@dataclass
class IncomingDetails:
    """What a provider may read of one item: client contact only if the client agreed to be contacted."""

    item: ReferralItem
    referral: Referral
    service_name: str
    agency_name: str
    agency_email: str | None
    caseworker_email: str | None
    alias: str | None
    phone: str | None
    email: str | None
    note: str | None
    history: list[HistoryEntry]


def incoming_details(session: Session, *, item: ReferralItem) -> IncomingDetails:
    """Return one item with its referral's client fields decrypted (contact only when agreed) and its history."""
    referral = session.get(Referral, item.referral_id)
    service = session.get(Service, item.service_id)
    agency = session.get(Organization, referral.agency_id)
    caseworker = session.get(User, referral.caseworker_id) if referral.caseworker_id else None
    may_contact = referral.contact_preference != "client-calls"
    return IncomingDetails(
        item=item,
        referral=referral,
        service_name=service.name if service else "",
        agency_name=agency.name if agency else "",
        agency_email=agency.email if agency else None,
        caseworker_email=caseworker.email if caseworker and caseworker.is_active else None,
        alias=decrypt(referral.client_alias_enc),
        phone=decrypt(referral.client_phone_enc) if may_contact else None,
        email=decrypt(referral.client_email_enc) if may_contact else None,
        note=decrypt(referral.note_enc),
        history=history_of(session, item_id=item.id),
    )
