"""Reports of a problem with a listing or a translation: stored for moderators, with no personal data."""

from urllib.parse import urlsplit

from sqlmodel import Session

from models import ListingReport
from models.report import REPORT_KINDS


def file_report(
    session: Session,
    *,
    service_id: str | None,
    kind: str,
    message: str,
    page: str | None = None,
    language: str | None = None,
) -> ListingReport:
    """Store a report for the moderators' queue."""
    if kind not in REPORT_KINDS:
        raise ValueError(kind)
    report = ListingReport(
        service_id=service_id,
        kind=kind,
        message=message.strip()[:1000],
        page=page_path(page),
        language=(language or "")[:10] or None,
    )
    session.add(report)
    session.commit()
    return report


def page_path(page: str | None) -> str | None:
    """Return the path of a page on this site, without its query (which can hold a searched place)."""
    path = urlsplit(page or "").path
    if not path.startswith("/") or path.startswith(("//", "/\\")) or "\\" in path:
        return None
    return path[:200]
