"""Who sees which referral: a caseworker those of their agency, a provider those sent to its organization.

Anything else answers 404 in the views, so that a referral's existence is not revealed.
"""

from sqlalchemy import select
from sqlmodel import Session

from models import Membership, Referral, ReferralItem, User


def organization_ids_of(session: Session, *, user: User) -> list[str]:
    """Return the organizations a user belongs to (the agency of a caseworker; the providers of NGO staff)."""
    return list(session.execute(select(Membership.organization_id).where(Membership.user_id == user.id)).scalars())


def agency_id_of(session: Session, *, user: User) -> str | None:
    """Return a caseworker's agency, or None for anyone else (or a caseworker without one)."""
    if user.role != "caseworker":
        return None
    found = organization_ids_of(session, user=user)
    return found[0] if found else None


def referral_for_caseworker(session: Session, *, user: User, referral_id: str) -> Referral | None:
    """Return a referral of the caseworker's agency, or None."""
    agency_id = agency_id_of(session, user=user)
    referral = session.get(Referral, referral_id)
    if agency_id is None or referral is None or referral.agency_id != agency_id:
        return None
    return referral


def item_for_provider(session: Session, *, user: User, item_id: str) -> ReferralItem | None:
    """Return a referral item sent to one of the user's organizations (NGO staff only), or None."""
    if user.role != "ngo":
        return None
    item = session.get(ReferralItem, item_id)
    if item is None or item.provider_id not in organization_ids_of(session, user=user):
        return None
    return item
