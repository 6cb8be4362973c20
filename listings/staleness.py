"""Listings nobody has confirmed for a while (the reminders of ``flask listings remind``)."""

from datetime import timedelta

from sqlalchemy import or_, select
from sqlmodel import Session

from models import (
    Membership,
    Organization,
    Service,
)
from models.base import today


def stale_services(session: Session, *, stale_after: timedelta) -> list[tuple[Service, Organization]]:
    """Return active services of claimed organizations nobody has confirmed within ``stale_after``.

    A confirmation is ``service.assured_date``, and only a confirmation sets it; the day a source
    list was compiled (``service.listed_on``, seed data) never counts.
    """
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
