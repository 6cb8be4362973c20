"""Build the search index (models.search.SearchEntry) from the HSDS tables.

Call ``reindex_services`` after any change to a service, its locations or its organization;
``rebuild_index`` after a bulk load. Both leave committing to the caller. Government agencies, their
facilities and immigration courts (matching.screening) get no rows: they are never offered as help.

Every write to the index (here, in matching.bulk_index and seed.refresh) ends with
``mark_index_changed``, in the same transaction: the results cache (matching.cache) keys its answers
by ``index_version``, so a committed change invalidates every cached answer, in every process.
"""

import functools
import weakref
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import delete, insert, select, text, update
from sqlmodel import Session, SQLModel

from matching.confidential import public_point, public_precision
from matching.needs import get_taxonomy
from matching.screening import government_reason
from models import (
    Address,
    Attribute,
    Credential,
    DirectoryState,
    Language,
    Location,
    Organization,
    Schedule,
    SearchEntry,
    Service,
    ServiceArea,
    ServiceAtLocation,
    TaxonomyTerm,
)
from models.base import utcnow
from models.directory import DIRECTORY_STATE_ID
from models.search import grid_cell

AREA_SCOPES_MATCHED = ("national", "state", "county")
CHUNK = 900  # stays under SQLite's limit on bound parameters


# PostGIS's schema by engine (None: no PostGIS point in the index), looked up once per engine.
_POSTGIS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def postgis_schema(connection) -> str | None:
    """Return the schema of PostGIS when the search index has its point (``geog``), else None.

    The migration adds the point only where PostGIS was installed (and AMPARO_POSTGIS was not "off"),
    so the column, not the extension alone, decides. Cached per engine: the schema does not change
    while the app runs.
    """
    if connection.dialect.name != "postgresql":
        return None
    engine = connection.engine
    if engine not in _POSTGIS:
        _POSTGIS[engine] = connection.execute(
            text(
                "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
                " WHERE e.extname = 'postgis' AND EXISTS (SELECT 1 FROM information_schema.columns"
                " WHERE table_schema = current_schema() AND table_name = 'search_entry'"
                " AND column_name = 'geog')"
            )
        ).scalar()
    return _POSTGIS[engine]


def _chunks(items: list[str], size: int = CHUNK) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _bar(values: Iterable[str]) -> str:
    """Return values as "|a|b|", so that a LIKE or an ``in`` test finds whole codes."""
    values = sorted(set(values))
    return "|" + "|".join(values) + "|" if values else ""


def compact_hours(schedules: list[Schedule]) -> str:
    """Return weekly hours compactly: "MO 09:00-17:00;TU 09:00-17:00"."""
    parts = []
    for schedule in schedules:
        if schedule.freq not in (None, "WEEKLY") or not schedule.opens_at or not schedule.closes_at:
            continue
        for day in (schedule.byday or "").split(","):
            if day:
                parts.append(f"{day} {schedule.opens_at}-{schedule.closes_at}")
    return ";".join(parts)


def mark_index_changed(session: Session) -> None:
    """Bump the directory's version (models.directory), in the caller's transaction.

    Called last by each index write, so that the row stays locked (PostgreSQL) only from there to the
    commit: writers in parallel (bench/build.py's workers) wait on each other for that moment only.
    """
    bumped = session.execute(
        update(DirectoryState)
        .where(DirectoryState.id == DIRECTORY_STATE_ID)
        .values(version=DirectoryState.version + 1, changed_at=utcnow())
    )
    if bumped.rowcount == 0:  # a database whose tables were made without the migration's row
        session.execute(insert(DirectoryState).values(id=DIRECTORY_STATE_ID, version=1, changed_at=utcnow()))


@functools.cache
def _version_statement():
    """Build the version's query once (every search reads it; building it cost more than the read)."""
    return select(DirectoryState.version, DirectoryState.changed_at).where(DirectoryState.id == DIRECTORY_STATE_ID)


def index_version(session: Session) -> str:
    """Return the directory's version: a text that changes with every committed write to the index.

    The time is in it as well as the counter: a change rolled back and another one committed would
    give the same counter twice.
    """
    row = session.connection().execute(_version_statement()).first()
    return f"{row.version}@{row.changed_at.isoformat()}" if row else "0"


def reindex_services(session: Session, service_ids: list[str]) -> int:
    """Replace the index rows of these services; return how many rows were written."""
    written = 0
    for chunk in _chunks(sorted(set(service_ids))):
        session.execute(delete(SearchEntry).where(SearchEntry.service_id.in_(chunk)))
        rows = entries_for(session, chunk)
        if rows:
            session.execute(insert(SearchEntry), rows)
        written += len(rows)
    mark_index_changed(session)
    return written


def analyze(session: Session) -> None:
    """Refresh the planner's statistics after a bulk change (SQLite and PostgreSQL alike).

    On PostgreSQL a bare ANALYZE goes through every table of the database, other schemas included
    (parallel test runs deadlocked on it): name the app's own tables, found in the current schema.
    """
    if session.get_bind().dialect.name != "postgresql":
        session.execute(text("ANALYZE"))
        return
    tables = [f'"{table.name}"' for table in SQLModel.metadata.sorted_tables]
    session.execute(text("ANALYZE " + ", ".join(tables)))


def cluster(session: Session) -> None:
    """On PostgreSQL, store the index rows in (need_code, cell) order, then refresh the statistics.

    A search reads the rows of one need in a few grid cells: clustered, they sit on a few hundred
    pages instead of one page each (at 1M services, a dense search read 25,457 pages, then 1,510).
    CLUSTER locks the table while it rewrites it (about 2 minutes at 1M services), so it runs after a
    whole rebuild (``flask reindex``, a first seed, the benchmark's build), not after each edit; rows
    written later go where there is room, and the next rebuild puts them in order again.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("CLUSTER search_entry USING ix_search_entry_need_cell"))
    analyze(session)


def rebuild_index(session: Session) -> int:
    """Rebuild the whole index; return how many rows were written."""
    session.execute(delete(SearchEntry))
    ids = list(session.execute(select(Service.id)).scalars())
    written = 0
    for chunk in _chunks(ids):
        rows = entries_for(session, chunk)
        if rows:
            session.execute(insert(SearchEntry), rows)
        written += len(rows)
    mark_index_changed(session)
    cluster(session)
    return written


def entries_for(session: Session, service_ids: list[str]) -> list[dict]:
    """Compute the index rows of a batch of services with a fixed number of queries."""
    taxonomy = get_taxonomy()
    services = [
        (service, name)
        for service, name, description in session.execute(
            select(Service, Organization.name, Organization.description)
            .join(Organization, Organization.id == Service.organization_id)
            .where(Service.id.in_(service_ids), Service.status == "active", Organization.status == "published")
        )
        # Agencies, their facilities and immigration courts are never offered as help, however they got in.
        if government_reason(name, description or "") is None
    ]
    if not services:
        return []
    ids = [service.id for service, _ in services]
    term_codes = dict(session.execute(select(TaxonomyTerm.id, TaxonomyTerm.code)).all())
    needs = defaultdict(set)
    for link_id, term_id in session.execute(
        select(Attribute.link_id, Attribute.taxonomy_term_id).where(
            Attribute.link_entity == "service", Attribute.link_id.in_(ids)
        )
    ):
        code = term_codes.get(term_id)
        if code in taxonomy:
            needs[link_id].add(code)
    languages = defaultdict(set)
    for service_id, code in session.execute(
        select(Language.service_id, Language.code).where(Language.service_id.in_(ids))
    ):
        if code:
            languages[service_id].add(code)
    credentials = defaultdict(set)
    for service_id, kind in session.execute(
        select(Credential.service_id, Credential.kind).where(Credential.service_id.in_(ids))
    ):
        credentials[service_id].add(kind)
    sites = defaultdict(list)
    for sal, location in session.execute(
        select(ServiceAtLocation, Location)
        .join(Location, Location.id == ServiceAtLocation.location_id)
        .where(ServiceAtLocation.service_id.in_(ids))
    ):
        sites[sal.service_id].append((sal, location))
    location_ids = [loc.id for pairs in sites.values() for _, loc in pairs]
    towns = {}
    for chunk in _chunks(location_ids):
        for location_id, city in session.execute(
            select(Address.location_id, Address.city).where(Address.location_id.in_(chunk))
        ):
            if city and city.strip():
                towns.setdefault(location_id, city.strip())
    location_languages = defaultdict(set)
    for chunk in _chunks(location_ids):
        for location_id, code in session.execute(
            select(Language.location_id, Language.code).where(Language.location_id.in_(chunk))
        ):
            if code:
                location_languages[location_id].add(code)
    schedules = defaultdict(list)
    for schedule in session.execute(select(Schedule).where(Schedule.service_id.in_(ids))).scalars():
        schedules[schedule.service_id].append(schedule)
    location_schedules = defaultdict(list)
    for chunk in _chunks(location_ids):
        for schedule in session.execute(select(Schedule).where(Schedule.location_id.in_(chunk))).scalars():
            location_schedules[schedule.location_id].append(schedule)
    areas = defaultdict(list)
    for area in session.execute(
        select(ServiceArea).where(ServiceArea.service_id.in_(ids), ServiceArea.scope.in_(AREA_SCOPES_MATCHED))
    ).scalars():
        areas[area.service_id].append(area)

    rows = []
    for service, organization_name in services:
        own = needs.get(service.id)
        if not own:
            continue
        expanded = [(code, True) for code in sorted(own)]
        expanded += [(code, False) for code in sorted(taxonomy.with_ancestors(own) - own)]
        common = {
            "service_id": service.id,
            "organization_id": service.organization_id,
            "service_name": service.name,
            "organization_name": organization_name,
            "needs": _bar(own),
            "cost": service.cost,
            "credentials": _bar(credentials[service.id]),
            "capacity": service.capacity,
            "delivery": service.delivery,
        }
        for sal, location in sites[service.id]:
            point = public_point(location)  # a confidential site is searched at its ZIP centre only
            if point is None:
                continue
            hours = compact_hours(location_schedules[location.id] + schedules[service.id])
            for code, direct in expanded:
                rows.append(
                    {
                        **common,
                        "need_code": code,
                        "direct": direct,
                        "location_id": location.id,
                        "service_at_location_id": sal.id,
                        "latitude": point[0],
                        "longitude": point[1],
                        "cell": grid_cell(point[0], point[1]),
                        "geocode_precision": public_precision(location),
                        # A confidential site's town stays private, like the rest of its address.
                        "city": None if location.confidential else towns.get(location.id),
                        "scope": None,
                        "state": location.state,
                        "county": location.county,
                        "languages": _bar(languages[service.id] | location_languages[location.id]),
                        "hours": hours,
                        "timezone": location.timezone,
                    }
                )
        for area in areas[service.id]:
            if area.scope != "national" and not area.state:
                continue
            for code, direct in expanded:
                rows.append(
                    {
                        **common,
                        "need_code": code,
                        "direct": direct,
                        "location_id": None,
                        "service_at_location_id": None,
                        "latitude": None,
                        "longitude": None,
                        "cell": None,
                        "geocode_precision": None,
                        "city": None,
                        "scope": area.scope,
                        "state": area.state if area.scope != "national" else None,
                        "county": county_key(area.name) if area.scope == "county" else None,
                        "languages": _bar(languages[service.id]),
                        "hours": compact_hours(schedules[service.id]),
                        "timezone": None,
                    }
                )
    return rows


def county_key(name: str | None) -> str | None:
    """Normalise a county name ("Dallas", "Dallas County") for comparison."""
    if not name:
        return None
    key = name.strip().lower()
    for suffix in (" county", " parish", " borough", " census area", " municipality"):
        key = key.removesuffix(suffix)
    return key
