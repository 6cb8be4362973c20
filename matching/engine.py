"""The matching engine: filter, rank and explain services-at-locations for a seeker.

Plain functions over the search index. Unknown is not no: where a filter asks what a listing does
not say (its languages, whether it takes new clients, its credentials, its hours), the listing stays,
ranked after the confirmed ones and marked, unless the filter is strict. Ranking is one sort key per
result (RANK_KEYS, in order): confirmed before unknown, then fit (need, language, capacity), then the
nearest kind of place (a site before an area), an exact address before a town or ZIP centre, then
distance, name and id, so the same query always gives the same order. Reasons are codes with
parameters; the web layer words them in the seeker's language.
"""

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import bindparam, null, or_, select
from sqlmodel import Session

from geo import EARTH_RADIUS_KM, bounding_box, distance_km
from matching.index import county_key
from matching.needs import get_taxonomy
from models import SearchEntry

CAPACITY_RANK = {"accepting": 2, None: 1, "waitlist": 0, "not-accepting": -1}
# A nearby site first, then the most local area that covers the seeker.
SCOPE_RANK = {None: 0, "county": 1, "state": 2, "national": 3}
DAY_CODES = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
# Filters whose data a listing may not give: without it the listing is "unknown", not "no".
UNKNOWABLE_FILTERS = ("language", "accepting", "credential", "open_now")
# Points that are a street address; "zip" and "place" are only a centre (location.geocode_precision).
EXACT_PRECISIONS = frozenset({"source", "manual"})
# The sort key of a result, in order (search() builds it; a SQL ranking must keep this order):
RANK_KEYS = (
    "unknown_filters",  # how many asked-for filters the listing does not answer (0: confirmed)
    "general_need",  # 0 for the need itself or a child of it, 1 for a general parent need
    "languages_matched",  # more of the asked-for languages first
    "capacity",  # accepting, unknown, waitlist, not accepting
    "scope",  # a site, then a county, a state, the whole country
    "inexact_site",  # an exact address before a town or ZIP centre
    "distance_km",
    "organization_name",
    "service_id",
)


@dataclass(frozen=True)
class SearchQuery:
    """What a seeker asks for. ``lat``/``lon`` come from the geocoder, with its state and county."""

    lat: float
    lon: float
    state: str | None = None
    county: str | None = None
    timezone: str | None = None
    need: str | None = None
    languages: tuple[str, ...] = ()
    cost: str | None = None  # "free", or "sliding-scale" (free or sliding scale)
    credentials: tuple[str, ...] = ()
    accepting: bool = False
    open_now: bool = False
    delivery: str | None = None  # "in-person" or "remote"
    radius_km: float = 50.0
    now: datetime | None = None  # aware, or naive UTC; injectable so that "open now" is testable
    # Filters (of UNKNOWABLE_FILTERS) that keep confirmed matches only, leaving out the unknown ones.
    strict: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Reason:
    """Why a result matched: a code ("distance", "language", ...) and its parameters."""

    code: str
    params: dict = field(default_factory=dict)


@dataclass
class Match:
    """One ranked result: a service at its nearest matching site, or through its service area."""

    service_id: str
    service_name: str
    organization_id: str
    organization_name: str
    location_id: str | None
    service_at_location_id: str | None
    distance_km: float | None
    area_scope: str | None
    area_state: str | None
    needs: list[str]
    matched_need: str | None
    general_match: bool
    languages: list[str]
    cost: str | None
    credentials: list[str]
    capacity: str | None
    delivery: str
    open_now: bool | None
    hours: str = ""
    timezone: str | None = None
    geocode_precision: str | None = None
    city: str | None = None
    # Asked-for filters this listing does not answer (see UNKNOWABLE_FILTERS), in that order.
    unknown: tuple[str, ...] = ()
    reasons: list[Reason] = field(default_factory=list)

    @property
    def area_only(self) -> bool:
        """Tell whether the service matched through its area, with no site nearby."""
        return self.location_id is None

    @property
    def exact(self) -> bool:
        """Tell whether the site's point is its street address (not a town or ZIP centre)."""
        return self.location_id is not None and self.geocode_precision in EXACT_PRECISIONS


@dataclass
class SearchResult:
    total: int
    page: int
    per_page: int
    matches: list[Match]
    confirmed: int = 0  # results that answer every asked-for filter
    unknown: int = 0  # results ranked after them: they do not say (languages, capacity, ...)
    nearby: int = 0  # results with a site within the radius (the rest match through their area)


class UnknownNeed(ValueError):
    """The need code is not in the taxonomy."""


# What ranking needs, fetched for every candidate; the rest (COLUMNS) only for the page shown.
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
COLUMNS = [
    SearchEntry.id,
    SearchEntry.need_code,
    SearchEntry.direct,
    SearchEntry.service_id,
    SearchEntry.organization_id,
    SearchEntry.location_id,
    SearchEntry.service_at_location_id,
    SearchEntry.latitude,
    SearchEntry.longitude,
    SearchEntry.scope,
    SearchEntry.state,
    SearchEntry.county,
    SearchEntry.service_name,
    SearchEntry.organization_name,
    SearchEntry.needs,
    SearchEntry.languages,
    SearchEntry.cost,
    SearchEntry.credentials,
    SearchEntry.capacity,
    SearchEntry.delivery,
    SearchEntry.hours,
    SearchEntry.timezone,
    SearchEntry.geocode_precision,
    SearchEntry.city,
]


def wanted_needs(need: str | None) -> tuple[set[str], set[str]]:
    """Return (codes matched by any row, codes matched only by a service's own tag).

    The need itself matches through every row (its children carry it as an ancestor row);
    a parent of the need matches only where a service is tagged with the parent itself
    (general help, ranked lower). No need: every top-level need.
    """
    taxonomy = get_taxonomy()
    if need is None:
        return {top.code for top in taxonomy.top_level}, set()
    if need not in taxonomy:
        raise UnknownNeed(need)
    return {need}, set(taxonomy.ancestors(need))


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


def candidate_rows(session: Session, query: SearchQuery) -> list:
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


def local_time(now: datetime, timezone: str | None) -> datetime:
    """Return ``now`` (aware) in the site's time zone (Eastern when unknown)."""
    try:
        return now.astimezone(ZoneInfo(timezone or "America/New_York"))
    except ZoneInfoNotFoundError:
        return now


def hours_on(hours: str, day: str) -> list[tuple[str, str]]:
    """Return the (opens, closes) spans of compact weekly ``hours`` on a day ("MO")."""
    spans = []
    for part in hours.split(";") if hours else []:
        code, _, span = part.partition(" ")
        opens, _, closes = span.partition("-")
        if code == day:
            spans.append((opens, closes))
    return sorted(spans)


def is_open(hours: str, timezone: str | None, now: datetime) -> bool | None:
    """Tell whether weekly ``hours`` are open at ``now`` (aware); None when hours are unknown."""
    if not hours:
        return None
    local = local_time(now, timezone)
    clock = local.strftime("%H:%M")
    return any(opens <= clock < closes for opens, closes in hours_on(hours, DAY_CODES[local.weekday()]))


def _codes(bar: str) -> list[str]:
    return [code for code in bar.split("|") if code]


def search(session: Session, query: SearchQuery, *, page: int = 1, per_page: int = 20) -> SearchResult:
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
         capacity, _delivery, hours, timezone, organization_name, precision) in candidate_rows(session, query):
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
        if current is None or key < current[0]:
            best[service_id] = (key, entry_id, distance, tuple(unknown))
    ranked = sorted(best.values())
    start = (page - 1) * per_page
    shown = ranked[start : start + per_page]
    full = {
        row.id: row
        for row in session.connection().execute(
            select(*COLUMNS).where(SearchEntry.id.in_([entry_id for _, entry_id, _, _ in shown]))
        )
    }
    matches = [_match(full[entry_id], distance, unknown, now, query) for _, entry_id, distance, unknown in shown]
    confirmed = sum(1 for key, _, _, _ in ranked if key[0] == 0)
    return SearchResult(
        total=len(ranked),
        page=page,
        per_page=per_page,
        matches=matches,
        confirmed=confirmed,
        unknown=len(ranked) - confirmed,
        nearby=sum(1 for _, _, distance, _ in ranked if distance is not None),
    )


def _match(row, distance: float | None, unknown: tuple[str, ...], now: datetime, query: SearchQuery) -> Match:
    """Build a Match with its reasons; the shown distance is geopy's great-circle distance."""
    open_now = is_open(row.hours, row.timezone or query.timezone, now)
    if row.latitude is not None:
        distance = distance_km(query.lat, query.lon, row.latitude, row.longitude)
    spoken = _codes(row.languages)
    general = query.need is not None and row.need_code != query.need
    match = Match(
        service_id=row.service_id,
        service_name=row.service_name,
        organization_id=row.organization_id,
        organization_name=row.organization_name,
        location_id=row.location_id,
        service_at_location_id=row.service_at_location_id,
        distance_km=distance,
        area_scope=row.scope,
        area_state=row.state,
        needs=_codes(row.needs),
        matched_need=row.need_code,
        general_match=general,
        languages=spoken,
        cost=row.cost,
        credentials=_codes(row.credentials),
        capacity=row.capacity,
        delivery=row.delivery,
        open_now=open_now,
        hours=row.hours,
        timezone=row.timezone or query.timezone,
        geocode_precision=row.geocode_precision,
        city=row.city,
        unknown=unknown,
    )
    match.reasons = explain(match, row, query)
    return match


def explain(match: Match, row, query: SearchQuery) -> list[Reason]:
    """Say why a result matched, most telling first."""
    reasons = []
    if match.distance_km is not None and match.exact:
        reasons.append(Reason("distance", {"km": round(match.distance_km, 1)}))
    elif match.distance_km is not None:
        # A town or ZIP centre: its distance would be made up ("0.0 km"), its town is not.
        reasons.append(Reason("in_town", {"city": match.city, "state": row.state}))
    elif row.scope == "national":
        reasons.append(Reason("area_national"))
    elif row.scope == "state":
        reasons.append(Reason("area_state", {"state": row.state}))
    else:
        reasons.append(Reason("area_county", {"county": query.county, "state": row.state}))
    if query.need:
        if match.general_match:
            reasons.append(Reason("need_general", {"needs": [query.need]}))
        else:
            taxonomy = get_taxonomy()
            family = {query.need, *taxonomy.descendants(query.need)}
            reasons.append(Reason("need", {"needs": [code for code in match.needs if code in family] or [query.need]}))
    for code in query.languages:
        if code in match.languages:
            reasons.append(Reason("language", {"language": code}))
    if "language" in match.unknown:
        reasons.append(Reason("language_unknown"))
    if match.cost in ("free", "sliding-scale"):
        reasons.append(Reason(match.cost.replace("-", "_")))
    for credential in match.credentials:
        reasons.append(Reason("credential", {"credential": credential}))
    if "credential" in match.unknown:
        reasons.append(Reason("credential_unknown"))
    if match.capacity == "accepting":
        reasons.append(Reason("accepting"))
    if "accepting" in match.unknown:
        reasons.append(Reason("accepting_unknown"))
    if match.open_now:
        reasons.append(Reason("open_now"))
    if "open_now" in match.unknown:
        reasons.append(Reason("hours_unknown"))
    if match.delivery in ("remote", "both"):
        reasons.append(Reason("remote"))
    return reasons
