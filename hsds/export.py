"""Write the published directory as an HSDS 3.0 tabular data package: datapackage.json and one CSV per table.

Confidential locations are exported without coordinates and without address rows, and record
history (metadata) is not exported at all: it may hold an old address.
"""

import csv
import io
import json
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from sqlalchemy import exists, or_, select
from sqlmodel import Session

from hsds.serialize import CAPACITY_LABELS, CREDENTIAL_LABELS, EXTENSION_TAXONOMIES, extension_term, rows_in
from matching.confidential import public_language_row, public_location_row, public_schedule_row
from models import (
    Accessibility,
    Address,
    Attribute,
    Contact,
    CostOption,
    Credential,
    Language,
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
from models.base import stable_id

DATAPACKAGE = Path(__file__).resolve().parent / "schema" / "datapackage.json"
# What a required field holds when we have no data for it (the importer reads it back as empty).
PLACEHOLDER = "Not provided"
# Text a spreadsheet would run as a formula: flagged in the export report, written as entered.
FORMULA_START = re.compile(r"^[=@\t\r]|^[+-][^\d\s.]")
LINKABLE = (Organization, Service, Location, ServiceAtLocation, Contact, Phone)


@dataclass
class ExportReport:
    """What an export wrote, and what a reader should know about it."""

    counts: dict[str, int] = field(default_factory=dict)
    placeholders: Counter = field(default_factory=Counter)  # (file, field) -> rows given the placeholder
    dropped_links: Counter = field(default_factory=Counter)  # (file, field) -> links to rows not exported
    formulas: list[str] = field(default_factory=list)

    def text(self) -> str:
        """Return the report for people."""
        lines = ["Wrote " + (", ".join(f"{n} {name}" for name, n in self.counts.items() if n) or "nothing") + "."]
        for (name, column), n in sorted(self.placeholders.items()):
            lines.append(f"- {name}: {column} is required and was empty in {n} row(s): wrote {PLACEHOLDER!r}")
        for (name, column), n in sorted(self.dropped_links.items()):
            lines.append(f"- {name}: {column} left empty in {n} row(s): it points at a record not exported")
        if self.formulas:
            lines.append(f"Text that a spreadsheet may run as a formula ({len(self.formulas)}), written as entered:")
            lines += [f"- {where}" for where in self.formulas]
        return "\n".join(lines)


def datapackage() -> dict:
    """Return HSDS's datapackage.json (the tables and their fields)."""
    return json.loads(DATAPACKAGE.read_text(encoding="utf-8"))


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def collect(session: Session) -> dict[str, list[dict]]:
    """Return the rows of every HSDS table, as dicts keyed by HSDS field names."""
    orgs = (
        session.execute(select(Organization).where(Organization.status == "published").order_by(Organization.id))
        .scalars()
        .all()
    )
    org_ids = [o.id for o in orgs]
    services = sorted(rows_in(session, Service, Service.organization_id, org_ids), key=lambda s: s.id)
    service_ids = [s.id for s in services]
    sals = rows_in(session, ServiceAtLocation, ServiceAtLocation.service_id, service_ids)
    locations = {
        loc.id: loc
        for loc in rows_in(session, Location, Location.organization_id, org_ids)
        + rows_in(session, Location, Location.id, [s.location_id for s in sals])
    }
    location_ids = list(locations)
    # A confidential site publishes no text about itself (matching.confidential): no address, accessibility,
    # contacts, hours notes or language notes, and its link to a service carries no description.
    public = [loc_id for loc_id, loc in locations.items() if not loc.confidential]
    private = set(location_ids) - set(public)
    private_sals = {sal.id for sal in sals if sal.location_id in private}
    credentials = rows_in(session, Credential, Credential.service_id, service_ids)
    attributes = rows_in(session, Attribute, Attribute.link_id, service_ids + org_ids + location_ids)
    attributes += _unlinked_attributes(session)
    tables: dict[str, list] = {
        "organization": [vars_of(o) for o in orgs],
        "service": [vars_of(s) for s in services],
        "service_at_location": [
            {**vars_of(s), "description": None} if s.id in private_sals else vars_of(s) for s in sals
        ],
        "location": [],
        "address": [],
        "organization_identifier": [
            vars_of(i)
            for i in rows_in(session, OrganizationIdentifier, OrganizationIdentifier.organization_id, org_ids)
        ],
        "attribute": [vars_of(a) for a in attributes],
        "phone": [],
        "contact": [],
        "schedule": [],
        "language": [],
        "accessibility": [vars_of(a) for a in rows_in(session, Accessibility, Accessibility.location_id, public)],
        "service_area": [vars_of(a) for a in rows_in(session, ServiceArea, ServiceArea.service_id, service_ids)],
        "required_document": [
            vars_of(d) for d in rows_in(session, RequiredDocument, RequiredDocument.service_id, service_ids)
        ],
        "cost_option": [vars_of(c) for c in rows_in(session, CostOption, CostOption.service_id, service_ids)],
    }
    for loc in locations.values():
        tables["location"].append(public_location_row(loc, vars_of(loc)))
    tables["address"] = [vars_of(a) for a in rows_in(session, Address, Address.location_id, public)]
    for model, name in ((Phone, "phone"), (Contact, "contact"), (Schedule, "schedule"), (Language, "language")):
        found = {}
        for column, ids in (("service_id", service_ids), ("organization_id", org_ids), ("location_id", location_ids)):
            if hasattr(model, column):
                for row in rows_in(session, model, getattr(model, column), ids):
                    found[row.id] = row
        rows = list(found.values())
        if model is Phone:  # a confidential site shows only its public contact points
            rows = [p for p in rows if not (p.location_id in private and not p.public_contact)]
        if model is Contact:  # people at a confidential site are reached by its public phones only
            rows = [c for c in rows if c.location_id not in private and c.service_at_location_id not in private_sals]
        at_private = [r.location_id in private or getattr(r, "service_at_location_id", None) in private_sals
                      for r in rows]  # fmt: skip
        if model is Schedule:
            tables[name] = [public_schedule_row(hidden, vars_of(r)) for r, hidden in zip(rows, at_private, strict=True)]
        elif model is Language:
            tables[name] = [public_language_row(hidden, vars_of(r)) for r, hidden in zip(rows, at_private, strict=True)]
        else:
            tables[name] = [vars_of(r) for r in rows]
    term_ids = {a.taxonomy_term_id for a in attributes}
    terms = {t.id: t for t in session.execute(select(TaxonomyTerm)).scalars()}
    used = set()
    for term_id in term_ids:  # the terms in use and their ancestors
        while term_id and term_id in terms and term_id not in used:
            used.add(term_id)
            term_id = terms[term_id].parent_id
    tables["taxonomy_term"] = [vars_of(terms[t]) for t in sorted(used)]
    taxonomy_ids = {terms[t].taxonomy_id for t in used}
    tables["taxonomy"] = [
        vars_of(t) for t in session.execute(select(Taxonomy).where(Taxonomy.id.in_(taxonomy_ids))).scalars()
    ]
    _add_extensions(tables, services, credentials)
    return tables


def _unlinked_attributes(session: Session) -> list[Attribute]:
    """Return the attributes whose link_id names no record we hold (kept as imported, so they round-trip)."""
    linked = or_(*(exists().where(model.id == Attribute.link_id) for model in LINKABLE))
    return list(session.execute(select(Attribute).where(~linked)).scalars())


def _add_extensions(tables: dict, services: list[Service], credentials: list[Credential]) -> None:
    """Add credentials and capacity as attributes of our extension taxonomies."""
    used_terms = {}
    for credential in credentials:
        term = extension_term(
            "amparo-credentials", credential.kind, CREDENTIAL_LABELS.get(credential.kind, credential.kind)
        )
        used_terms[term["id"]] = term
        tables["attribute"].append(
            {
                "id": stable_id("attribute", f"credential:{credential.service_id}:{credential.kind}"),
                "link_id": credential.service_id,
                "taxonomy_term_id": term["id"],
                "link_type": "credential",
                "link_entity": "service",
                "value": credential.source,
            }
        )
    for service in services:
        if service.capacity:
            term = extension_term("amparo-capacity", service.capacity, CAPACITY_LABELS.get(service.capacity, ""))
            used_terms[term["id"]] = term
            tables["attribute"].append(
                {
                    "id": stable_id("attribute", f"capacity:{service.id}"),
                    "link_id": service.id,
                    "taxonomy_term_id": term["id"],
                    "link_type": "capacity",
                    "link_entity": "service",
                    "value": _text(service.capacity_stated_on),
                }
            )
    tables["taxonomy_term"] += sorted(used_terms.values(), key=lambda t: t["id"])
    for name in sorted({t["taxonomy"] for t in used_terms.values()}):
        tables["taxonomy"].append(
            {"id": stable_id("taxonomy", name), "name": name, "description": EXTENSION_TAXONOMIES[name]}
        )


def vars_of(row) -> dict:
    """Return a row's columns as a dict."""
    return row.model_dump()


def _cell(field: dict, value) -> str:
    """Return a value as its CSV text, times as HH:MM:SS (midnight at the end of a day as 23:59:59)."""
    text = _text(value)
    if field.get("type") == "time" and text:
        text = "23:59:59" if text.startswith("24:") else time.fromisoformat(text).isoformat("seconds")
    return text


def _links_in_export(resources: list[dict], tables: dict[str, list[dict]], report: ExportReport) -> None:
    """Empty optional links to rows the export leaves out; drop rows whose required link is left out."""
    ids = {r["name"]: {str(row.get("id")) for row in tables.get(r["name"], [])} for r in resources}
    for resource in resources:
        required = {f["name"] for f in resource["schema"]["fields"] if f.get("constraints", {}).get("required")}
        kept = []
        for row in tables.get(resource["name"], []):
            keep = True
            for key in resource["schema"].get("foreignKeys", []):
                column, target = key["fields"], key["reference"]["resource"]
                if row.get(column) and str(row[column]) not in ids.get(target, set()):
                    report.dropped_links[(resource["path"], column)] += 1
                    if column in required:
                        keep = False
                    else:
                        row = {**row, column: None}
            if keep:
                kept.append(row)
        tables[resource["name"]] = kept


def render(tables: dict[str, list[dict]], report: ExportReport | None = None) -> dict[str, str]:
    """Return file name -> contents for the whole package (every HSDS table, empty ones as a header).

    Required fields without data get PLACEHOLDER, links to rows left out are emptied, and text that
    looks like a spreadsheet formula is flagged: all three are counted in ``report``.
    """
    report = report if report is not None else ExportReport()
    package = datapackage()
    _links_in_export(package["resources"], tables, report)
    files = {}
    for resource in package["resources"]:
        fields = resource["schema"]["fields"]
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([f["name"] for f in fields])
        rows = sorted(tables.get(resource["name"], []), key=lambda r: str(r.get("id")))
        for line, row in enumerate(rows, start=2):
            cells = []
            for f in fields:
                text = _cell(f, row.get(f["name"]))
                if not text and f.get("constraints", {}).get("required"):
                    text = PLACEHOLDER
                    report.placeholders[(resource["path"], f["name"])] += 1
                elif f.get("type") == "string" and FORMULA_START.match(text):
                    report.formulas.append(f"{resource['path']}, line {line}, {f['name']}: {text[:40]!r}")
                cells.append(text)
            writer.writerow(cells)
        files[resource["path"]] = buffer.getvalue()
    files["datapackage.json"] = json.dumps(package, indent=2, ensure_ascii=False) + "\n"
    return files


def export_package(session: Session, path: Path) -> ExportReport:
    """Write the package to a folder, or to a zip when ``path`` ends in .zip; return the report."""
    tables = collect(session)
    report = ExportReport()
    files = render(tables, report)
    if path.suffix.lower() == ".zip":
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, text in files.items():
                archive.writestr(name, text)
    else:
        path.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (path / name).write_text(text, encoding="utf-8")
    report.counts = {name: len(rows) for name, rows in tables.items()}
    return report
