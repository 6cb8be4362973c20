"""The matching engine's ranking as it was before issue #14: every candidate fetched, ranked in Python.

Kept as the reference that tests/test_ranking_equivalence.py compares the database-ranked engine
with; not used by the app. Verbatim but for names, and for one tie: two rows of a service with the
same key (a site under two needs) are settled by need code, then row, as SQLite's index order did.
"""

import math
from datetime import UTC, datetime
from functools import lru_cache

from sqlalchemy import bindparam, null, or_, select
from sqlmodel import Session

from geo import EARTH_RADIUS_KM, bounding_box
from matching.engine import (
    CAPACITY_RANK,
    COLUMNS,
    EXACT_PRECISIONS,
    SCOPE_RANK,
    SearchQuery,
    SearchResult,
    _match,
    is_open,
    wanted_needs,
)
from matching.index import county_key
from models import SearchEntry

RANK_COLUMNS = [
    SearchEntry.id,
    SearchEntry.service_id,
    SearchEntry.need_code,
    SearchEntry.direct,
    SearchEntry.latitude,
    SearchEntry.longitude,
    SearchEntry.scope,
    SearchEntry.state,
    SearchEntry.county,
    SearchEntry.languages,
    SearchEntry.cost,
    SearchEntry.credentials,
    SearchEntry.capacity,
    SearchEntry.delivery,
    SearchEntry.hours,
    SearchEntry.timezone,
    SearchEntry.organization_name,
    SearchEntry.geocode_precision,
]


def _rank_columns(kind: str, languages: bool, credentials: bool, hours: bool) -> list:
    """Return RANK_COLUMNS, with NULL in place of what this search does not look at (less to fetch)."""
    unused = set()
    if kind.startswith("site"):
        unused |= {"scope", "state", "county"}
    else:
        unused.add("geocode_precision")
    if not languages:
        unused.add("languages")
    if not credentials:
        unused.add("credentials")
    if not hours:
        unused |= {"hours", "timezone"}
    unused |= {"cost", "delivery"}  # filtered in SQL
    return [null().label(column.key) if column.key in unused else column for column in RANK_COLUMNS]


@lru_cache(maxsize=256)
def _statement(
    kind: str, cost: str | None, accepting: str | None, delivery: str | None, columns: tuple[bool, bool, bool]
):
    """Build (once) the candidate query for a kind of lookup and the filters cheap to apply in SQL.

    ``accepting``: "strict" keeps services accepting new clients; "or-unknown" keeps those that do
    not say as well (they rank after); None looks at no capacity.
    kind "site": a need code near the seeker, one range on the (need_code, latitude) index;
    "site-direct": the same, only for a service's own tag; "national", and "area" by (scope, state).
    Statements are cached with bound parameters: building SQL per search costs more than running it.
    """
    if kind in ("national", "area"):
        # Equality on every column of the (scope, state, need_code) index.
        state = SearchEntry.state.is_(None) if kind == "national" else SearchEntry.state == bindparam("state")
        where = [
            SearchEntry.scope == bindparam("scope"),
            state,
            SearchEntry.need_code.in_(bindparam("codes", expanding=True)),
        ]
    else:
        where = [
            SearchEntry.need_code == bindparam("code"),
            SearchEntry.latitude.between(bindparam("min_lat"), bindparam("max_lat")),
            SearchEntry.longitude.between(bindparam("min_lon"), bindparam("max_lon")),
        ]
        if kind == "site-direct":
            where.append(SearchEntry.direct.is_(True))
    if cost == "free":
        where.append(SearchEntry.cost == "free")
    elif cost == "sliding-scale":
        where.append(SearchEntry.cost.in_(("free", "sliding-scale")))
    if accepting == "strict":
        where.append(SearchEntry.capacity == "accepting")
    elif accepting == "or-unknown":
        where.append(or_(SearchEntry.capacity == "accepting", SearchEntry.capacity.is_(None)))
    if delivery == "remote":
        where.append(SearchEntry.delivery != "in-person")
    elif delivery == "in-person":
        where.append(SearchEntry.delivery != "remote")
    return select(*_rank_columns(kind, *columns)).where(*where)


def old_candidate_rows(session: Session, query: SearchQuery) -> list:
    """Fetch index rows near the seeker (bounding box) and rows whose area covers them.

    One indexed lookup per need code, each a range on (need_code, latitude); area rows are
    few and fetched by (scope, state) alone, then sorted out here, so that the planner never
    trades the site index for the area one. Core statements: no ORM overhead per row.
    """
    any_row, direct_only = wanted_needs(query.need)
    min_lat, max_lat, min_lon, max_lon = bounding_box(query.lat, query.lon, query.radius_km)
    box = {"min_lat": min_lat, "max_lat": max_lat, "min_lon": min_lon, "max_lon": max_lon}
    accepting = ("strict" if "accepting" in query.strict else "or-unknown") if query.accepting else None
    filters = (query.cost, accepting, query.delivery,
               (bool(query.languages), bool(query.credentials), query.open_now))
    connection = session.connection()
    rows = []
    for kind, codes in (("site", any_row), ("site-direct", direct_only)):
        statement = _statement(kind, *filters)
        for code in sorted(codes):
            rows += connection.execute(statement, {"code": code, **box}).all()
    codes = sorted(any_row | direct_only)
    areas = [(_statement("national", *filters), {"scope": "national", "codes": codes})]
    if query.state:
        areas += [
            (_statement("area", *filters), {"scope": scope, "state": query.state, "codes": codes})
            for scope in ("state", "county")
        ]
    for statement, params in areas:
        rows += [
            row
            for row in connection.execute(statement, params).all()
            if row.need_code in any_row or (row.need_code in direct_only and row.direct)
        ]
    return rows


def old_search(session: Session, query: SearchQuery, *, page: int = 1, per_page: int = 20) -> SearchResult:
    """Return one page of ranked matches for ``query``, with the counts of each kind of result."""
    now = query.now or datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    wanted_languages = set(query.languages)
    wanted_credentials = set(query.credentials)
    strict = query.strict
    county = county_key(query.county)
    # Haversine inlined: this loop runs for every candidate, and a call per row costs more than the math.
    lat0, lon0, radius = math.radians(query.lat), math.radians(query.lon), query.radius_km
    cos_lat0 = math.cos(lat0)
    best: dict[str, tuple] = {}
    for (entry_id, service_id, need_code, _direct, lat, lon, scope, state, row_county, languages, _cost, credentials,
         capacity, _delivery, hours, timezone, organization_name, precision) in old_candidate_rows(session, query):
        if lat is not None:
            half_dlat = (math.radians(lat) - lat0) / 2
            half_dlon = (math.radians(lon) - lon0) / 2
            a = math.sin(half_dlat) ** 2 + cos_lat0 * math.cos(math.radians(lat)) * math.sin(half_dlon) ** 2
            distance = 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))
            if distance > radius:
                continue
        elif scope == "national" or (state == query.state and (scope == "state" or row_county == county)):
            if query.delivery == "in-person":
                continue
            distance = None
        else:
            continue
        unknown = []
        spoken = set(languages.strip("|").split("|")) if languages else set()
        if wanted_languages:
            if not spoken:
                if "language" in strict:
                    continue
                unknown.append("language")
            elif not spoken & wanted_languages:
                continue
        if query.accepting and capacity is None:
            unknown.append("accepting")  # the SQL kept only accepting or unknown (unless strict)
        if wanted_credentials:
            held = set(credentials.strip("|").split("|")) if credentials else set()
            if not held:
                if "credential" in strict:
                    continue
                unknown.append("credential")
            elif not held & wanted_credentials:
                continue
        if query.open_now:
            is_open_now = is_open(hours, timezone or query.timezone, now)
            if is_open_now is False or (is_open_now is None and "open_now" in strict):
                continue
            if is_open_now is None:
                unknown.append("open_now")
        key = (  # RANK_KEYS, in order
            len(unknown),
            1 if query.need is not None and need_code != query.need else 0,
            -len(spoken & wanted_languages),
            -CAPACITY_RANK.get(capacity, 1),
            SCOPE_RANK.get(scope, 0),
            0 if lat is None or precision in EXACT_PRECISIONS else 1,
            distance if distance is not None else 0.0,
            organization_name.lower(),
            service_id,
        )
        current = best.get(service_id)
        # Two rows of a service with the same key (a site under two needs): the first need code, then row.
        if current is None or (key, need_code, entry_id) < (current[0], current[4], current[1]):
            best[service_id] = (key, entry_id, distance, tuple(unknown), need_code)
    ranked = sorted(best.values())
    start = (page - 1) * per_page
    shown = ranked[start : start + per_page]
    full = {
        row.id: row
        for row in session.connection().execute(
            select(*COLUMNS).where(SearchEntry.id.in_([entry_id for _, entry_id, _, _, _ in shown]))
        )
    }
    matches = [_match(full[entry_id], distance, unknown, now, query) for _, entry_id, distance, unknown, _ in shown]
    confirmed = sum(1 for key, _, _, _, _ in ranked if key[0] == 0)
    return SearchResult(
        total=len(ranked),
        page=page,
        per_page=per_page,
        matches=matches,
        confirmed=confirmed,
        unknown=len(ranked) - confirmed,
        nearby=sum(1 for _, _, distance, _, _ in ranked if distance is not None),
    )


