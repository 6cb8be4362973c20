"""A caseworker's referrals: create one, follow it on the dashboard, close it, erase the client's details.

Client fields (alias, phone, email, note) go through referrals.crypto and nowhere else: never in
a URL, a log line or an email. What outlives erasure is anonymous: needs, language, statuses, dates.
A broken rule raises ReferralError, whose ``field`` names the form field the message belongs to.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from accounts.mailer import send_mail
from accounts.users import EMAIL_SHAPE
from matching.needs import get_taxonomy
from models import Organization, Referral, ReferralEvent, ReferralItem, Service, User
from models.base import utcnow
from models.referral import CONTACT_PREFERENCES, FINAL_STATUSES, REFERRAL_STATUSES
from referrals.codes import new_code
from referrals.crypto import decrypt, encrypt
from referrals.notes import alias_problem, note_problem
from referrals.reach import inbox_readers, receiving_organizations

NOTE_MAX_LENGTH = 500
ALIAS_MAX_LENGTH = 60
# A referral nobody has touched for a year is abandoned: its client details go even if it was never closed.
ABANDONED_AFTER_DAYS = 365
CODE_ATTEMPTS = 10  # 30**8 codes: a second collision in a row is already unheard of
DASHBOARD_PAGE_SIZE = 50
MAX_SERVICES = 20  # one referral, one client: more than this is a mistake (or a mailing)

PHONE_SHAPE = re.compile(r"^\+?[0-9 ().\-]{7,25}$")


class ReferralError(Exception):
    """A broken referral rule; ``field`` names the form field the message belongs to."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass
class ClientDetails:
    """What a caseworker types about a client; all optional, all encrypted before storage."""

    alias: str = ""
    phone: str = ""
    email: str = ""
    consent: bool = False
    note: str = ""


def check_note(note: str) -> None:
    """Refuse a note that looks like it holds an ID number or a date of birth."""
    problem = note_problem(note)
    if problem:
        raise ReferralError(problem, field="note")


def check_client(*, contact_preference: str, client: ClientDetails) -> None:
    """Raise ReferralError unless the client's details fit the contact preference and the consent."""
    if contact_preference not in CONTACT_PREFERENCES:
        raise ReferralError(_("Choose how the provider may contact the client."), field="contact_preference")
    if len(client.alias) > ALIAS_MAX_LENGTH:
        raise ReferralError(_("Keep the name under %(count)d characters.", count=ALIAS_MAX_LENGTH), field="alias")
    if problem := alias_problem(client.alias):
        raise ReferralError(problem, field="alias")
    if client.phone:
        if contact_preference not in ("phone", "text"):
            raise ReferralError(
                _(
                    "Only give a phone number when the client wants a call or a text message. "
                    "Remove it, or change how to contact the client."
                ),
                field="phone",
            )
        if not PHONE_SHAPE.match(client.phone) or sum(ch.isdigit() for ch in client.phone) < 7:
            raise ReferralError(_("Enter a phone number, like 214-555-0100."), field="phone")
    elif contact_preference in ("phone", "text"):
        raise ReferralError(_("Give the phone number the provider may use, or choose another way."), field="phone")
    if client.email:
        if contact_preference != "email":
            raise ReferralError(
                _(
                    "Only give an email address when the client wants an email. "
                    "Remove it, or change how to contact the client."
                ),
                field="email",
            )
        if len(client.email) > 254 or not EMAIL_SHAPE.match(client.email):
            raise ReferralError(_("Enter a valid email address."), field="email")
    elif contact_preference == "email":
        raise ReferralError(_("Give the email address the provider may use, or choose another way."), field="email")
    if (client.phone or client.email) and not client.consent:
        raise ReferralError(
            _("Check that the client agrees to be contacted, or remove the phone number and email."), field="consent"
        )
    if len(client.note) > NOTE_MAX_LENGTH:
        raise ReferralError(_("Keep the note under %(count)d characters.", count=NOTE_MAX_LENGTH), field="note")
    check_note(client.note)


def chosen_services(session: Session, *, service_ids: list[str]) -> list[tuple[Service, Organization]]:
    """Return the publicly listed services among ``service_ids``, with their organizations, in the order given.

    Only active services of published organizations: a pending or rejected organization is not in the
    directory, and a crafted link to it must not collect a client's details.
    """
    wanted = list(dict.fromkeys(service_ids))[:MAX_SERVICES]
    if not wanted:
        return []
    rows = session.execute(
        select(Service, Organization)
        .join(Organization, Organization.id == Service.organization_id)
        .where(Service.id.in_(wanted), Service.status == "active", Organization.status == "published")
    ).all()
    found = {service.id: (service, organization) for service, organization in rows}
    return [found[service_id] for service_id in wanted if service_id in found]


def find_services(session: Session, *, service_ids: list[str]) -> list[tuple[Service, Organization]]:
    """Return the chosen services with their organizations, in the order given, or raise ReferralError."""
    wanted = list(dict.fromkeys(service_ids))
    if not wanted:
        raise ReferralError(_("Choose at least one service."), field="services")
    if len(wanted) > MAX_SERVICES:
        raise ReferralError(
            _("Refer a client to at most %(count)d services at once.", count=MAX_SERVICES), field="services"
        )
    found = chosen_services(session, service_ids=wanted)
    if len(found) != len(wanted):
        raise ReferralError(_("One of these services is no longer listed. Remove it and try again."), field="services")
    return found


def create_referral(
    session: Session,
    *,
    caseworker: User,
    agency_id: str,
    service_ids: list[str],
    needs: list[str],
    language: str,
    contact_preference: str,
    client: ClientDetails,
) -> Referral:
    """Check and save a referral; the client's details only encrypted.

    Each service gets an item: "sent" when its provider receives referrals on Amparo, else
    "tracked" (the caseworker calls them and sets the status).
    """
    chosen = find_services(session, service_ids=service_ids)
    taxonomy = get_taxonomy()
    if not needs:
        raise ReferralError(_("Choose at least one need."), field="needs")
    if any(code not in taxonomy for code in needs):
        raise ReferralError(_("Unknown need."), field="needs")
    check_client(contact_preference=contact_preference, client=client)
    for _attempt in range(CODE_ATTEMPTS):
        code = new_code()
        if session.execute(select(Referral.id).where(Referral.code == code)).first() is None:
            break
    referral = Referral(
        code=code,
        agency_id=agency_id,
        caseworker_id=caseworker.id,
        needs=",".join(dict.fromkeys(needs)),
        language=language,
        contact_preference=contact_preference,
        client_alias_enc=encrypt(client.alias),
        client_phone_enc=encrypt(client.phone),
        client_email_enc=encrypt(client.email),
        note_enc=encrypt(client.note),
    )
    session.add(referral)
    session.flush()
    receiving = receiving_organizations(session, organization_ids=[service.organization_id for service, _o in chosen])
    for service, _organization in chosen:
        tracked = service.organization_id not in receiving
        item = ReferralItem(
            referral_id=referral.id,
            service_id=service.id,
            provider_id=service.organization_id,
            status="tracked" if tracked else "sent",
            tracked=tracked,
        )
        session.add(item)
        session.flush()
        session.add(
            ReferralEvent(referral_item_id=item.id, status=item.status, by_user_id=caseworker.id, at=item.status_at)
        )
    try:
        session.commit()
    except IntegrityError as error:  # the code was taken between the check and the insert
        session.rollback()
        message = _("Something went wrong while saving. Please send the form again.")
        raise ReferralError(message, field="services") from error
    return referral


def notify_providers(session: Session, *, referral: Referral, inbox_url: str) -> int:
    """Email the members who can read each receiving provider's inbox that a referral arrived (no client data).

    Return how many emails were sent. Providers whose item the caseworker tracks are not written to.
    """
    provider_ids = session.execute(
        select(ReferralItem.provider_id)
        .where(ReferralItem.referral_id == referral.id, ReferralItem.tracked.is_(False))
        .distinct()
    ).scalars()
    addresses = inbox_readers(session, organization_ids=list(provider_ids))
    # The reader's language is unknown: the email says it in English, then in Spanish.
    parts = []
    for locale in ("en", "es"):
        with force_locale(locale):
            subject = _("A referral arrived on Amparo")
            parts.append(
                _(
                    "A caseworker sent your organization a referral on Amparo.\n"
                    "Log in to see it and tell them what happens next:\n%(link)s",
                    link=inbox_url,
                )
            )
            if locale == "en":
                english_subject = subject
    body = "\n\n---\n\n".join(parts)
    sent = 0
    for address in sorted(addresses):
        send_mail(session, to=address, subject=english_subject, body=body)
        sent += 1
    return sent


def tracked_items(session: Session, *, referral: Referral) -> list[ReferralItem]:
    """Return the items of a referral that the caseworker follows up (providers not on Amparo)."""
    rows = session.execute(
        select(ReferralItem).where(ReferralItem.referral_id == referral.id, ReferralItem.tracked.is_(True))
    )
    return list(rows.scalars())


# Statuses a caseworker sets on an item to a provider that does not receive referrals on Amparo.
CASEWORKER_STATUSES = tuple(status for status in REFERRAL_STATUSES if status not in ("sent", "received"))


def set_tracked_status(session: Session, *, caseworker: User, referral: Referral, item_id: str, status: str) -> None:
    """Set the status of a referral item the caseworker tracks (a provider not on Amparo), and commit."""
    item = session.get(ReferralItem, item_id)
    if item is None or item.referral_id != referral.id or not item.tracked:
        raise LookupError(item_id)
    if status not in CASEWORKER_STATUSES:
        raise ReferralError(_("Choose a status from the list."), field="status")
    if status == item.status:
        return
    now = utcnow()
    item.status, item.status_at = status, now
    session.add(ReferralEvent(referral_item_id=item.id, status=status, by_user_id=caseworker.id, at=now))
    session.flush()
    statuses = session.execute(select(ReferralItem.status).where(ReferralItem.referral_id == referral.id)).scalars()
    referral.closed_at = (referral.closed_at or now) if all(code in FINAL_STATUSES for code in statuses) else None
    session.commit()


def erase_client_details(session: Session, *, referral: Referral, now: datetime | None = None) -> None:
    """Erase the client's alias, phone, email and every note of a referral; keep statuses, needs and dates."""
    referral.client_alias_enc = None
    referral.client_phone_enc = None
    referral.client_email_enc = None
    referral.note_enc = None
    referral.client_erased_at = referral.client_erased_at or now or utcnow()
    item_ids = select(ReferralItem.id).where(ReferralItem.referral_id == referral.id)
    session.execute(
        update(ReferralEvent)
        .where(ReferralEvent.referral_item_id.in_(item_ids), ReferralEvent.note_enc.is_not(None))
        .values(note_enc=None)
    )
    session.add(referral)


def erase_now(session: Session, *, referral: Referral) -> None:
    """Erase a referral's client details at the caseworker's request."""
    erase_client_details(session, referral=referral, now=utcnow())
    session.commit()


def close_referral(session: Session, *, referral: Referral) -> None:
    """Close a referral: nothing more to follow up; its client details go after the retention time."""
    if referral.closed_at is None:
        referral.closed_at = utcnow()
        session.add(referral)
        session.commit()


def _has_client_data():
    """SQL condition: the referral still holds a client field or a note on one of its updates."""
    note_left = exists(
        select(ReferralEvent.id)
        .join(ReferralItem, ReferralItem.id == ReferralEvent.referral_item_id)
        .where(ReferralItem.referral_id == Referral.id, ReferralEvent.note_enc.is_not(None))
    )
    return or_(
        Referral.client_alias_enc.is_not(None),
        Referral.client_phone_enc.is_not(None),
        Referral.client_email_enc.is_not(None),
        Referral.note_enc.is_not(None),
        note_left,
    )


def purge(session: Session, *, days: int, now: datetime | None = None) -> int:
    """Erase the client details of referrals closed more than ``days`` ago, and of abandoned ones; return how many.

    A referral is abandoned when neither the caseworker nor any provider has touched it for
    ABANDONED_AFTER_DAYS (a year), even if nobody closed it: its client details go too. Rows,
    statuses, needs and dates stay, so the counts in the reports do not change. Running it
    again erases nothing more.
    """
    now = now or utcnow()
    closed_before = now - timedelta(days=days)
    idle_before = now - timedelta(days=ABANDONED_AFTER_DAYS)
    touched_since = exists(
        select(ReferralItem.id).where(ReferralItem.referral_id == Referral.id, ReferralItem.status_at >= idle_before)
    )
    due = (
        session.execute(
            select(Referral).where(
                _has_client_data(),
                or_(
                    Referral.closed_at < closed_before,
                    (Referral.created_at < idle_before) & ~touched_since,
                ),
            )
        )
        .scalars()
        .all()
    )
    for referral in due:
        erase_client_details(session, referral=referral, now=now)
    session.commit()
    return len(due)


@dataclass
class ItemView:
    """One service of a referral as the caseworker sees it."""

    item: ReferralItem
    service_name: str
    provider_name: str
    events: list[tuple[ReferralEvent, str | None]] = field(default_factory=list)  # (event, decrypted note)


@dataclass
class ReferralView:
    """A referral with its client details decrypted, for the agency's caseworkers only."""

    referral: Referral
    alias: str | None
    phone: str | None
    email: str | None
    note: str | None
    items: list[ItemView]
    last_update: datetime
    stale_days: int | None  # days without an update, when that is too long; else None
    all_answered: bool  # every provider has given a final answer


def _items_of(session: Session, referral_ids: list[str]) -> dict[str, list[ItemView]]:
    rows = session.execute(
        select(ReferralItem, Service.name, Organization.name)
        .join(Service, Service.id == ReferralItem.service_id)
        .join(Organization, Organization.id == ReferralItem.provider_id)
        .where(ReferralItem.referral_id.in_(referral_ids))
        .order_by(Organization.name, Service.name)
    ).all()
    found: dict[str, list[ItemView]] = {referral_id: [] for referral_id in referral_ids}
    for item, service_name, provider_name in rows:
        found[item.referral_id].append(ItemView(item=item, service_name=service_name, provider_name=provider_name))
    return found


def _view(referral: Referral, items: list[ItemView], *, stale_after: timedelta, now: datetime) -> ReferralView:
    last_update = max([referral.created_at, *(view.item.status_at for view in items)])
    all_answered = bool(items) and all(view.item.status in FINAL_STATUSES for view in items)
    idle = now - last_update
    stale = referral.closed_at is None and not all_answered and idle > stale_after
    return ReferralView(
        referral=referral,
        alias=decrypt(referral.client_alias_enc),
        phone=decrypt(referral.client_phone_enc),
        email=decrypt(referral.client_email_enc),
        note=decrypt(referral.note_enc),
        items=items,
        last_update=last_update,
        stale_days=idle.days if stale else None,
        all_answered=all_answered,
    )


def dashboard(
    session: Session, *, agency_id: str, stale_days: int, page: int = 1, now: datetime | None = None
) -> tuple[list[ReferralView], int]:
    """Return a page of the agency's referrals, newest first, and how many there are in all."""
    total = session.execute(select(func.count(Referral.id)).where(Referral.agency_id == agency_id)).scalar_one()
    referrals = (
        session.execute(
            select(Referral)
            .where(Referral.agency_id == agency_id)
            .order_by(Referral.created_at.desc(), Referral.id)
            .limit(DASHBOARD_PAGE_SIZE)
            .offset((page - 1) * DASHBOARD_PAGE_SIZE)
        )
        .scalars()
        .all()
    )
    items = _items_of(session, [referral.id for referral in referrals])
    now = now or utcnow()
    views = [
        _view(referral, items[referral.id], stale_after=timedelta(days=stale_days), now=now) for referral in referrals
    ]
    return views, total


def referral_detail(
    session: Session, *, referral: Referral, stale_days: int, now: datetime | None = None
) -> ReferralView:
    """Return one referral with its items and their history, notes decrypted."""
    items = _items_of(session, [referral.id])[referral.id]
    by_item = {view.item.id: view for view in items}
    events = session.execute(
        select(ReferralEvent)
        .where(ReferralEvent.referral_item_id.in_(list(by_item)))
        .order_by(ReferralEvent.at, ReferralEvent.id)
    ).scalars()
    for event in events:
        by_item[event.referral_item_id].events.append((event, decrypt(event.note_enc)))
    return _view(referral, items, stale_after=timedelta(days=stale_days), now=now or utcnow())


def status_counts(session: Session, *, agency_id: str) -> dict[str, int]:
    """Count the agency's referral items by status (what stays after erasure)."""
    rows = session.execute(
        select(ReferralItem.status, func.count(ReferralItem.id))
        .join(Referral, Referral.id == ReferralItem.referral_id)
        .where(Referral.agency_id == agency_id)
        .group_by(ReferralItem.status)
    ).all()
    return dict(rows)
