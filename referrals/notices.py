"""Emails that tell caseworkers what happened to their referrals: each status change, or a daily digest.

An email names a referral only by the first half of its code ("K7M4-…") and says its new
status: no client detail, no provider note, no service. Each caseworker chooses to hear of
each change at once or once a day; referrals without an update for REFERRAL_STALE_DAYS are in
every caseworker's digest.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlmodel import Session

from accounts.mailer import send_mail
from models import Referral, ReferralEvent, ReferralItem, User
from models.base import utcnow
from models.referral import FINAL_STATUSES
from referrals.words import STATUS_LABELS

EMAIL_CHOICES = ("each", "digest")
# Statuses the caseworker sets themselves, or that only say the referral was opened: no email.
QUIET_STATUSES = ("sent", "tracked", "received")
DIGEST_WINDOW = timedelta(days=1)  # a first digest covers the last day


def code_half(code: str) -> str:
    """Return the first half of a referral code, as emails show it: "K7M4-…"."""
    return f"{code[:4]}-…"


def _in_both_languages(make) -> tuple[str, str]:
    """Return (English subject, body in English then Spanish): the reader's language is not known."""
    parts, subject = [], ""
    for locale in ("en", "es"):
        with force_locale(locale):
            line_subject, body = make()
            subject = subject or line_subject
            parts.append(body)
    return subject, "\n\n---\n\n".join(parts)


def set_email_choice(session: Session, *, user: User, choice: str) -> None:
    """Record whether a caseworker hears of each status change at once or in a daily digest."""
    if choice not in EMAIL_CHOICES:
        raise ValueError(choice)
    user.referral_emails = choice
    session.add(user)
    session.commit()


def notify_status_change(session: Session, *, item: ReferralItem, dashboard_url: str) -> bool:
    """Email the caseworker who made the referral that a provider changed an item's status; tell whether sent."""
    referral = session.get(Referral, item.referral_id)
    caseworker = session.get(User, referral.caseworker_id) if referral.caseworker_id else None
    if caseworker is None or not caseworker.is_active or caseworker.referral_emails != "each":
        return False
    if item.status in QUIET_STATUSES:
        return False

    def make() -> tuple[str, str]:
        status = str(STATUS_LABELS[item.status])
        subject = _("Referral %(code)s: %(status)s", code=code_half(referral.code), status=status)
        body = _(
            "A provider updated a referral you made on Amparo.\n"
            "Referral %(code)s, new status: %(status)s.\n"
            "See it on your dashboard:\n%(link)s",
            code=code_half(referral.code),
            status=status,
            link=dashboard_url,
        )
        return subject, body

    subject, body = _in_both_languages(make)
    send_mail(session, to=caseworker.email, subject=subject, body=body)
    return True


@dataclass
class Digest:
    """What one caseworker's daily email says: status changes since the last one, and stale referrals."""

    changes: list[tuple[str, str]]  # (code half, status)
    stale: list[tuple[str, int]]  # (code half, days without an update)


def digest_for(session: Session, *, caseworker: User, since: datetime, stale_days: int, now: datetime) -> Digest:
    """Return a caseworker's digest: providers' status changes since ``since``, and their stale referrals."""
    changes: list[tuple[str, str]] = []
    if caseworker.referral_emails == "digest":
        rows = session.execute(
            select(Referral.code, ReferralEvent.status)
            .join(ReferralItem, ReferralItem.id == ReferralEvent.referral_item_id)
            .join(Referral, Referral.id == ReferralItem.referral_id)
            .where(
                Referral.caseworker_id == caseworker.id,
                ReferralEvent.at > since,
                ReferralEvent.status.not_in(QUIET_STATUSES),
                ReferralEvent.by_user_id.is_distinct_from(caseworker.id),
            )
            .order_by(ReferralEvent.at)
        ).all()
        changes = [(code_half(code), status) for code, status in rows]
    last_update = (
        select(ReferralItem.referral_id, func.max(ReferralItem.status_at).label("at"))
        .group_by(ReferralItem.referral_id)
        .subquery()
    )
    waiting = select(ReferralItem.referral_id).where(ReferralItem.status.not_in(FINAL_STATUSES))
    open_rows = session.execute(
        select(Referral.code, last_update.c.at)
        .join(last_update, last_update.c.referral_id == Referral.id)
        .where(Referral.caseworker_id == caseworker.id, Referral.closed_at.is_(None), Referral.id.in_(waiting))
        .order_by(last_update.c.at)
    ).all()
    stale = [(code_half(code), (now - at).days) for code, at in open_rows if now - at > timedelta(days=stale_days)]
    return Digest(changes=changes, stale=stale)


def _digest_body(digest: Digest, *, dashboard_url: str) -> tuple[str, str]:
    lines = [_("Your referrals on Amparo today.")]
    if digest.changes:
        lines.append(_("Status changes:"))
        lines += [f"- {code}: {STATUS_LABELS[status]}" for code, status in digest.changes]
    if digest.stale:
        lines.append(_("No update for a while (call the provider?):"))
        lines += [
            "- " + _("%(code)s: no update for %(days)d days", code=code, days=days) for code, days in digest.stale
        ]
    lines.append(_("See them on your dashboard:\n%(link)s", link=dashboard_url))
    return _("Your referrals on Amparo"), "\n".join(lines)


def send_digests(session: Session, *, stale_days: int, dashboard_url: str, now: datetime | None = None) -> int:
    """Send each active caseworker their digest when it has something to say; return how many were sent."""
    now = now or utcnow()
    sent = 0
    caseworkers = session.execute(select(User).where(User.role == "caseworker", User.is_active)).scalars().all()
    for caseworker in caseworkers:
        since = caseworker.referral_digest_at or now - DIGEST_WINDOW
        digest = digest_for(session, caseworker=caseworker, since=since, stale_days=stale_days, now=now)
        caseworker.referral_digest_at = now
        session.add(caseworker)
        if digest.changes or digest.stale:
            subject, body = _in_both_languages(lambda digest=digest: _digest_body(digest, dashboard_url=dashboard_url))
            send_mail(session, to=caseworker.email, subject=subject, body=body)  # commits
            sent += 1
    session.commit()
    return sent
