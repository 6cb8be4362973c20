"""Read an HSDS package as it was published: a folder or a .zip, any HSDS version, any layout.

Finds the tables through ``datapackage.json`` (resources may sit in ``data/``) or by their file
names anywhere in the package, detects the HSDS version, and turns each CSV file into rows keyed
by HSDS 3.0 column names. Renames of older versions apply only to packages of those versions.
Nothing here touches the database.
"""

import csv
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath

# HSDS table -> file names in 3.0, then in older layouts (1.x, 2.x).
TABLE_FILES = {
    "taxonomy": ("taxonomies.csv",),
    "taxonomy_term": ("taxonomy_terms.csv", "taxonomy.csv"),
    "organization": ("organizations.csv", "organization.csv"),
    "organization_identifier": ("organization_identifiers.csv",),
    "location": ("locations.csv", "location.csv"),
    "address": ("addresses.csv", "physical_addresses.csv", "postal_addresses.csv"),
    "accessibility": ("accessibility.csv", "accessibility_for_disabilities.csv"),
    "service": ("services.csv", "service.csv"),
    "service_at_location": ("service_at_location.csv", "service_at_locations.csv", "services_at_location.csv"),
    "contact": ("contacts.csv",),
    "phone": ("phones.csv",),
    "schedule": ("schedules.csv", "regular_schedules.csv"),
    "language": ("languages.csv",),
    "service_area": ("service_areas.csv", "service_area.csv"),
    "required_document": ("required_documents.csv",),
    "cost_option": ("cost_options.csv",),
    "attribute": ("attributes.csv", "service_taxonomy.csv", "services_taxonomy.csv", "service_attributes.csv"),
    "eligibility": ("eligibility.csv",),  # 1.x: folded into service.eligibility_description
}
# Files that link services to taxonomy terms in HSDS 1.x and 2.x.
OLD_TAXONOMY_LINKS = ("service_taxonomy.csv", "services_taxonomy.csv", "service_attributes.csv")
# Files only older versions have.
OLD_MARKERS = {
    "1.x": (
        "service_taxonomy.csv",
        "services_taxonomy.csv",
        "regular_schedules.csv",
        "physical_addresses.csv",
        "postal_addresses.csv",
        "holiday_schedules.csv",
        "accessibility_for_disabilities.csv",
        "services_at_location.csv",
        "eligibility.csv",
        "payment_accepted.csv",
    ),
    "2.x": ("service_attributes.csv", "other_attributes.csv"),
}
# Older column names -> HSDS 3.0 names, per table; applied only to 1.x and 2.x packages.
OLD_RENAMES = {
    "organization": {"url": "website"},
    "service": {"wait": "wait_time", "fees": "fees_description"},
    "address": {"address": "address_1"},
    "accessibility": {"accessibility": "description"},
    "language": {"language": "name"},
    "service_area": {"service_area": "name"},
    "taxonomy_term": {"term": "name", "vocabulary": "taxonomy"},
    "attribute": {"taxonomy_id": "taxonomy_term_id", "taxonomy_detail": "value"},
}
WEEKDAYS = {
    "1": "MO", "2": "TU", "3": "WE", "4": "TH", "5": "FR", "6": "SA", "7": "SU", "0": "SU",
    "monday": "MO", "tuesday": "TU", "wednesday": "WE", "thursday": "TH", "friday": "FR", "saturday": "SA",
    "sunday": "SU", "mon": "MO", "tue": "TU", "wed": "WE", "thu": "TH", "fri": "FR", "sat": "SA", "sun": "SU",
}  # fmt: skip


class InputProblem(Exception):
    """The input cannot be read at all (not a package, too large, not a zip)."""


@dataclass
class Notice:
    """One thing the reader noticed: where, which column, what value, and why it matters."""

    where: str
    reason: str
    column: str = ""
    value: str = ""
    severity: str = "error"  # error (the row cannot be imported) | warning (kept, with a change)
    table: str = ""
    row_id: str = ""
    file: str = ""
    line: int | None = None
    silent: bool = False  # counted, not listed (a file's missing column is listed once, not per row)

    def text(self) -> str:
        """Return the notice for people: place, column, value, reason."""
        parts = [self.where]
        if self.column:
            parts.append(f"column {self.column}")
        if self.value:
            shown = self.value if len(self.value) <= 60 else self.value[:57] + "..."
            parts.append(f"value {shown!r}")
        return ", ".join(parts) + f": {self.reason}"


@dataclass
class Package:
    """The files of one package, its detected version, and what reading it noticed."""

    files: dict[str, bytes]
    version: str = "3.0"
    version_source: str = ""
    notices: list[Notice] = field(default_factory=list)
    used: set[str] = field(default_factory=set)


# Input ------------------------------------------------------------------------------------------


def read_files(path, max_bytes: int, max_total: int) -> dict[str, bytes]:
    """Return relative path (lower case, /-separated) -> bytes for a folder, a zip or a single file."""
    files: dict[str, bytes] = {}
    total = 0
    if path.is_dir():
        for child in sorted(path.rglob("*")):
            if not child.is_file() or child.suffix.lower() not in (".csv", ".json", ".ndjson"):
                continue
            size = child.stat().st_size
            name = child.relative_to(path).as_posix().lower()
            total = _check_size(name, size, total, max_bytes, max_total)
            files[name] = child.read_bytes()
        return files
    if path.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(path) as archive:
                entries = [
                    info
                    for info in archive.infolist()
                    if not info.is_dir() and info.filename.lower().endswith((".csv", ".json", ".ndjson"))
                ]
                for info in entries:  # sizes first: nothing is decompressed from an oversized archive
                    total = _check_size(info.filename, info.file_size, total, max_bytes, max_total)
                for info in entries:
                    data = archive.read(info)
                    if len(data) > info.file_size:  # a lying header
                        raise InputProblem(f"{info.filename} is larger than its zip header says")
                    files[info.filename.lower().lstrip("/")] = data
        except zipfile.BadZipFile:
            raise InputProblem(f"{path.name} is not a readable zip file") from None
        return files
    _check_size(path.name, path.stat().st_size, 0, max_bytes, max_total)
    files[path.name.lower()] = path.read_bytes()
    return files


def _check_size(name: str, size: int, total: int, max_bytes: int, max_total: int) -> int:
    if size > max_bytes:
        raise InputProblem(f"{name} is larger than the limit of {max_bytes} bytes")
    total += size
    if total > max_total:
        raise InputProblem(f"the files of the package together are larger than the limit of {max_total} bytes")
    return total


# Finding tables ---------------------------------------------------------------------------------


def open_package(files: dict[str, bytes]) -> Package:
    """Index the files by their plain names (following datapackage.json) and detect the version."""
    package = Package(files=dict(files))
    descriptor = _descriptor(files)
    by_name: dict[str, str] = {}
    for name in sorted(files, key=lambda n: (n.count("/"), n)):  # the shallowest file of a name wins
        by_name.setdefault(PurePosixPath(name).name, name)
    if descriptor is not None:
        base, resources, _version = descriptor
        for resource in resources:
            target = str(PurePosixPath(base) / str(resource.get("path") or "")).lower().lstrip("./")
            if target in files:
                by_name[PurePosixPath(target).name] = target
    package.files = {plain: files[real] for plain, real in by_name.items()}
    _detect_version(package, descriptor)
    return package


def _descriptor(files: dict[str, bytes]) -> tuple[str, list[dict], str] | None:
    names = sorted((n for n in files if PurePosixPath(n).name == "datapackage.json"), key=lambda n: n.count("/"))
    if not names:
        return None
    try:
        found = json.loads(files[names[0]].decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    resources = found.get("resources") if isinstance(found, dict) else None
    if not isinstance(resources, list):
        return None
    version = str(found.get("version") or "")
    return str(PurePosixPath(names[0]).parent), [r for r in resources if isinstance(r, dict)], version


def _detect_version(package: Package, descriptor) -> None:
    names = set(package.files)
    if names & set(OLD_MARKERS["1.x"]):
        package.version, package.version_source = (
            "1.x",
            "file names (" + ", ".join(sorted(names & set(OLD_MARKERS["1.x"]))) + ")",
        )
    elif names & set(OLD_MARKERS["2.x"]):
        package.version, package.version_source = "2.x", "file names"
    elif "attributes.csv" in names or "taxonomies.csv" in names or "schedules.csv" in names:
        package.version, package.version_source = "3.0", "file names (attributes, schedules, taxonomies)"
    elif descriptor and descriptor[2].startswith(("1", "2")):
        package.version, package.version_source = descriptor[2][:1] + ".x", "datapackage.json"
    else:
        package.version, package.version_source = "3.0", "nothing older found; read as 3.0"


# Reading CSV ------------------------------------------------------------------------------------


def csv_rows(package: Package, name: str) -> tuple[list[str], list[dict]]:
    """Return (columns, rows) of one file; rows carry their file and line. Bad rows become notices."""
    package.used.add(name)
    try:
        text = package.files[name].decode("utf-8-sig")
    except UnicodeDecodeError:
        package.notices.append(Notice(name, "the file is not UTF-8 text", file=name))
        return [], []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows = []
    try:
        header = next(reader, [])
        columns = [c.strip().lower() for c in header]
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue  # blank line
            if len(values) > len(columns):
                package.notices.append(
                    Notice(
                        f"{name}, line {line}",
                        f"the row has {len(values)} values for {len(columns)} columns",
                        file=name,
                        line=line,
                    )  # fmt: skip
                )
                continue
            if len(values) < len(columns):
                package.notices.append(
                    Notice(
                        f"{name}, line {line}",
                        f"the row has {len(values)} values for {len(columns)} columns; "
                        "the missing ones are read as empty",
                        severity="warning",
                        file=name,
                        line=line,
                    )  # fmt: skip
                )
                values = values + [""] * (len(columns) - len(values))
            row = {column: value.strip() for column, value in zip(columns, values, strict=True)}
            row["__file__"], row["__line__"] = name, line
            rows.append(row)
    except csv.Error as error:
        package.notices.append(Notice(f"{name}, line {reader.line_num}", f"broken CSV ({error})", file=name))
    return columns, rows


def table_rows(package: Package) -> dict[str, list[dict]]:
    """Return HSDS table -> rows with 3.0 column names, for every table the package has."""
    tables: dict[str, list[dict]] = {}
    old = package.version != "3.0"
    for table, names in TABLE_FILES.items():
        for name in names:
            if name not in package.files:
                continue
            if table == "taxonomy_term" and name == "taxonomy.csv" and "taxonomy_terms.csv" in package.files:
                continue  # a 3.0 package keeps its taxonomies elsewhere
            _columns, rows = csv_rows(package, name)
            renames = OLD_RENAMES.get(table, {}) if old else {}
            for row in rows:
                for before, after in renames.items():
                    if before in row and not row.get(after):
                        row[after] = row.pop(before)
                _old_layout(name, row)
            tables.setdefault(table, []).extend(rows)
    return tables


def _old_layout(name: str, row: dict) -> None:
    """Fill the 3.0 columns that older files imply."""
    if name == "postal_addresses.csv":
        row["address_type"] = "postal"
    if name in OLD_TAXONOMY_LINKS:
        row.setdefault("link_id", row.get("service_id", ""))
        row.setdefault("link_entity", "service")
        row.setdefault("link_type", "taxonomy")
    if name == "regular_schedules.csv":
        row.setdefault("freq", "WEEKLY")
        weekday = row.pop("weekday", "")
        if weekday:
            row["byday"] = WEEKDAYS.get(weekday.strip().lower(), weekday)


def unread_files(package: Package) -> list[str]:
    """Return the package's CSV files that hold no table Amparo reads."""
    return sorted(n for n in package.files if n.endswith(".csv") and n not in package.used)
