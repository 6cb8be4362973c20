"""Check a tabular HSDS data package against its own datapackage.json: required, formats, keys.

A small, dependency-free reading of the Frictionless Table Schema rules HSDS uses: ``required``,
``unique`` and ``enum`` constraints, the types string (formats uuid, email, uri), number, date,
time and datetime, each resource's primary key, and foreign keys between resources.
"""

import csv
import io
import json
import re
import uuid
from datetime import date, datetime, time

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TIME = re.compile(r"^\d{2}:\d{2}:\d{2}$")  # Table Schema's default time format, %H:%M:%S
URI = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$")


def _format_error(field: dict, value: str) -> str | None:
    kind, fmt = field.get("type", "string"), field.get("format", "default")
    try:
        if kind == "number":
            float(value)
        elif kind == "integer":
            int(value)
        elif kind == "date":
            date.fromisoformat(value)
        elif kind == "time":
            if not TIME.match(value):
                raise ValueError
            time.fromisoformat(value)
        elif kind == "datetime":
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        elif kind == "string" and fmt == "uuid":
            uuid.UUID(value)
        elif kind == "string" and fmt == "email" and not EMAIL.match(value):
            return "not an email address"
        elif kind == "string" and fmt == "uri" and not URI.match(value):
            return "not a URI"
    except ValueError:
        return f"not a valid {fmt if fmt != 'default' else kind}"
    return None


def validate_package(files: dict[str, str]) -> list[str]:
    """Return every way the package breaks its own datapackage.json (empty when it validates)."""
    package = json.loads(files["datapackage.json"])
    errors: list[str] = []
    keys: dict[str, set[str]] = {}
    rows_of: dict[str, list[dict]] = {}
    for resource in package["resources"]:
        rows = list(csv.DictReader(io.StringIO(files.get(resource["path"], ""))))
        rows_of[resource["name"]] = rows
        fields = resource["schema"]["fields"]
        seen: dict[str, set[str]] = {f["name"]: set() for f in fields}
        for line, row in enumerate(rows, start=2):
            where = f"{resource['path']}, line {line}"
            for f in fields:
                value = row.get(f["name"]) or ""
                rules = f.get("constraints", {})
                if not value:
                    if rules.get("required"):
                        errors.append(f"{where}: {f['name']} is required")
                    continue
                problem = _format_error(f, value)
                if problem:
                    errors.append(f"{where}: {f['name']} {value!r} is {problem}")
                if rules.get("enum") and value not in rules["enum"]:
                    errors.append(f"{where}: {f['name']} {value!r} is not one of {rules['enum']}")
                if rules.get("unique") and value in seen[f["name"]]:
                    errors.append(f"{where}: {f['name']} {value!r} is not unique")
                seen[f["name"]].add(value)
        keys[resource["name"]] = {row.get("id") or "" for row in rows}
    for resource in package["resources"]:
        for key in resource["schema"].get("foreignKeys", []):
            column, target = key["fields"], key["reference"]["resource"]
            for line, row in enumerate(rows_of[resource["name"]], start=2):
                value = row.get(column) or ""
                if value and value not in keys.get(target, set()):
                    errors.append(f"{resource['path']}, line {line}: {column} {value!r} is not an id in {target}")
    return errors
