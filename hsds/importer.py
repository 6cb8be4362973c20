"""Import HSDS data (a package of any HSDS version, or JSON/NDJSON services) in one transaction.

Every row of every file is read and checked before anything is written, and every problem is
reported with its file, line, column and value. By default (strict) any error means nothing is
imported; with ``skip_bad_rows`` the good rows are imported, and the bad rows and the rows that
depend on them are rejected (and written to a rejects CSV). Either way it is one transaction keyed
on the HSDS ids, so importing the same input twice changes nothing.

Terms of other taxonomies are kept as terms of their own taxonomy and linked to our needs through
the AIRS / 211 mapping in data/airs_needs.csv and the keywords of data/needs.json. Government
agencies, their facilities and courts are held for moderation, never offered as help.
"""

import csv
import json
import logging
import re
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path

from annotated_types import MaxLen
from pydantic_core import PydanticUndefined
from sqlalchemy import insert, update
from sqlmodel import Session

from geo.gazetteer import get_gazetteer
from hsds.export import PLACEHOLDER
from hsds.reading import InputProblem, Notice, open_package, read_files, table_rows, unread_files
from hsds.serialize import EXTENSION_TAXONOMIES
from hsds.taxonomy_map import get_airs_map, looks_like_airs
from matching.index import reindex_services
from matching.needs import get_taxonomy
from matching.screening import government_reason
from models import (
    Accessibility,
    Address,
    Attribute,
    Contact,
    CostOption,
    Credential,
    Language,
    ListingReport,
    Location,
    Organization,
    OrganizationIdentifier,
    Phone,
    RequiredDocument,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
)
from models.base import CAPACITY_STATUSES, CREDENTIAL_KINDS, stable_id
from seed.load import ensure_taxonomy, term_id

# HSDS table -> our model, in the order rows are written (parents first).
TABLES = {
    "taxonomy": Taxonomy,
    "taxonomy_term": TaxonomyTerm,
    "organization": Organization,
    "organization_identifier": OrganizationIdentifier,
    "location": Location,
    "address": Address,
    "accessibility": Accessibility,
    "service": Service,
    "service_at_location": ServiceAtLocation,
    "contact": Contact,
    "phone": Phone,
    "schedule": Schedule,
    "language": Language,
    "service_area": ServiceArea,
    "required_document": RequiredDocument,
    "cost_option": CostOption,
    "attribute": Attribute,
}
# Values a row must have; a row without one is an error.
REQUIRED = {
    "organization": ("name",),
    "service": ("organization_id", "name"),
    "address": ("location_id",),
    "service_at_location": ("service_id", "location_id"),
    "attribute": ("link_id", "taxonomy_term_id"),
    "taxonomy_term": ("name",),
    "taxonomy": ("name",),
    "organization_identifier": ("organization_id", "identifier_type", "identifier"),
    "accessibility": ("location_id",),
    "service_area": ("service_id",),
    "required_document": ("service_id",),
    "cost_option": ("service_id",),
}
REFERENCES = {  # table -> (column, table it points to)
    "taxonomy_term": (("parent_id", "taxonomy_term"), ("taxonomy_id", "taxonomy")),
    "organization": (("parent_organization_id", "organization"),),
    "organization_identifier": (("organization_id", "organization"),),
    "location": (("organization_id", "organization"),),
    "address": (("location_id", "location"),),
    "accessibility": (("location_id", "location"),),
    "service": (("organization_id", "organization"),),
    "service_at_location": (("service_id", "service"), ("location_id", "location")),
    "contact": (
        ("organization_id", "organization"),
        ("service_id", "service"),
        ("service_at_location_id", "service_at_location"),
        ("location_id", "location"),
    ),
    "phone": (
        ("organization_id", "organization"),
        ("service_id", "service"),
        ("location_id", "location"),
        ("contact_id", "contact"),
        ("service_at_location_id", "service_at_location"),
    ),
    "schedule": (
        ("service_id", "service"),
        ("location_id", "location"),
        ("service_at_location_id", "service_at_location"),
    ),
    "language": (("service_id", "service"), ("location_id", "location"), ("phone_id", "phone")),
    "service_area": (("service_id", "service"),),
    "required_document": (("service_id", "service"),),
    "cost_option": (("service_id", "service"),),
    "attribute": (("taxonomy_term_id", "taxonomy_term"),),
}
# Our own columns, never taken from a file: a package cannot publish, verify, or un-hide a record.
PROTECTED = {"version", "source_key", "sources", "verified", "confidential", "placement",
             "geocode_precision", "public_contact"}  # fmt: skip
TYPE_WORDS = {float: "a number", int: "a whole number", bool: "true or false", date: "a date (YYYY-MM-DD)",
              datetime: "a date and time (ISO 8601)"}  # fmt: skip
logger = logging.getLogger(__name__)
TIME = re.compile(r"^\s*(\d{1,2})(?:[:.](\d{2}))?(?::(\d{2}))?\s*(?:([ap])\.?\s*m?\.?)?(?![\w:])\s*(.*)$", re.I)


class ImportProblem(Exception):
    """The input cannot be imported; the report says why."""


@dataclass
class Report:
    """What an import read, wrote, skipped and rejected, and every problem it found."""

    version: str = ""
    read: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    added: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    updated: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    skipped: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # already there, unchanged
    dropped: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # kept out, with a warning
    rejected: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    errors: list[Notice] = field(default_factory=list)
    warnings: list[Notice] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    unmapped: Counter = field(default_factory=Counter)
    reasons: list[str] = field(default_factory=list)
    fatal: str = ""
    imported: bool = False

    @property
    def problems(self) -> list[str]:
        """Return the problems that stopped the import (none when it went through)."""
        if self.imported:
            return []
        return ([self.fatal] if self.fatal else []) + [n.text() for n in self.errors]

    @property
    def ok(self) -> bool:
        return self.imported

    @property
    def changed(self) -> int:
        return sum(self.added.values()) + sum(self.updated.values())

    def summary_rows(self) -> list[tuple]:
        """Return (table, read, imported, skipped, rejected) for every table the input touched."""
        tables = sorted(set(self.read) | set(self.added) | set(self.updated) | set(self.rejected))
        return [
            (t, self.read[t], self.added[t] + self.updated[t], self.skipped[t] + self.dropped[t], self.rejected[t])
            for t in tables
        ]

    def text(self) -> str:
        """Return the report for people."""
        lines = []
        if self.version:
            lines.append(f"HSDS version: {self.version}")
        if not self.imported:
            count = len(self.problems)
            lines.append(f"Nothing was imported: {count} problem(s).")
            lines += [f"- {p}" for p in self.problems]
        else:
            for word, counts in (("Added", self.added), ("Updated", self.updated), ("Skipped", self.skipped)):
                parts = ", ".join(f"{n} {table}" for table, n in sorted(counts.items()) if n)
                lines.append(f"{word}: {parts or 'nothing'}")
            if self.errors:
                lines.append(f"Rejected rows ({len(self.errors)}):")
                lines += [f"- {n.text()}" for n in self.errors]
        if self.held:
            lines.append("Held out of search for a moderator (never offered as help):")
            lines += [f"- {h}" for h in self.held]
        if self.warnings:
            lines.append(f"Kept with a change, or not kept ({len(self.warnings)}):")
            lines += [f"- {n.text()}" for n in self.warnings]
        if self.unmapped:
            lines.append("Taxonomy codes with no need in data/airs_needs.csv (code: services):")
            lines += [f"- {code}: {n}" for code, n in self.unmapped.most_common()]
        lines += [f"- {reason}" for reason in self.reasons]
        rows = self.summary_rows()
        if rows:
            lines.append(f"{'table':<24}{'read':>8}{'imported':>10}{'skipped':>9}{'rejected':>10}")
            lines += [f"{t:<24}{r:>8}{i:>10}{s:>9}{x:>10}" for t, r, i, s, x in rows]
        return "\n".join(lines)

    def write_rejects(self, path: Path) -> None:
        """Write the rejected rows and why, one line each, as CSV."""
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["file", "line", "table", "id", "column", "value", "reason"])
            for n in self.errors:
                writer.writerow([n.file, n.line or "", n.table, n.row_id, n.column, n.value, n.reason])


# Values -----------------------------------------------------------------------------------------


def parse_time(raw: str, *, closing: bool = False) -> tuple[str | None, str]:
    """Return ("HH:MM" or None, the text that is not a time) for 24-hour, 12-hour, noon and midnight."""
    text = raw.strip()
    lowered = text.lower()
    for word, value in (("noon", "12:00"), ("midnight", "24:00" if closing else "00:00")):
        if lowered.startswith(word):
            return value, text[len(word) :].strip()
    match = TIME.match(text)
    if not match:
        return None, text
    hours, minutes, seconds, half, rest = match.groups()
    hour, minute = int(hours), int(minutes or 0)
    if half:
        if not 1 <= hour <= 12:
            return None, text
        hour = hour % 12 + (12 if half.lower() == "p" else 0)
    elif minutes is None:
        return None, text  # a bare number is not a time
    if minute > 59 or int(seconds or 0) > 59 or hour > 24 or (hour == 24 and minute):
        return None, text
    if (hour, minute, int(seconds or 0)) == (23, 59, 59):
        hour, minute = 24, 0  # the end of the day, as exported (Table Schema has no 24:00)
    return f"{hour:02d}:{minute:02d}", rest.strip()


def _is_uuid(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text.lower()
    except ValueError:
        return False


@cache
def hsds_id(table: str, raw: str) -> str:
    """Return the row's id as a UUID: its own when it is one, else a stable one made from it."""
    return raw.lower() if _is_uuid(raw) else stable_id(f"hsds-import:{table}", raw)


def _annotation_base(kind):
    for base in (bool, int, float, datetime, date):
        if kind in (base, base | None):
            return base
    return str


def convert(model, column: str, raw) -> tuple[object, str | None]:
    """Return (value, None) or (None, why the value cannot be used) for one column of a model."""
    if raw is None or raw == "":
        return None, None
    base = _annotation_base(model.model_fields[column].annotation)
    text = raw if isinstance(raw, bool | int | float) else str(raw).strip()
    try:
        if base is float:
            return float(text), None
        if base is int:
            number = float(text)
            if number != int(number):
                raise ValueError
            return int(number), None
        if base is bool:
            return (text if isinstance(text, bool) else str(text).lower() in ("true", "1", "yes", "y")), None
        if base is date:
            return date.fromisoformat(str(text)[:10]), None
        if base is datetime:
            moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
            return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)), None
    except (ValueError, OverflowError):
        return None, f"is not {TYPE_WORDS[base]}"
    text = str(text)
    for rule in model.model_fields[column].metadata:
        if isinstance(rule, MaxLen) and len(text) > rule.max_length:
            return None, f"is longer than {rule.max_length} characters"
    return text, None


# Checking ---------------------------------------------------------------------------------------


def _where(row: dict, table: str) -> str:
    if "__file__" in row:
        return f"{row['__file__']}, line {row['__line__']}"
    return row.get("__where__", table)


def _notice(row: dict, table: str, reason: str, *, column="", value="", severity="error", row_id="") -> Notice:
    return Notice(
        _where(row, table),
        reason,
        column=column,
        value="" if value is None else str(value),
        severity=severity,
        table=table,
        row_id=row_id or str(row.get("id") or ""),
        file=row.get("__file__") or row.get("__where__", ""),
        line=row.get("__line__"),
    )


@dataclass
class Checked:
    """The rows that passed, by table and id, and where each came from."""

    rows: dict[str, dict[str, dict]] = field(default_factory=lambda: {table: {} for table in TABLES})
    origin: dict[tuple[str, str], dict] = field(default_factory=dict)
    rejected: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    missing_columns: set[tuple[str, str]] = field(default_factory=set)


def check(session: Session, tables: dict[str, list[dict]], report: Report) -> Checked:
    """Type, complete and link every row; put every problem in the report (errors reject the row)."""
    checked = Checked()
    unknown: Counter = Counter()
    for table, model in TABLES.items():
        for row in tables.get(table, []):
            report.read[table] += 1
            _check_row(checked, table, model, row, report, unknown)
    _fold_eligibility(checked, tables.get("eligibility", []), report)
    for (name, column), count in sorted(unknown.items()):
        report.warnings.append(
            Notice(
                name,
                f"Amparo has no place for this column; {count} value(s) not kept",
                column=column,
                severity="warning",
                file=name,
            )  # fmt: skip
        )
    _check_references(session, checked, report)
    return checked


def _check_row(checked: Checked, table: str, model, row: dict, report: Report, unknown: Counter) -> None:
    """Check one row: keep it under its id, or reject it with its problems in the report."""
    values, problems = _read_values(table, model, row, report, unknown)
    problems += _missing_values(checked, table, row, values, problems)
    if table == "phone" and not values.get("number"):
        notice = _notice(row, table, "no phone number; the row was not kept", column="number", severity="warning")
        report.warnings.append(notice)
        report.dropped[table] += 1
        return
    if table == "location":
        _check_point(row, values, report)
    raw_id = str(row.get("id") or "").strip()
    if table == "taxonomy_term" and not values.get("code") and raw_id and looks_like_airs(raw_id):
        values["code"] = raw_id  # 211 exports use the AIRS code as the term's id
    key = _unique_key(checked, table, hsds_id(table, raw_id) if raw_id else _derived_id(table, values), values, row,
                      report)  # fmt: skip
    if key is None:
        return
    values["id"] = key
    checked.origin[(table, key)] = row
    if not problems:
        checked.rows[table][key] = values
        return
    for problem in problems:
        problem.row_id = raw_id or key
    report.errors += [p for p in problems if not p.silent]
    report.rejected[table] += 1
    checked.rejected[table].add(key)


def _read_values(table: str, model, row: dict, report: Report, unknown: Counter) -> tuple[dict, list[Notice]]:
    """Return the row's typed values and the problems of its cells; count the columns we have no place for."""
    problems: list[Notice] = []
    values: dict = {}
    notes: list[str] = []
    targets = dict(REFERENCES.get(table, ()))
    if table == "attribute":
        targets["link_id"] = None  # an attribute may link any record (or one we do not hold)
    for column, raw in row.items():
        if column.startswith("__") or column == "id":
            continue
        if column not in model.model_fields or column in PROTECTED or (table == "organization" and column == "status"):
            if raw not in (None, "") and not (table == "attribute" and column == "service_id"):
                unknown[(row.get("__file__") or row.get("__where__", table).split(",")[0], column)] += 1
            continue
        if raw in (None, "") or raw == PLACEHOLDER:
            continue  # the placeholder our export writes into a required field without data
        if column in targets:
            values[column] = hsds_id(targets[column] or row.get("link_entity") or "service", str(raw))
        elif table == "schedule" and column in ("opens_at", "closes_at"):
            moment, rest = parse_time(str(raw), closing=column == "closes_at")
            values[column] = moment
            if moment is None:
                notes.append(f"{column.replace('_', ' ')}: {raw}")
                reason = "not a time; kept as a schedule note"
                report.warnings.append(_notice(row, table, reason, column=column, value=raw, severity="warning"))
            elif rest:
                notes.append(rest)
        else:
            values[column], reason = convert(model, column, raw)
            if reason:
                problems.append(_notice(row, table, reason, column=column, value=raw))
    if notes:
        values["notes"] = "; ".join(([values["notes"]] if values.get("notes") else []) + notes)
    return {k: v for k, v in values.items() if v is not None}, problems


def _missing_values(checked: Checked, table: str, row: dict, values: dict, problems: list[Notice]) -> list[Notice]:
    """Return a problem for each required value the row lacks (a column missing from a file is named once)."""
    found = []
    for column in REQUIRED.get(table, ()):
        if values.get(column) not in (None, "") or any(p.column == column for p in problems):
            continue
        if column in row or "__file__" not in row:
            found.append(_notice(row, table, "is empty", column=column))
        elif (row["__file__"], column) not in checked.missing_columns:
            checked.missing_columns.add((row["__file__"], column))
            reason = "missing column; no row of the file can be imported"
            found.append(Notice(row["__file__"], reason, column=column, table=table, file=row["__file__"]))
        else:
            found.append(Notice("", "", silent=True))  # rejected like the first row, listed once
    return found


def _check_point(row: dict, values: dict, report: Report) -> None:
    """Keep a location without coordinates when they cannot be a place on Earth."""
    lat, lon = values.get("latitude"), values.get("longitude")
    if (lat is not None and not -90 <= lat <= 90) or (lon is not None and not -180 <= lon <= 180):
        report.warnings.append(
            _notice(
                row,
                "location",
                "not a point on Earth; the location was kept without coordinates",
                column="latitude, longitude",
                value=f"{lat}, {lon}",
                severity="warning",
            )  # fmt: skip
        )
        values["latitude"] = values["longitude"] = None


def _unique_key(checked: Checked, table: str, key: str, values: dict, row: dict, report: Report) -> str | None:
    """Return the key a row is kept under; None when it repeats an earlier row exactly."""
    earlier = checked.rows[table].get(key)
    if earlier is None:
        return key
    first = checked.origin.get((table, key), {})
    if {k: v for k, v in earlier.items() if k != "id"} == values:
        if "__file__" not in row:
            return None  # nested JSON repeats shared objects (an organization) in every service
        report.warnings.append(_notice(row, table, f"repeats {_where(first, table)} exactly; counted once",
                                       column="id", value=row.get("id"), severity="warning"))  # fmt: skip
        report.dropped[table] += 1
        return None
    new_key = stable_id(f"hsds-import-duplicate:{table}", f"{key}:{_where(row, table)}")
    report.warnings.append(
        _notice(
            row,
            table,
            f"the id is also used by {_where(first, table)} with different content; "
            f"both rows were kept, this one under the id {new_key}",
            column="id",
            value=row.get("id"),
            severity="warning",
        )  # fmt: skip
    )
    return new_key


def _fold_eligibility(checked: Checked, rows: list[dict], report: Report) -> None:
    """Put HSDS 1.x eligibility.csv rows into their service's eligibility_description."""
    for row in rows:
        report.read["eligibility"] += 1
        service = checked.rows["service"].get(hsds_id("service", row.get("service_id", "")))
        text = (row.get("eligibility") or row.get("description") or "").strip()
        if service is None or not text:
            reason = "no service in the package, or no text; not kept"
            notice = _notice(row, "eligibility", reason, column="service_id", value=row.get("service_id"))
            notice.severity = "warning"
            report.warnings.append(notice)
            report.dropped["eligibility"] += 1
            continue
        current = service.get("eligibility_description") or ""
        if text not in current:
            service["eligibility_description"] = f"{current}; {text}" if current else text


def _check_references(session: Session, checked: Checked, report: Report) -> None:
    """Reject rows whose required link is missing or rejected; drop optional links that point nowhere."""
    existing = _existing_ids(session, checked)
    extension = _extension_terms()
    every_rejected = set().union(*checked.rejected.values()) if checked.rejected else set()
    for table in TABLES:
        for key, values in list(checked.rows[table].items()):
            row = checked.origin[(table, key)]
            if table == "attribute" and values.get("link_id") in every_rejected:
                _reject(checked, report, table, key, row, "link_id", values["link_id"], "links a rejected row")
                every_rejected.add(key)
                continue
            for column, target in REFERENCES.get(table, ()):
                ref = values.get(column)
                if not ref or (target == "taxonomy_term" and ref in extension):
                    continue
                if ref in checked.rejected[target]:
                    first = checked.origin.get((target, ref), {})
                    reason = f"depends on a rejected {target} row ({_where(first, target)})"
                    _reject(checked, report, table, key, row, column, row.get(column), reason)
                    every_rejected.add(key)
                    break
                if ref in checked.rows[target] or ref in existing[target]:
                    continue
                if column in REQUIRED.get(table, ()):
                    reason = f"points at no {target} in the package or the directory"
                    _reject(checked, report, table, key, row, column, row.get(column), reason)
                    every_rejected.add(key)
                    break
                report.warnings.append(_notice(row, table, f"points at no {target} in the package "
                                               "or the directory; the link was not kept", column=column,
                                               value=row.get(column), severity="warning"))  # fmt: skip
                values[column] = None


def _reject(checked: Checked, report: Report, table: str, key: str, row: dict, column: str, value, reason: str):
    del checked.rows[table][key]
    checked.rejected[table].add(key)
    report.rejected[table] += 1
    report.errors.append(_notice(row, table, reason, column=column, value=value))


def _existing_ids(session: Session, checked: Checked) -> dict[str, set[str]]:
    """Return, per table, the referenced ids that are not in the input but already in the directory."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for table in TABLES:
        for values in checked.rows[table].values():
            for column, target in REFERENCES.get(table, ()):
                ref = values.get(column)
                if ref and ref not in checked.rows[target]:
                    wanted[target].add(ref)
    found: dict[str, set[str]] = defaultdict(set)
    for target, ids in wanted.items():
        model = TABLES[target]
        ids = sorted(ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            found[target] |= set(session.exec(select_ids(model, chunk)).all())
    return found


def select_ids(model, ids: list[str]):
    """Return a select of the ids of ``model`` among ``ids``."""
    from sqlmodel import select

    return select(model.id).where(model.id.in_(ids))


def _derived_id(table: str, values: dict) -> str:
    """Give a row without an id (old layouts) a stable one, from what it says."""
    key = "|".join(f"{k}={values.get(k)}" for k in sorted(values) if values.get(k) is not None)
    return stable_id(f"import:{table}", key)


def _extension_terms() -> dict[str, tuple[str, str]]:
    """Return the ids of our extension terms -> (taxonomy, code)."""
    found = {}
    for kind in CREDENTIAL_KINDS:
        found[stable_id("taxonomy_term", f"amparo-credentials:{kind}")] = ("amparo-credentials", kind)
    for status in CAPACITY_STATUSES:
        found[stable_id("taxonomy_term", f"amparo-capacity:{status}")] = ("amparo-capacity", status)
    return found


# JSON ------------------------------------------------------------------------------------------


def tables_from_services(name: str, data: bytes) -> dict[str, list[dict]]:
    """Return HSDS table -> rows from a JSON array (or NDJSON lines) of nested HSDS services."""
    try:
        text = data.decode("utf-8-sig").strip()
        if text.startswith("["):
            services = json.loads(text)
        elif text.startswith("{") and "\n" not in text:
            services = [json.loads(text)]
        else:
            services = [json.loads(line) for line in text.splitlines() if line.strip()]
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ImportProblem(f"{name}: not valid JSON ({error})") from None
    if isinstance(services, dict) and "contents" in services:
        services = services["contents"]
    tables: dict[str, list[dict]] = defaultdict(list)
    for number, service in enumerate(services, start=1):
        where = f"{name}, service {number}"
        if not isinstance(service, dict):
            raise ImportProblem(f"{where}: not an object")
        _flatten(tables, "service", service, where)
    return dict(tables)


NESTED = {  # key in a nested object -> (table, the column that points back at the parent)
    "phones": ("phone", None),
    "schedules": ("schedule", None),
    "service_areas": ("service_area", "service_id"),
    "languages": ("language", None),
    "cost_options": ("cost_option", "service_id"),
    "required_documents": ("required_document", "service_id"),
    "contacts": ("contact", None),
    "attributes": ("attribute", "link_id"),
    "addresses": ("address", "location_id"),
    "accessibility": ("accessibility", "location_id"),
    "organization_identifiers": ("organization_identifier", "organization_id"),
}


def _flatten(tables: dict, table: str, obj: dict, where: str, parent: tuple[str, str] | None = None) -> None:
    """Add a nested HSDS object and its children as flat rows."""
    row = {k: v for k, v in obj.items() if not isinstance(v, dict | list)}
    row["__where__"] = where
    if parent:
        row.setdefault(parent[0], parent[1])
    tables[table].append(row)
    own_key = {"service": "service_id", "location": "location_id", "organization": "organization_id"}.get(table)
    if table == "attribute" and isinstance(obj.get("taxonomy_term"), dict):
        term = obj["taxonomy_term"]
        row.setdefault("taxonomy_term_id", term.get("id"))
        _flatten(tables, "taxonomy_term", term, where)
    if table == "service" and isinstance(obj.get("organization"), dict):
        row.setdefault("organization_id", obj["organization"].get("id"))
        _flatten(tables, "organization", obj["organization"], where)
    for sal in obj.get("service_at_locations") or []:
        if isinstance(sal, dict):
            location = sal.get("location") or {}
            _flatten(tables, "service_at_location", sal, where, ("service_id", obj.get("id")))
            if location:
                tables["service_at_location"][-1].setdefault("location_id", location.get("id"))
                _flatten(tables, "location", location, where)
    for key, (child, back) in NESTED.items():
        for item in obj.get(key) or []:
            if isinstance(item, dict):
                link = (back or own_key, obj.get("id")) if (back or own_key) else None
                _flatten(tables, child, item, where, link)
                if child == "attribute":
                    tables["attribute"][-1].setdefault("link_entity", table)


# Writing ----------------------------------------------------------------------------------------


def _fill_defaults(prepared: dict[str, dict[str, dict]]) -> None:
    """Complete the rows: our extension columns, places from ZIP codes, terms' taxonomies."""
    gazetteer = get_gazetteer()
    extension_ids = {stable_id("taxonomy", name) for name in EXTENSION_TAXONOMIES}
    for table in ("taxonomy", "taxonomy_term"):
        prepared[table] = {
            key: row
            for key, row in prepared.get(table, {}).items()
            if row["id"] not in extension_ids and row["id"] not in _extension_terms()
        }
    for row in prepared["taxonomy_term"].values():
        if not row.get("taxonomy_id"):
            name = row.get("taxonomy") or "imported"
            taxonomy_id = stable_id("taxonomy", name)
            row["taxonomy_id"] = taxonomy_id
            prepared["taxonomy"].setdefault(taxonomy_id, {"id": taxonomy_id, "name": name, "description": ""})
        row.setdefault("description", "")
    for row in prepared["taxonomy"].values():
        row["description"] = row.get("description") or ""
    for row in prepared["organization"].values():
        row["description"] = row.get("description") or ""
    addresses = {a["location_id"]: a for a in prepared["address"].values() if a.get("address_type") != "postal"}
    for row in prepared["location"].values():
        row.setdefault("location_type", "physical")
        address = addresses.get(row["id"])
        info = gazetteer.zip_info((address.get("postal_code") or "")[:5]) if address else None
        if row.get("latitude") is not None and row.get("longitude") is not None:
            row.setdefault("geocode_precision", "source")
        elif info is not None:
            row.update(latitude=info.lat, longitude=info.lon, geocode_precision="zip")
        if info is not None:
            row.setdefault("state", info.state)
            row.setdefault("county", info.county)
            row.setdefault("timezone", info.timezone)
        elif address and len(address.get("state_province") or "") == 2:
            row.setdefault("state", address["state_province"].upper())
    for row in prepared["address"].values():
        for column in ("address_1", "city", "state_province", "postal_code"):
            row[column] = row.get(column) or ""
        row["country"] = (row.get("country") or "US")[:2]
        row.setdefault("address_type", "physical")
    for row in prepared["service"].values():
        row["status"] = row.get("status") or "active"
    located = {sal["service_id"] for sal in prepared["service_at_location"].values()}
    with_areas = {area["service_id"] for area in prepared["service_area"].values()}
    for row in prepared["service"].values():
        row["placement"] = "placed" if row["id"] in located else "area-only" if row["id"] in with_areas else "unplaced"
    for row in prepared["attribute"].values():
        row["link_entity"] = row.get("link_entity") or "service"


def _map_needs(prepared: dict[str, dict[str, dict]], session: Session, report: Report) -> set[str]:
    """Link services to our needs through the AIRS map, else the needs' keywords; return confidential services.

    Codes that match neither are counted in the report, with how many services carry them.
    """
    taxonomy = get_taxonomy()
    airs = get_airs_map()
    ours = {term_id(code) for code in taxonomy.needs}
    terms = prepared["taxonomy_term"]
    confidential: set[str] = set()
    for attribute in list(prepared["attribute"].values()):
        term_key = attribute["taxonomy_term_id"]
        if attribute.get("link_entity") != "service" or term_key in ours or term_key in _extension_terms():
            continue
        term = terms.get(term_key) or (session.get(TaxonomyTerm, term_key) or TaxonomyTerm(name="")).model_dump()
        code = (term.get("code") or "").strip()
        needs, hide = airs.needs_for(code) if code else ((), False)
        if not needs:
            text = f" {term.get('name', '')} {term.get('description') or ''} ".lower()
            needs = [n.code for n in taxonomy.needs.values() if any(k.lower() in text for k in n.keywords)]
        if not needs:
            report.unmapped[code or term.get("name", "")] += 1
            continue
        if hide:
            confidential.add(attribute["link_id"])
        for need in needs:
            key = stable_id("attribute", f"import:{attribute['link_id']}:{need}")
            prepared["attribute"].setdefault(
                key,
                {
                    "id": key,
                    "link_id": attribute["link_id"],
                    "taxonomy_term_id": term_id(need),
                    "link_type": "need",
                    "link_entity": "service",
                },
            )
    return confidential


def _protect_confidential(prepared: dict[str, dict[str, dict]], session: Session, services: set[str]) -> None:
    """Make the sites of confidential services confidential, placed only at their ZIP's centre."""
    gazetteer = get_gazetteer()
    hidden = {sal["location_id"] for sal in prepared["service_at_location"].values() if sal["service_id"] in services}
    for key, existing in existing_rows(session, Location, prepared["location"]).items():
        if existing.confidential:
            hidden.add(key)
    addresses = {a["location_id"]: a for a in prepared["address"].values()}
    for key in hidden:
        row = prepared["location"].get(key)
        if row is None:
            continue
        address = addresses.get(key) or {}
        info = gazetteer.zip_info((address.get("postal_code") or "")[:5])
        row["confidential"] = True
        if info is not None:
            row.update(latitude=info.lat, longitude=info.lon, geocode_precision="zip")
        else:
            row.update(latitude=None, longitude=None, geocode_precision="none")


def _hold_government(prepared: dict[str, dict[str, dict]], session: Session, report: Report) -> dict[str, str]:
    """Hold new organizations that are agencies, their facilities or courts; return id -> reason."""
    held = {}
    services_of = defaultdict(list)
    for service in prepared["service"].values():
        services_of[service["organization_id"]].append(service)
    known = existing_rows(session, Organization, prepared["organization"])
    for key, row in prepared["organization"].items():
        if key in known:
            continue  # a moderator already decided about a record that is in the directory
        reason = government_reason(row.get("name", ""), row.get("description") or "")
        named = row.get("name", "")
        for service in services_of[key]:
            if reason:
                break
            reason = government_reason(service.get("name", ""), service.get("description") or "")
            named = service.get("name", "")
        if reason:
            row["status"] = "pending"
            held[key] = reason
            report.held.append(f"{named}: {reason}")
    return held


def _extensions(prepared: dict[str, dict[str, dict]]) -> dict[str, dict]:
    """Turn credential and capacity attributes back into our columns; return the credentials."""
    extension = _extension_terms()
    credentials = {}
    for key, attribute in list(prepared["attribute"].items()):
        if attribute["taxonomy_term_id"] not in extension:
            continue
        del prepared["attribute"][key]
        taxonomy, code = extension[attribute["taxonomy_term_id"]]
        service = prepared["service"].get(attribute["link_id"])
        if taxonomy == "amparo-credentials":
            credentials[key] = {
                "id": stable_id("credential", f"{attribute['link_id']}:{code}"),
                "service_id": attribute["link_id"],
                "kind": code,
                "source": attribute.get("value"),
            }
        elif service is not None:
            service["capacity"] = code
            service["capacity_stated_on"] = convert(Service, "capacity_stated_on", attribute.get("value"))[0]
    return {c["id"]: c for c in credentials.values()}


def _upsert(session: Session, model, rows: dict[str, dict], report: Report, table: str) -> set[str]:
    """Add or update rows by id; return the ids that changed."""
    changed = set()
    found = existing_rows(session, model, rows)
    new = [_with_defaults(model, values) for key, values in rows.items() if key not in found]
    for start in range(0, len(new), 1_000):  # one executemany per thousand rows, not one object each
        session.execute(insert(model), new[start : start + 1_000])
    report.added[table] += len(new)
    changed |= {values["id"] for values in new}
    for key, values in rows.items():
        existing = found.get(key)
        if existing is None:
            continue
        different = {
            c: v for c, v in values.items() if getattr(existing, c) != v and not _same_moment(getattr(existing, c), v)
        }
        if different:
            for column, value in different.items():
                setattr(existing, column, value)
            report.updated[table] += 1
            changed.add(key)
        else:
            report.skipped[table] += 1
    session.flush()
    return changed


def _with_defaults(model, values: dict) -> dict:
    """Return the values with the model's Python-side defaults filled in (a bulk insert skips them)."""
    complete = dict(values)
    for name, info in model.model_fields.items():
        if name in complete:
            continue
        if info.default_factory is not None:
            complete[name] = info.default_factory()
        elif info.default is not PydanticUndefined:
            complete[name] = info.default
    return complete


def existing_rows(session: Session, model, keys) -> dict:
    """Return id -> row of the rows of ``model`` already in the database, in a few queries."""
    from sqlmodel import select

    keys, found = list(keys), {}
    for start in range(0, len(keys), 500):
        for row in session.exec(select(model).where(model.id.in_(keys[start : start + 500]))):
            found[row.id] = row
    return found


def _same_moment(old, new) -> bool:
    if isinstance(old, datetime) and isinstance(new, datetime):
        old = old if old.tzinfo else old.replace(tzinfo=UTC)
        return old == new
    return False


def apply(session: Session, prepared: dict[str, dict[str, dict]], report: Report, progress=None) -> set[str]:
    """Write the checked rows; return the ids of the services whose data changed."""
    _fill_defaults(prepared)
    credentials = _extensions(prepared)
    confidential = _map_needs(prepared, session, report)
    _protect_confidential(prepared, session, confidential)
    held = _hold_government(prepared, session, report)
    touched: set[str] = set()
    parents = {}
    for row in prepared["organization"].values():
        parents[row["id"]] = row.pop("parent_organization_id", None)
        row.setdefault("sources", "hsds-import")
    terms_parents = {}
    for row in prepared["taxonomy_term"].values():
        terms_parents[row["id"]] = row.pop("parent_id", None)
    for table, model in TABLES.items():
        changed = _upsert(session, model, prepared[table], report, table)
        # Parents are set once every row of the table exists (SQLite checks foreign keys at once).
        links = {"taxonomy_term": (TaxonomyTerm, "parent_id", terms_parents),
                 "organization": (Organization, "parent_organization_id", parents)}.get(table)  # fmt: skip
        if links:
            link_model, column, wanted = links
            current = {key: getattr(row, column) for key, row in existing_rows(session, link_model, wanted).items()}
            ours = _our_terms()
            moves = [{"id": k, column: p} for k, p in wanted.items() if current.get(k) != p and k not in ours]
            if moves:
                session.execute(update(link_model), moves)  # by primary key, in one executemany
            changed |= {move["id"] for move in moves}
        touched |= _services_of(table, prepared[table], changed)
        if progress:
            progress(1)
    touched |= _services_of("credential", credentials, _upsert(session, Credential, credentials, report, "credential"))
    _report_held(session, prepared, held)
    return touched


def _report_held(session: Session, prepared: dict[str, dict[str, dict]], held: dict[str, str]) -> None:
    """Put each held organization in the moderators' queue of reports, with the reason."""
    for key, reason in held.items():
        service = next((s["id"] for s in prepared["service"].values() if s["organization_id"] == key), None)
        name = prepared["organization"][key].get("name", "")
        message = f"Held at HSDS import, not offered as help: {name} looks like an {reason}."
        session.add(ListingReport(service_id=service, kind="other", message=message[:1000]))
    session.flush()


def _our_terms() -> set[str]:
    return {term_id(code) for code in get_taxonomy().needs}


def _services_of(table: str, rows: dict[str, dict], changed: set[str]) -> set[str]:
    """Return the services a set of changed rows belongs to (their whole organization for organization rows)."""
    found = set()
    for key in changed:
        row = rows.get(key, {})
        if table == "service":
            found.add(key)
        elif row.get("service_id"):
            found.add(row["service_id"])
        elif table == "attribute" and row.get("link_entity") == "service":
            found.add(row["link_id"])
    return found


def import_path(
    session: Session,
    path: Path,
    *,
    max_bytes: int,
    max_total: int | None = None,
    skip_bad_rows: bool = False,
    rejects_path: Path | None = None,
    progress=None,
) -> Report:
    """Import a package or a services file in one transaction; return the report.

    Strict by default: any error imports nothing. With ``skip_bad_rows`` the good rows are imported
    and the rejected ones (with why) are written to ``rejects_path`` when given.
    """
    report = Report()
    try:
        tables = _read_tables(path, max_bytes, max_total or max_bytes * 4, report)
        ensure_taxonomy(session)  # our needs exist before references to them are checked
        checked = check(session, tables, report)
        if report.errors and not skip_bad_rows:
            session.rollback()
            return report
        touched = apply(session, checked.rows, report, progress)
        all_services = set(checked.rows["service"]) | touched
        if report.changed:
            # Locations and organizations touch every service at them: reindex all the input's services.
            reindex_services(session, sorted(all_services))
        skipped = sum(report.skipped.values())
        if skipped:
            report.reasons.append(f"{skipped} record(s) skipped: already in the directory, unchanged")
        session.commit()
        report.imported = True
    except (ImportProblem, InputProblem) as problem:
        session.rollback()
        report = Report(version=report.version, fatal=str(problem))
    except Exception:  # any failure while writing rolls everything back
        session.rollback()
        logger.exception("HSDS import failed while writing")
        report = Report(version=report.version, fatal="the import failed while writing; nothing was changed")
    if rejects_path is not None and report.errors:
        report.write_rejects(rejects_path)
    return report


def _read_tables(path: Path, max_bytes: int, max_total: int, report: Report) -> dict[str, list[dict]]:
    files = read_files(path, max_bytes, max_total)
    if any(name.endswith(".csv") for name in files):
        package = open_package(files)
        report.version = f"{package.version} (from {package.version_source})"
        tables = table_rows(package)
        for notice in package.notices:
            (report.errors if notice.severity == "error" else report.warnings).append(notice)
        for name in unread_files(package):
            report.warnings.append(Notice(name, "Amparo has no table for this file; its rows were not kept",
                                          severity="warning", file=name))  # fmt: skip
        if "organization" not in tables and "service" not in tables:
            raise ImportProblem("no organizations.csv or services.csv found")
        return tables
    json_files = [name for name in files if Path(name).name != "datapackage.json"]
    if not json_files:
        raise ImportProblem("no HSDS files found (CSV tables, or a JSON/NDJSON file of services)")
    report.version = "3.0 (nested JSON services)"
    return tables_from_services(json_files[0], files[json_files[0]])
