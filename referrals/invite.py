"""Inviting a provider that is not on Amparo yet to receive referrals (issue 13).

Only when the caseworker chooses to: one email to the organization's public email, and nothing
about the client (no alias, needs, code, note), nor the caseworker's name; the agency's name is
said. Each invitation is a ReferralEvent "invited" on the referral item, by the caseworker: that
is the log. An organization is invited at most once every INVITE_EVERY, whoever asks.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlmodel import Session

from accounts.mailer import send_mail
from models import Organization, Referral, ReferralEvent, ReferralItem, User
from models.base import utcnow
from referrals.notices import _in_both_languages
from web.urls import site_url

INVITED = "invited"  # a ReferralEvent status: not a status of the item, which stays "tracked"
INVITE_EVERY = timedelta(days=30)


class NoPublicEmail(Exception):
    """The provider lists no public email: the caseworker invites them by phone."""


class AlreadyInvited(Exception):
    """The organization was invited less than INVITE_EVERY ago; ``at`` says when."""

    def __init__(self, at: datetime):
        super().__init__(at.isoformat())
        self.at = at


def last_invitations(session: Session, *, organization_ids: list[str]) -> dict[str, datetime]:
    """Return when each of these organizations was last invited to Amparo (those never invited are left out)."""
    if not organization_ids:
        return {}
    rows = session.execute(
        select(ReferralItem.provider_id, func.max(ReferralEvent.at))
        .join(ReferralItem, ReferralItem.id == ReferralEvent.referral_item_id)
        .where(ReferralEvent.status == INVITED, ReferralItem.provider_id.in_(organization_ids))
        .group_by(ReferralItem.provider_id)
    ).all()
    return dict(rows)


@dataclass
class Invitation:
    """What the referral page says about inviting one tracked provider."""

    email: str | None  # the provider's public email; None: invite them by phone
    sent_at: datetime | None  # the last invitation, if any

    @property
    def can_send(self) -> bool:
        """Tell whether the button shows: a public email, and no invitation in the last INVITE_EVERY."""
        return bool(self.email) and (self.sent_at is None or utcnow() - self.sent_at >= INVITE_EVERY)


def invitation_view(session: Session, *, items: list[ReferralItem]) -> dict[str, Invitation]:
    """Return, for each tracked item (by id), its provider's public email and last invitation."""
    provider_ids = sorted({item.provider_id for item in items if item.tracked})
    if not provider_ids:
        return {}
    emails = dict(
        session.execute(select(Organization.id, Organization.email).where(Organization.id.in_(provider_ids))).all()
    )
    sent = last_invitations(session, organization_ids=provider_ids)
    return {
        item.id: Invitation(email=emails.get(item.provider_id) or None, sent_at=sent.get(item.provider_id))
        for item in items
        if item.tracked
    }


def _links(provider: Organization) -> tuple[str, str]:
    """Return the sign-up page and the provider's claim page, on SITE_URL."""
    return site_url("accounts.register"), site_url("listings.claim", organization_id=provider.id)


def _invitation(agency_name: str, signup_link: str, claim_link: str) -> tuple[str, str]:
    subject = _("An invitation to receive referrals on Amparo")
    body = _(
        "A caseworker at %(agency)s would like to send you referrals through Amparo.\n\n"
        "Amparo is a free directory of legal help, mental health care and victim support for immigrants "
        "in the US. Caseworkers use it to refer people to providers, and providers answer in their "
        "Amparo inbox.\n\n"
        "To receive referrals, create an account for your staff:\n%(signup)s\n"
        "then ask to manage your organization's listing:\n%(claim)s\n\n"
        "This email says nothing about any client. If you do not want referrals on Amparo, you can ignore it.",
        agency=agency_name,
        signup=signup_link,
        claim=claim_link,
    )
    return subject, body


def invite_provider(
    session: Session,
    *,
    caseworker: User,
    referral: Referral,
    item_id: str,
    now: datetime | None = None,
) -> Organization:
    """Email a tracked provider's public address an invitation to Amparo, log it, commit; return the provider.

    Raises LookupError when the item is not a tracked item of this referral, NoPublicEmail when its
    provider lists no email, and AlreadyInvited when it was invited less than INVITE_EVERY ago.
    """
    now = now or utcnow()
    item = session.get(ReferralItem, item_id)
    if item is None or item.referral_id != referral.id or not item.tracked:
        raise LookupError(item_id)
    provider = session.get(Organization, item.provider_id)
    if not provider.email:
        raise NoPublicEmail(provider.id)
    last = last_invitations(session, organization_ids=[provider.id]).get(provider.id)
    if last is not None and now - last < INVITE_EVERY:
        raise AlreadyInvited(last)
    agency = session.get(Organization, referral.agency_id)
    subject, body = _in_both_languages(lambda: _invitation(agency.name, *_links(provider)))
    session.add(ReferralEvent(referral_item_id=item.id, status=INVITED, by_user_id=caseworker.id, at=now))
    send_mail(session, to=provider.email, subject=subject, body=body)  # commits the event with the message
    return provider
