"""Which providers receive referrals on Amparo, and who is told when a referral arrives.

A provider receives referrals when it has an active member who can read its inbox (NGO staff:
a caseworker or an admin who happens to be a member gets 403 there). A referral to any other
provider is "tracked by the caseworker": the caseworker calls them, and sets the status.
"""

from sqlalchemy import select
from sqlmodel import Session

from models import Membership, Service, User

# The only role the provider inbox (/manage/referrals) lets in.
INBOX_ROLE = "ngo"


def inbox_readers(session: Session, *, organization_ids: list[str]) -> list[str]:
    """Return the email addresses of the active members who can read these organizations' inbox, sorted."""
    if not organization_ids:
        return []
    rows = session.execute(
        select(User.email)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organization_id.in_(organization_ids), User.is_active, User.role == INBOX_ROLE)
        .distinct()
    ).scalars()
    return sorted(rows)


def receiving_organizations(session: Session, *, organization_ids: list[str]) -> set[str]:
    """Return which of these organizations receive referrals on Amparo."""
    if not organization_ids:
        return set()
    rows = session.execute(
        select(Membership.organization_id)
        .join(User, User.id == Membership.user_id)
        .where(Membership.organization_id.in_(organization_ids), User.is_active, User.role == INBOX_ROLE)
        .distinct()
    ).scalars()
    return set(rows)


def receiving_services(session: Session, *, service_ids: list[str]) -> set[str]:
    """Return which of these services belong to a provider that receives referrals on Amparo."""
    if not service_ids:
        return set()
    owners = dict(session.execute(select(Service.id, Service.organization_id).where(Service.id.in_(service_ids))).all())
    receiving = receiving_organizations(session, organization_ids=sorted(set(owners.values())))
    return {service_id for service_id, organization_id in owners.items() if organization_id in receiving}
