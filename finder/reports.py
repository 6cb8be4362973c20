"""Reports of a problem with a listing: stored for moderators, with no personal data."""

from sqlmodel import Session

from models import ListingReport
from models.report import REPORT_KINDS


def file_report(session: Session, *, service_id: str, kind: str, message: str) -> ListingReport:
    """Store a report for the moderators' queue."""
    if kind not in REPORT_KINDS:
        raise ValueError(kind)
    report = ListingReport(service_id=service_id, kind=kind, message=message.strip()[:1000])
    session.add(report)
    session.commit()
    return report
