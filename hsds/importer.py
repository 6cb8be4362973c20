"""Import HSDS data (a 3.0 data package, an older 1.x/2.x CSV layout, or JSON/NDJSON services), all or nothing.

Every file is read and checked first (columns, types, references, sizes); only a clean input is
written, in one transaction keyed on the HSDS ids, so importing the same input twice changes
nothing. Terms of other taxonomies are kept as terms of their own taxonomy and linked to our
needs where a keyword of data/needs.json matches. The touched services are reindexed.
"""

import csv
import io
import json
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from annotated_types import MaxLen
from sqlmodel import Session

from geo.gazetteer import get_gazetteer
from hsds.serialize import EXTENSION_TAXONOMIES
from matching.index import reindex_services
from matching.needs import get_taxonomy
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
from models.base import CAPACITY_STATUSES, CREDENTIAL_KINDS, stable_id
from seed.load import ensure_taxonomy, term_id

# HSDS table -> (our model, file names in 3.0 and in older layouts).
TABLES = {
    "taxonomy": (Taxonomy, ("taxonomies.csv",)),
    "taxonomy_term": (TaxonomyTerm, ("taxonomy_terms.csv", "taxonomy.csv")),
    "organization": (Organization, ("organizations.csv",)),
    "organization_identifier": (OrganizationIdentifier, ("organization_identifiers.csv",)),
    "location": (Location, ("locations.csv",)),
    "address": (Address, ("addresses.csv", "physical_addresses.csv", "postal_addresses.csv")),
    "accessibility": (Accessibility, ("accessibility.csv", "accessibility_for_disabilities.csv")),
    "service": (Service, ("services.csv",)),
    "service_at_location": (
        ServiceAtLocation,
        ("service_at_location.csv", "service_at_locations.csv", "services_at_location.csv"),
    ),
    "contact": (Contact, ("contacts.csv",)),
    "phone": (Phone, ("phones.csv",)),
    "schedule": (Schedule, ("schedules.csv", "regular_schedules.csv")),
    "language": (Language, ("languages.csv",)),
    "service_area": (ServiceArea, ("service_areas.csv", "service_area.csv")),
    "required_document": (RequiredDocument, ("required_documents.csv",)),
    "cost_option": (CostOption, ("cost_options.csv",)),
    "attribute": (Attribute, ("attributes.csv", "service_taxonomy.csv")),
}
REQUIRED = {
    "organization": ("id", "name"),
    "service": ("id", "organization_id", "name"),
    "location": ("id",),
    "address": ("location_id",),
    "service_at_location": ("service_id", "location_id"),
    "attribute": ("link_id", "taxonomy_term_id"),
    "taxonomy_term": ("id", "name"),
    "taxonomy": ("id", "name"),
    "phone": ("number",),
}
# Older column names -> HSDS 3.0 names, per table.
RENAMES = {
    "organization": {"url": "website"},
    "service": {"wait": "wait_time", "fees": "fees_description"},
    "address": {"address": "address_1", "region": "region"},
    "accessibility": {"accessibility": "description"},
    "language": {"language": "name"},
    "service_area": {"service_area": "name"},
    "taxonomy_term": {"term": "name", "vocabulary": "taxonomy"},
    "attribute": {"taxonomy_id": "taxonomy_term_id", "taxonomy_detail": "value"},
}
REFERENCES = {  # table -> (column, table it points to)
    "service": (("organization_id", "organization"),),
    "organization_identifier": (("organization_id", "organization"),),
    "location": (("organization_id", "organization"),),
    "address": (("location_id", "location"),),
    "accessibility": (("location_id", "location"),),
    "service_at_location": (("service_id", "service"), ("location_id", "location")),
    "contact": (("organization_id", "organization"), ("service_id", "service"), ("location_id", "location")),
    "phone": (("organization_id", "organization"), ("service_id", "service"), ("location_id", "location")),
    "schedule": (("service_id", "service"), ("location_id", "location")),
    "language": (("service_id", "service"), ("location_id", "location")),
    "service_area": (("service_id", "service"),),
    "required_document": (("service_id", "service"),),
    "cost_option": (("service_id", "service"),),
    "attribute": (("taxonomy_term_id", "taxonomy_term"),),
    "taxonomy_term": (("parent_id", "taxonomy_term"), ("taxonomy_id", "taxonomy")),
}
WEEKDAYS = {
    "1": "MO", "2": "TU", "3": "WE", "4": "TH", "5": "FR", "6": "SA", "7": "SU", "0": "SU",
    "monday": "MO", "tuesday": "TU", "wednesday": "WE", "thursday": "TH", "friday": "FR", "saturday": "SA",
    "sunday": "SU",
}  # fmt: skip


class ImportProblem(Exception):
    """The input cannot be imported; the report says why."""


@dataclass
class Report:
    """What an import did (or, with problems, why it did nothing)."""

    added: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    updated: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    skipped: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    reasons: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def changed(self) -> int:
        return sum(self.added.values()) + sum(self.updated.values())

    def text(self) -> str:
        """Return the report for people."""
        if self.problems:
            return "Nothing was imported:\n" + "\n".join(f"- {p}" for p in self.problems)
        lines = []
        for word, counts in (("Added", self.added), ("Updated", self.updated), ("Skipped", self.skipped)):
            parts = ", ".join(f"{n} {table}" for table, n in sorted(counts.items()) if n)
            lines.append(f"{word}: {parts or 'nothing'}")
        lines += [f"- {reason}" for reason in self.reasons[:50]]
        return "\n".join(lines)


# Reading ----------------------------------------------------------------------------------------


def read_input(path: Path, max_bytes: int) -> dict[str, bytes]:
    """Return file name -> bytes for a folder, a zip, or a single JSON/NDJSON file."""
    files = {}
    if path.is_dir():
        for child in sorted(path.iterdir()):
            if child.suffix.lower() in (".csv", ".json"):
                if child.stat().st_size > max_bytes:
                    raise ImportProblem(f"{child.name} is larger than the limit of {max_bytes} bytes")
                files[child.name.lower()] = child.read_bytes()
    elif path.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(path) as archive:
                for info in archive.infolist():
                    name = Path(info.filename).name.lower()
                    if info.is_dir() or not name.endswith((".csv", ".json")):
                        continue
                    if info.file_size > max_bytes:
                        raise ImportProblem(f"{name} is larger than the limit of {max_bytes} bytes")
                    files[name] = archive.read(info)
        except zipfile.BadZipFile:
            raise ImportProblem(f"{path.name} is not a readable zip file") from None
    else:
        if path.stat().st_size > max_bytes:
            raise ImportProblem(f"{path.name} is larger than the limit of {max_bytes} bytes")
        files[path.name.lower()] = path.read_bytes()
    return files


def _csv_rows(name: str, data: bytes) -> list[dict]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportProblem(f"{name}: not UTF-8 text") from None
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
        rows = []
        for row in reader:
            if None in row or any(value is None for value in row.values()):
                raise ImportProblem(f"{name}, line {reader.line_num}: wrong number of columns")
            rows.append({key.strip().lower(): value.strip() for key, value in row.items()})
        columns = [c.strip().lower() for c in reader.fieldnames or []]
    except csv.Error as error:
        raise ImportProblem(f"{name}: broken CSV ({error})") from None
    return [{"__columns__": columns}] + rows


def tables_from_csv(files: dict[str, bytes]) -> dict[str, list[dict]]:
    """Return HSDS table -> rows (3.0 names), from the CSV files of any HSDS version."""
    tables: dict[str, list[dict]] = {}
    for table, (_model, names) in TABLES.items():
        for name in names:
            if name not in files:
                continue
            if table == "taxonomy_term" and name == "taxonomy.csv" and "taxonomy_terms.csv" in files:
                continue  # 3.0 keeps taxonomies in taxonomies.csv
            parsed = _csv_rows(name, files[name])
            columns = parsed[0]["__columns__"]
            renames = RENAMES.get(table, {})
            columns = [renames.get(c, c) for c in columns]
            missing = [c for c in REQUIRED.get(table, ()) if c not in columns and not _derived(table, c, columns)]
            if missing:
                raise ImportProblem(f"{name}: missing column(s) {', '.join(missing)}")
            rows = []
            for index, row in enumerate(parsed[1:], start=2):
                row = {renames.get(k, k): v for k, v in row.items()}
                row["__where__"] = f"{name}, line {index}"
                if name == "postal_addresses.csv":
                    row["address_type"] = "postal"
                if name == "service_taxonomy.csv":
                    row.update(link_id=row.get("service_id", ""), link_entity="service", link_type="taxonomy")
                if name == "regular_schedules.csv":
                    row.setdefault("freq", "WEEKLY")
                    row["byday"] = WEEKDAYS.get(row.get("weekday", "").lower(), row.get("byday", ""))
                rows.append(row)
            tables.setdefault(table, []).extend(rows)
    if "organization" not in tables and "service" not in tables:
        raise ImportProblem("no organizations.csv or services.csv found")
    return tables


def _derived(table: str, column: str, columns: list[str]) -> bool:
    """Tell whether a required column is made from another one (old layouts)."""
    return table == "attribute" and column == "link_id" and "service_id" in columns


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


# Checking ---------------------------------------------------------------------------------------


def _value(model, column: str, raw, where: str):
    """Convert one raw value to the column's type, or raise ImportProblem."""
    if raw is None or raw == "":
        return None
    kind = model.model_fields[column].annotation
    text = str(raw).strip() if not isinstance(raw, bool | int | float) else raw
    try:
        if kind in (float, float | None):
            return float(text)
        if kind in (int, int | None):
            number = float(text)
            if number != int(number):
                raise ValueError
            return int(number)
        if kind in (bool, bool | None):
            if isinstance(text, bool):
                return text
            return str(text).lower() in ("true", "1", "yes")
        if kind in (date, date | None):
            return date.fromisoformat(str(text)[:10])
        if kind in (datetime, datetime | None):
            moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    except ValueError:
        raise ImportProblem(f"{where}: {column} {str(raw)[:40]!r} is not a valid {kind}") from None
    text = str(text)
    for rule in model.model_fields[column].metadata:
        if isinstance(rule, MaxLen) and len(text) > rule.max_length:
            raise ImportProblem(f"{where}: {column} is longer than {rule.max_length} characters")
    return text


def prepare(session: Session, tables: dict[str, list[dict]]) -> dict[str, dict[str, dict]]:
    """Return table -> id -> typed values; raise ImportProblem on the first bad row or reference."""
    prepared: dict[str, dict[str, dict]] = {}
    for table, (model, _names) in TABLES.items():
        found = {}
        for row in tables.get(table, []):
            where = row.get("__where__", table)
            for column in REQUIRED.get(table, ()):
                if row.get(column) in (None, ""):
                    raise ImportProblem(f"{where}: {column} is empty")
            values = {}
            for column in model.model_fields:
                if column in row and column not in ("version",):
                    values[column] = _value(model, column, row[column], where)
            values["id"] = values.get("id") or _derived_id(table, values)
            found[values["id"]] = values
        prepared[table] = found
    extension = _extension_terms()
    for table, refs in REFERENCES.items():
        model = TABLES[table][0]
        for values in prepared.get(table, {}).values():
            if table == "taxonomy_term" and values["id"] in extension:
                continue  # our extension terms are derived from columns, never stored
            for column, target in refs:
                ref = values.get(column)
                if ref and ref not in prepared.get(target, {}) and session.get(TABLES[target][0], ref) is None:
                    if table == "attribute" and ref in extension:
                        continue
                    raise ImportProblem(f"{model.__tablename__} {values['id']}: {column} {ref} does not exist")
    return prepared


def _derived_id(table: str, values: dict) -> str:
    """Give a row without an id (old layouts) a stable one, from what it says."""
    key = "|".join(str(values.get(k)) for k in sorted(values) if values.get(k) is not None)
    return stable_id(f"import:{table}", key)


def _extension_terms() -> dict[str, tuple[str, str]]:
    """Return the ids of our extension terms -> (taxonomy, code)."""
    found = {}
    for kind in CREDENTIAL_KINDS:
        found[stable_id("taxonomy_term", f"amparo-credentials:{kind}")] = ("amparo-credentials", kind)
    for status in CAPACITY_STATUSES:
        found[stable_id("taxonomy_term", f"amparo-capacity:{status}")] = ("amparo-capacity", status)
    return found


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
    for row in prepared["schedule"].values():
        for column in ("opens_at", "closes_at"):
            if row.get(column):
                row[column] = row[column][:5]


def _keyword_needs(prepared: dict[str, dict[str, dict]], session: Session) -> None:
    """Link services to our needs where one of their foreign terms matches a need's keywords."""
    taxonomy = get_taxonomy()
    ours = {term_id(code) for code in taxonomy.needs}
    terms = prepared["taxonomy_term"]
    for attribute in list(prepared["attribute"].values()):
        term_key = attribute["taxonomy_term_id"]
        if attribute.get("link_entity") != "service" or term_key in ours or term_key in _extension_terms():
            continue
        term = terms.get(term_key) or (session.get(TaxonomyTerm, term_key) or TaxonomyTerm(name="")).model_dump()
        text = f" {term.get('name', '')} {term.get('description') or ''} ".lower()
        for need in taxonomy.needs.values():
            if any(keyword.lower() in text for keyword in need.keywords):
                key = stable_id("attribute", f"import:{attribute['link_id']}:{need.code}")
                prepared["attribute"].setdefault(
                    key,
                    {
                        "id": key,
                        "link_id": attribute["link_id"],
                        "taxonomy_term_id": term_id(need.code),
                        "link_type": "need",
                        "link_entity": "service",
                    },
                )


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
            service["capacity_stated_on"] = _value(Service, "capacity_stated_on", attribute.get("value"), key)
    return {c["id"]: c for c in credentials.values()}


def _upsert(session: Session, model, rows: dict[str, dict], report: Report, table: str) -> set[str]:
    """Add or update rows by id; return the ids that changed."""
    changed = set()
    for key, values in rows.items():
        existing = session.get(model, key)
        if existing is None:
            session.add(model(**values))
            report.added[table] += 1
            changed.add(key)
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


def _same_moment(old, new) -> bool:
    if isinstance(old, datetime) and isinstance(new, datetime):
        old = old if old.tzinfo else old.replace(tzinfo=UTC)
        return old == new
    return False


def apply(session: Session, prepared: dict[str, dict[str, dict]], report: Report) -> set[str]:
    """Write the prepared rows; return the ids of the services whose data changed."""
    _fill_defaults(prepared)
    credentials = _extensions(prepared)
    _keyword_needs(prepared, session)
    touched: set[str] = set()
    parents = {}
    for row in prepared["organization"].values():
        parents[row["id"]] = row.pop("parent_organization_id", None)
        row.setdefault("sources", "hsds-import")
    terms_parents = {}
    for row in prepared["taxonomy_term"].values():
        terms_parents[row["id"]] = row.pop("parent_id", None)
    for table, (model, _names) in TABLES.items():
        changed = _upsert(session, model, prepared[table], report, table)
        # Parents are set once every row of the table exists (SQLite checks foreign keys at once).
        links = {"taxonomy_term": (TaxonomyTerm, "parent_id", terms_parents),
                 "organization": (Organization, "parent_organization_id", parents)}.get(table)  # fmt: skip
        if links:
            link_model, column, wanted = links
            for key, parent in wanted.items():
                row = session.get(link_model, key)
                if getattr(row, column) != parent and key not in _our_terms():
                    setattr(row, column, parent)
                    changed.add(key)
            session.flush()
        touched |= _services_of(table, prepared[table], changed)
    touched |= _services_of("credential", credentials, _upsert(session, Credential, credentials, report, "credential"))
    return touched


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


def import_path(session: Session, path: Path, *, max_bytes: int) -> Report:
    """Import a package or a services file, all or nothing; return the report."""
    report = Report()
    try:
        files = read_input(path, max_bytes)
        json_files = [name for name in files if not name.endswith(".csv") and name != "datapackage.json"]
        if any(name.endswith(".csv") for name in files):
            tables = tables_from_csv(files)
        elif json_files:
            tables = tables_from_services(json_files[0], files[json_files[0]])
        else:
            raise ImportProblem("no HSDS files found (CSV tables, or a JSON/NDJSON file of services)")
        ensure_taxonomy(session)  # our needs exist before references to them are checked
        prepared = prepare(session, tables)
        touched = apply(session, prepared, report)
        all_services = set(prepared["service"]) | touched
        if report.changed:
            # Locations and organizations touch every service at them: reindex all the input's services.
            reindex_services(session, sorted(all_services))
        skipped = sum(report.skipped.values())
        if skipped:
            report.reasons.append(f"{skipped} record(s) skipped: already in the directory, unchanged")
        session.commit()
    except ImportProblem as problem:
        session.rollback()
        report = Report(problems=[str(problem)])
    except Exception as error:  # any failure while writing rolls everything back
        session.rollback()
        report = Report(problems=[f"the import failed and was rolled back: {type(error).__name__}: {error}"])
    return report
