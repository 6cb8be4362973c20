"""Load the bundled data (data/needs.json, data/providers.jsonl.gz) into the database.

Idempotent: ids are derived from the bundle keys, and a record already in the database is
left as it is (an NGO may have edited it since), so running it twice adds nothing. Loads in
batches of constant memory (seed.bulk): COPY on PostgreSQL, executemany elsewhere.
"""

import gzip
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from babel import Locale, UnknownLocaleError
from sqlalchemy import select, update
from sqlmodel import Session

from matching.bulk_index import index_services
from matching.index import analyze
from matching.needs import Taxonomy, get_taxonomy
from models import (
    Address,
    Attribute,
    CostOption,
    Credential,
    Language,
    Location,
    Organization,
    OrganizationIdentifier,
    Phone,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    TaxonomyTerm,
)
from models import (
    Taxonomy as TaxonomyRow,
)
from models.base import stable_id, utcnow
from seed.bulk import Progress, batched, no_progress, write_rows

PROVIDERS_FILE = Path(__file__).resolve().parent.parent / "data" / "providers.jsonl.gz"
COST_OPTIONS = {
    "free": "Free",
    "sliding-scale": "Sliding scale: fees based on income",
    "insurance": "Insurance accepted",
    "varies": "Fees vary: ask the provider",
}
AREA_NAMES = {"national": "United States"}


def taxonomy_id() -> str:
    """Return the id of our need taxonomy."""
    return stable_id("taxonomy", "amparo-needs")


def term_id(code: str) -> str:
    """Return the id of a need's taxonomy term."""
    return stable_id("taxonomy_term", code)


def ensure_taxonomy(session: Session, taxonomy: Taxonomy | None = None) -> None:
    """Create or refresh the need taxonomy and its terms (English names; labels stay in data/)."""
    taxonomy = taxonomy or get_taxonomy()
    info = taxonomy.info
    row = session.get(TaxonomyRow, taxonomy_id())
    if row is None:
        session.add(
            TaxonomyRow(
                id=taxonomy_id(),
                name=info["name"],
                description=info.get("description", ""),
                version=info.get("version"),
            )
        )
    for need in taxonomy.needs.values():
        term = session.get(TaxonomyTerm, term_id(need.code))
        values = {
            "code": need.code,
            "name": need.label,
            "description": need.description,
            "parent_id": term_id(need.parent) if need.parent else None,
            "taxonomy": info["name"],
            "taxonomy_id": taxonomy_id(),
            "language": "en",
        }
        if term is None:
            session.add(TaxonomyTerm(id=term_id(need.code), **values))
        else:
            for name, value in values.items():
                setattr(term, name, value)
    session.flush()


def read_bundles(path: Path = PROVIDERS_FILE) -> Iterator[dict]:
    """Yield the bundles of a providers file."""
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def language_name(code: str) -> str:
    """Return a language's English name ("es" -> "Spanish")."""
    try:
        return Locale.parse(code).get_display_name("en") or code
    except (UnknownLocaleError, ValueError):
        return code


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


class _Rows:
    """Rows to insert, per table, in dependency order."""

    ORDER = (
        Organization,
        OrganizationIdentifier,
        Location,
        Address,
        Service,
        ServiceAtLocation,
        Phone,
        Schedule,
        Language,
        Attribute,
        Credential,
        CostOption,
        ServiceArea,
    )

    def __init__(self):
        self.by_table: dict[type, list[dict]] = {model: [] for model in self.ORDER}

    def add(self, model: type, **values) -> dict:
        self.by_table[model].append(values)
        return values

    def insert(self, session: Session) -> None:
        for model in self.ORDER:
            write_rows(session, model, self.by_table[model])


def _bundle_rows(rows: _Rows, bundle: dict, now) -> list[str]:
    """Add one bundle's rows; return the ids of its services."""
    org_id = stable_id("organization", bundle["key"])
    rows.add(
        Organization,
        id=org_id,
        name=bundle["name"][:300],
        alternate_name=bundle.get("alternate_name"),
        description=bundle.get("description") or "",
        email=bundle.get("email"),
        website=bundle.get("website"),
        tax_id=bundle.get("tax_id"),
        source_key=bundle["key"],
        sources=" ".join(bundle.get("sources", [])),
        verified=False,
        status="published",
        last_modified=now,
        version=1,
        parent_organization_id=None,
    )
    schemes: set[str] = set()
    for ident in bundle.get("identifiers", []):
        # A merged bundle may carry two identifiers of one scheme: the second is told apart by its value.
        suffix = f":{ident['identifier']}" if ident["scheme"] in schemes else ""
        schemes.add(ident["scheme"])
        rows.add(
            OrganizationIdentifier,
            id=stable_id("organization_identifier", f"{bundle['key']}:{ident['scheme']}{suffix}"),
            organization_id=org_id,
            identifier_scheme=ident["scheme"],
            identifier_type=ident["type"],
            identifier=ident["identifier"],
        )
    for index, phone in enumerate(bundle.get("phones", [])):
        rows.add(
            Phone,
            id=stable_id("phone", f"org:{bundle['key']}:{index}"),
            organization_id=org_id,
            number=phone["number"],
            extension=phone.get("extension"),
            type=phone.get("type", "voice"),
            public_contact=phone.get("public_contact", False),
            description=phone.get("description"),
        )
    location_ids = {}
    for loc in bundle["locations"]:
        location_id = stable_id("location", loc["key"])
        if location_id in location_ids.values():
            continue
        location_ids[loc["key"]] = location_id
        rows.add(
            Location,
            id=location_id,
            location_type="physical",
            organization_id=org_id,
            name=loc["name"][:300],
            latitude=loc["lat"],
            longitude=loc["lon"],
            confidential=loc["confidential"],
            geocode_precision=loc["precision"],
            state=loc.get("state"),
            county=loc.get("county"),
            timezone=loc.get("timezone"),
            source_key=f"{bundle['key']}@{loc['key']}",
            version=1,
        )
        address = loc["address"]
        rows.add(
            Address,
            id=stable_id("address", loc["key"]),
            location_id=location_id,
            address_1=address.get("address_1") or "",
            address_2=address.get("address_2"),
            city=address.get("city") or "",
            state_province=address.get("state_province") or "",
            postal_code=address.get("postal_code") or "",
            country="US",
            address_type="physical",
        )
        for index, phone in enumerate(loc.get("phones", [])):
            rows.add(
                Phone,
                id=stable_id("phone", f"loc:{loc['key']}:{index}"),
                location_id=location_id,
                number=phone["number"],
                extension=phone.get("extension"),
                type=phone.get("type", "voice"),
                public_contact=False,
                description=phone.get("description"),
            )
        for code in loc.get("languages", []):
            rows.add(
                Language,
                id=stable_id("language", f"loc:{loc['key']}:{code}"),
                location_id=location_id,
                code=code,
                name=language_name(code),
            )
    service_ids = []
    for svc in bundle["services"]:
        service_id = stable_id("service", svc["key"])
        service_ids.append(service_id)
        rows.add(
            Service,
            id=service_id,
            organization_id=org_id,
            name=svc["name"][:300],
            description=svc.get("description"),
            status="active",
            url=bundle.get("website"),
            email=bundle.get("email"),
            eligibility_description=svc.get("eligibility"),
            fees_description=COST_OPTIONS.get(svc.get("cost")),
            # Only an organization's confirmation sets assured_date; the source list's date is listed_on.
            assured_date=None,
            listed_on=_date(svc.get("listed_on")),
            last_modified=now,
            cost=svc.get("cost"),
            delivery=svc.get("delivery", "in-person"),
            capacity=None,
            placement=svc["placement"],
            version=1,
        )
        for key in svc.get("location_keys", []):
            if key in location_ids:
                rows.add(
                    ServiceAtLocation,
                    id=stable_id("service_at_location", f"{svc['key']}@{key}"),
                    service_id=service_id,
                    location_id=location_ids[key],
                )
        for index, phone in enumerate(svc.get("phones", [])):
            rows.add(
                Phone,
                id=stable_id("phone", f"svc:{svc['key']}:{index}"),
                service_id=service_id,
                number=phone["number"],
                type=phone.get("type", "voice"),
                description=phone.get("description"),
                public_contact=True,
                extension=None,
            )
        for index, sched in enumerate(svc.get("schedules", [])):
            rows.add(
                Schedule,
                id=stable_id("schedule", f"{svc['key']}:{index}"),
                service_id=service_id,
                freq="WEEKLY",
                byday=sched["byday"],
                opens_at=sched["opens_at"],
                closes_at=sched["closes_at"],
                description=sched.get("description"),
            )
        for code in svc.get("languages", []):
            rows.add(
                Language,
                id=stable_id("language", f"svc:{svc['key']}:{code}"),
                service_id=service_id,
                code=code,
                name=language_name(code),
            )
        for code in svc["needs"]:
            rows.add(
                Attribute,
                id=stable_id("attribute", f"{svc['key']}:{code}"),
                link_id=service_id,
                taxonomy_term_id=term_id(code),
                link_type="need",
                link_entity="service",
                value=None,
            )
        for kind in svc.get("credentials", []):
            rows.add(
                Credential,
                id=stable_id("credential", f"{svc['key']}:{kind}"),
                service_id=service_id,
                kind=kind,
                source="EOIR List of Pro Bono Legal Service Providers",
                checked_on=_date(svc.get("listed_on")),
            )
        if svc.get("cost"):
            rows.add(
                CostOption,
                id=stable_id("cost_option", svc["key"]),
                service_id=service_id,
                option=COST_OPTIONS[svc["cost"]],
                currency="USD",
                amount=0 if svc["cost"] == "free" else None,
            )
        for index, area in enumerate(svc.get("areas", [])):
            rows.add(
                ServiceArea,
                id=stable_id("service_area", f"{svc['key']}:{index}"),
                service_id=service_id,
                name=area.get("name") or AREA_NAMES.get(area["scope"]) or area.get("state"),
                description=area.get("description"),
                extent_type=area["scope"],
                scope=area["scope"],
                state=area.get("state"),
            )
    return service_ids


BATCH_BUNDLES = 500  # bundles per batch: a few thousand rows, and under SQLite's bound-parameter limit


def load_providers(
    session: Session,
    bundles: list[dict] | Iterator[dict],
    *,
    batch_size: int = BATCH_BUNDLES,
    commit_batches: bool = False,
    progress: Progress = no_progress,
) -> dict[str, int]:
    """Insert the bundles not yet in the database, a batch at a time; return counts of what was added.

    Memory stays flat however many bundles there are: ``bundles`` is read lazily and each batch is
    written (COPY on PostgreSQL) and indexed before the next is read. With ``commit_batches`` every
    batch is committed, so that no transaction (nor SQLite's write-ahead log) holds the whole load;
    running the load again adds what an interrupted one left out. ``progress`` is told how many
    bundles each batch held.
    """
    ensure_taxonomy(session)
    counts = {"organizations": 0, "locations": 0, "services": 0, "skipped": 0}
    parents: dict[str, str] = {}
    now = utcnow()
    for batch in batched(bundles, batch_size):
        _load_batch(session, batch, now, counts=counts, parents=parents)
        if commit_batches:
            session.commit()
        progress(len(batch))
    _link_parents(session, parents)
    analyze(session)
    return counts


def _load_batch(session: Session, batch: list[dict], now, *, counts: dict, parents: dict) -> None:
    """Write and index the bundles of one batch that are not in the database yet."""
    keys = [bundle["key"] for bundle in batch]
    existing = set(session.execute(select(Organization.source_key).where(Organization.source_key.in_(keys))).scalars())
    rows = _Rows()
    service_ids = []
    for bundle in batch:
        if bundle["key"] in existing:
            counts["skipped"] += 1
            continue
        service_ids += _bundle_rows(rows, bundle, now)
        if bundle.get("parent_key"):
            parents[stable_id("organization", bundle["key"])] = stable_id("organization", bundle["parent_key"])
    rows.insert(session)
    index_services(session, service_ids)
    counts["organizations"] += len(rows.by_table[Organization])
    counts["locations"] += len(rows.by_table[Location])
    counts["services"] += len(service_ids)


def _link_parents(session: Session, parents: dict[str, str]) -> None:
    """Link new child organizations to their parents, where the parent is in the database."""
    children = sorted(parents)
    for chunk in batched(children, BATCH_BUNDLES):
        wanted = {parents[child] for child in chunk}
        known = set(session.execute(select(Organization.id).where(Organization.id.in_(wanted))).scalars())
        for child in chunk:
            if parents[child] in known:
                session.execute(
                    update(Organization).where(Organization.id == child).values(parent_organization_id=parents[child])
                )
