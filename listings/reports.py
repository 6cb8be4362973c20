"""Problem reports from the public about a listing."""

from flask_babel import gettext as _
from sqlalchemy import select
from sqlmodel import Session

from listings.errors import ListingError
from models import (
    ListingReport,
    Service,
)


def open_reports(session: Session) -> list[tuple[ListingReport, Service | None]]:
    """Return the public's open problem reports, oldest first (a translation report may have no listing)."""
    rows = session.execute(
        select(ListingReport, Service)
        .outerjoin(Service, Service.id == ListingReport.service_id)
        .where(ListingReport.status == "open")
        .order_by(ListingReport.created_at)
    )
    return [tuple(row) for row in rows]


def resolve_report(session: Session, *, report_id: str) -> None:
    """Close a problem report."""
    report = session.get(ListingReport, report_id)
    if report is None or report.status != "open":
        raise ListingError(_("This report is already closed."))
    report.status = "resolved"
    session.commit()
