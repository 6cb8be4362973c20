"""Shared column helpers: uuid ids, timestamps and the fixed vocabularies of our extensions."""

import uuid
from datetime import UTC, date, datetime

# A fixed namespace, so that records loaded from bundled data keep the same ids on every machine.
AMPARO_NAMESPACE = uuid.UUID("6f1f3c2e-5a7d-4c1b-9a53-2b8f0e4d7a10")

CAPACITY_STATUSES = ("accepting", "waitlist", "not-accepting")
COST_KINDS = ("free", "sliding-scale", "insurance", "fee", "varies")
DELIVERY_MODES = ("in-person", "remote", "both")
CREDENTIAL_KINDS = (
    "doj-recognized",  # DOJ-recognized organization (EOIR Recognition & Accreditation program)
    "accredited-rep-full",  # accredited representative, full accreditation (may appear in court)
    "accredited-rep-partial",  # accredited representative, partial accreditation (USCIS only)
    "attorney",  # licensed attorney on staff
    "eoir-pro-bono",  # on the EOIR List of Pro Bono Legal Service Providers
)
DOCKETS = ("detained", "non-detained", "both")
AREA_SCOPES = ("national", "state", "county", "place", "regional")


def new_id() -> str:
    """Return a fresh random uuid as text."""
    return str(uuid.uuid4())


def stable_id(kind: str, key: str) -> str:
    """Return the same uuid for the same kind and key, on every machine."""
    return str(uuid.uuid5(AMPARO_NAMESPACE, f"{kind}:{key}"))


def utcnow() -> datetime:
    """Return the current time, aware, in UTC (SQLModel stores timezone-aware datetimes)."""
    return datetime.now(UTC)


def today() -> date:
    """Return today's date in UTC."""
    return utcnow().date()
