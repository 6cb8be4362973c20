"""Anonymous referral reports, per agency or per provider: counts by status and need, time to first response.

Reports read only anonymous columns (needs, statuses, dates, organizations), never a client
field, so they are the same before and after client details are erased, and safe to export.
"""

import csv
import io
import statistics
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlmodel import Session

from matching.needs import get_taxonomy
from models import Organization, Referral, ReferralItem
from models.referral import REFERRAL_STATUSES
from referrals.words import STATUS_LABELS
from web.words import need_label


@dataclass
class GroupRow:
    """One provider (in an agency's report) or one agency (in a provider's report)."""

    name: str
    items: int = 0
    responded: int = 0
    median_hours: float | None = None
    mean_hours: float | None = None


@dataclass
class ReferralReport:
    """Counts and response times for one agency, one provider, or everyone."""

    referrals: int = 0
    items: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    by_need: dict[str, int] = field(default_factory=dict)
    responded: int = 0
    median_hours: float | None = None
    mean_hours: float | None = None
    groups: list[GroupRow] = field(default_factory=list)
    group_kind: str = "provider"  # "provider" rows in an agency's report, "agency" rows in a provider's

    @property
    def group_label(self) -> str:
        """Name the kind of rows in ``groups``, in the reader's language."""
        return str(_l("Agency") if self.group_kind == "agency" else _l("Provider"))

    def status_rows(self) -> list[tuple[str, str, int]]:
        """Return (code, label, count) for every status, in workflow order."""
        return [(code, str(STATUS_LABELS[code]), self.by_status.get(code, 0)) for code in REFERRAL_STATUSES]

    def need_rows(self) -> list[tuple[str, str, int]]:
        """Return (code, label, count) for each need asked for, most asked first."""
        ordered = sorted(self.by_need.items(), key=lambda pair: (-pair[1], pair[0]))
        return [(code, need_label(code), count) for code, count in ordered]


def _hours(items: list[tuple[ReferralItem, datetime]]) -> list[float]:
    return [
        (item.first_response_at - created).total_seconds() / 3600
        for item, created in items
        if item.first_response_at is not None
    ]


def _summary(hours: list[float]) -> tuple[float | None, float | None]:
    if not hours:
        return None, None
    return round(statistics.median(hours), 1), round(statistics.fmean(hours), 1)


def referral_report(
    session: Session, *, agency_id: str | None = None, provider_id: str | None = None
) -> ReferralReport:
    """Return the report of an agency's referrals, of those sent to a provider, or (neither) of all."""
    query = select(ReferralItem, Referral.id, Referral.created_at, Referral.needs, Referral.agency_id).join(
        Referral, Referral.id == ReferralItem.referral_id
    )
    if agency_id is not None:
        query = query.where(Referral.agency_id == agency_id)
    if provider_id is not None:
        query = query.where(ReferralItem.provider_id == provider_id)
    rows = session.execute(query).all()
    report = ReferralReport(group_kind="agency" if provider_id is not None and agency_id is None else "provider")
    taxonomy = get_taxonomy()
    needs_of: dict[str, str] = {}
    grouped: dict[str, list[tuple[ReferralItem, datetime]]] = {}
    for item, referral_id, created_at, needs, row_agency_id in rows:
        needs_of[referral_id] = needs
        report.by_status[item.status] = report.by_status.get(item.status, 0) + 1
        key = row_agency_id if report.group_kind == "agency" else item.provider_id
        grouped.setdefault(key, []).append((item, created_at))
    for needs in needs_of.values():
        for code in {code.strip() for code in needs.split(",") if code.strip() in taxonomy}:
            report.by_need[code] = report.by_need.get(code, 0) + 1
    report.referrals = len(needs_of)
    report.items = len(rows)
    all_hours = _hours([pair for pairs in grouped.values() for pair in pairs])
    report.responded = len(all_hours)
    report.median_hours, report.mean_hours = _summary(all_hours)
    names = dict(session.execute(select(Organization.id, Organization.name).where(Organization.id.in_(grouped))).all())
    for key, pairs in grouped.items():
        hours = _hours(pairs)
        median, mean = _summary(hours)
        report.groups.append(GroupRow(names.get(key, "?"), len(pairs), len(hours), median, mean))
    report.groups.sort(key=lambda row: (-row.items, row.name))
    return report


def report_csv(report: ReferralReport) -> str:
    """Return the report as CSV (one header row); it holds counts and organization names, never client fields."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        ["section", "code", "label", "count", "median_hours_to_first_response", "mean_hours_to_first_response"]
    )
    writer.writerow(["total", "referrals", "", report.referrals, "", ""])
    writer.writerow(["total", "items", "", report.items, _blank(report.median_hours), _blank(report.mean_hours)])
    for code, label, count in report.status_rows():
        writer.writerow(["status", code, label, count, "", ""])
    for code, label, count in report.need_rows():
        writer.writerow(["need", code, label, count, "", ""])
    for row in report.groups:
        writer.writerow(
            [report.group_kind, "", _safe(row.name), row.items, _blank(row.median_hours), _blank(row.mean_hours)]
        )
    return buffer.getvalue()


def _blank(value: float | None) -> str | float:
    return "" if value is None else value


def _safe(text: str) -> str:
    """Keep a spreadsheet from reading an organization's name as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
