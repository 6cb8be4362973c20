"""The matching engine: filter, rank and explain services-at-locations for a seeker.

Plain functions over the search index. Unknown is not no: where a filter asks what a listing does
not say (its languages, whether it takes new clients, its credentials, its hours), the listing stays,
ranked after the confirmed ones and marked, unless the filter is strict. Ranking is one sort key per
result (RANK_KEYS, in order): confirmed before unknown, then fit (need, language, capacity), then the
nearest kind of place (a site before an area), an exact address before a town or ZIP centre, then
distance, name and id, so the same query always gives the same order. Reasons are codes with
parameters; the web layer words them in the seeker's language.

The database ranks: one query orders the candidates by the rank keys (up to the distance) and
hands over only the rows of the page asked for, found through the spatial index (grid cells, or
PostGIS for small circles where it is installed); Python checks each row read and breaks the last
ties. A wide search ranks a 10 km circle first, and keeps its page when nothing further away can
rank before it (_settled_near). The same query counts every result (services, confirmed, nearby),
so the candidates are read once. Only a page settled in the small circle, or an "open now" search,
counts apart: the rows stream in unordered and reading stops once the counts pass RESULT_CAP
("1,000+").
"""

import functools
import math
import operator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import (
    Float,
    Integer,
    and_,
    any_,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Session

from geo import EARTH_RADIUS_KM, bounding_box, distance_km
from matching.index import county_key, postgis_schema
from matching.needs import get_taxonomy
from models import SearchEntry
from models.search import CELL_ROW, GRID_DEGREES, lat_band, lon_band

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
    # More than RESULT_CAP matched: ``total`` (and the counts) stop there; say "1,000+".
    total_capped: bool = False


# Results counted exactly; beyond, the total reads "1,000+" (SearchResult.total_capped).
RESULT_CAP = 1000
# Rows read per result wanted, at first: a service has a row per site and per matched need.
ROWS_PER_RESULT = 4
MIN_ROWS = 500  # rows read at first, whatever the page (see _ranked)
# The database computes a row's haversine "a" and Python again: read past ties by this much, far
# more than the rounding between the two, far less than a centimetre.
A_SLACK = 1e-12
# A circle touching more grid cells than this reads whole latitude bands instead. Every radius a search
# may ask (up to 500 km, SEARCH_MAX_RADIUS_KM) stays under it up to 65 degrees north: at 40 degrees a
# 100 km circle touches 368 cells of 0.1 degree, a 500 km one 8,490; at 65 degrees 654 and 15,374. The
# wider circles of a thin result (250, 500 km) then share their statements with the usual searches.
MAX_CELLS = 20_000
# The costs a cost filter lets through, and the delivery a delivery filter leaves out.
COSTS_ALLOWED = {"free": ("free",), "sliding-scale": ("free", "sliding-scale")}
OTHER_DELIVERY = {"remote": "in-person", "in-person": "remote"}
# A search this much wider ranks this circle first (see _settled_near).
INNER_RADIUS_KM = 10.0
# Circles up to this radius use PostGIS's index as well, where it is installed (see _prepare).
POSTGIS_MAX_RADIUS_KM = 30.0


class UnknownNeed(ValueError):
    """The need code is not in the taxonomy."""


# What the page shown needs (ranking reads its own columns, see _statement).
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


@dataclass(frozen=True)
class _Shape:
    """What the SQL of a search depends on: statements are built once per shape, values are bound."""

    dialect: str
    postgis: str | None  # PostGIS's schema when the index has its point (matching.index.postgis_schema)
    cell_list: bool  # the grid cells the circle touches, as a list (else whole latitude bands)
    need: bool
    direct: bool  # the need has parents: rows tagged with a parent itself match (general help)
    areas: tuple[str, ...]  # area scopes looked at
    county_known: bool
    languages: int
    credentials: int
    cost: bool  # the costs allowed are a value (see _filters)
    accepting: str | None  # "strict", "or-unknown" or None (see _filters)
    open_now: bool
    strict: frozenset[str]
    delivery: bool  # the delivery left out is a value


# The sort key of a row as the database computes it: RANK_KEYS up to the distance, which is the
# haversine "a" (it grows with the distance); Python breaks the remaining ties (name, id).
SQL_KEYS = ("k_unknown", "k_general", "k_languages", "k_capacity", "k_scope", "k_inexact", "k_a")
# What counting reads of each row after its first keys (see _count_results).
COUNT_COLUMNS = ("service_id", "latitude")
COUNT_BATCH = 1000  # rows fetched at a time while counting
# What Python reads of each row after the keys, in this order.
ROW_COLUMNS = (
    "id", "service_id", "need_code", "latitude", "longitude", "scope", "state", "county", "languages",
    "credentials", "capacity", "hours", "timezone", "organization_name", "geocode_precision",
)


def _contains(dialect: str, column, param: str):
    """Return SQL telling whether a "|a|b|" column holds the bound "|code|" (case-sensitive, no LIKE)."""
    finder = func.strpos if dialect == "postgresql" else func.instr
    return finder(column, bindparam(param)) > 0


def _count(conditions: list):
    """Return SQL counting the true conditions (0 when there are none)."""
    if not conditions:
        return literal_column("0", Integer)
    terms = [case((condition, 1), else_=0) for condition in conditions]
    return functools.reduce(operator.add, terms)


def _filters(shape: _Shape, languages: list, credentials: list) -> list:
    """Return the conditions every row meets: the filters, with "unknown" rows kept unless strict."""
    where = []
    # Cost and delivery are values, not statements of their own: fewer shapes to build and compile.
    if shape.cost:
        where.append(SearchEntry.cost.in_(bindparam("costs", expanding=True)))
    if shape.accepting == "strict":
        where.append(SearchEntry.capacity == "accepting")
    elif shape.accepting == "or-unknown":
        where.append(or_(SearchEntry.capacity == "accepting", SearchEntry.capacity.is_(None)))
    if shape.delivery:
        where.append(SearchEntry.delivery != bindparam("other_delivery"))
    for column, matches, name in (
        (SearchEntry.languages, languages, "language"),
        (SearchEntry.credentials, credentials, "credential"),
    ):
        if matches:
            where.append(or_(*matches) if name in shape.strict else or_(column == "", *matches))
    if shape.open_now and "open_now" in shape.strict:
        where.append(SearchEntry.hours != "")
    return where


def _haversine_a():
    """Return SQL for the haversine "a" between a row's point and the bound seeker's (in radians)."""
    lat = func.radians(SearchEntry.latitude)
    half_dlat = func.sin((lat - bindparam("lat0", type_=Float)) / 2)
    half_dlon = func.sin((func.radians(SearchEntry.longitude) - bindparam("lon0", type_=Float)) / 2)
    return half_dlat * half_dlat + bindparam("cos_lat0", type_=Float) * func.cos(lat) * half_dlon * half_dlon


def _near(shape: _Shape, a) -> list:
    """Return the conditions of a site within the radius: the spatial index first, then the exact test."""
    if not shape.cell_list:
        cells = SearchEntry.cell.between(bindparam("min_cell"), bindparam("max_cell"))
    elif shape.dialect == "postgresql":
        # One array value: the statement's text is the same however many cells (PostgreSQL's plan cache).
        cells = SearchEntry.cell == any_(bindparam("cells", type_=ARRAY(Integer)))
    else:
        cells = SearchEntry.cell.in_(bindparam("cells", expanding=True))
    if shape.postgis:
        # Both indexes on offer: the planner takes the GiST one where the need is rare in the circle,
        # (need_code, cell) where it is common (a top-level need, no need), or both.
        schema = f'"{shape.postgis}"'
        point = f"{schema}.st_setsrid({schema}.st_makepoint(:lon_deg, :lat_deg), 4326)::{schema}.geography"
        return [cells, text(f"{schema}.st_dwithin(geog, {point}, :within_m)"), a <= bindparam("max_a", type_=Float)]
    return [
        cells,
        SearchEntry.latitude.between(bindparam("min_lat"), bindparam("max_lat")),
        SearchEntry.longitude.between(bindparam("min_lon"), bindparam("max_lon")),
        a <= bindparam("max_a", type_=Float),
    ]


def _candidates(shape: _Shape, *, counting: bool = False):
    """Build the candidate rows of a search with their rank keys (SQL_KEYS), as one UNION ALL.

    One part per kind of row: sites for the need (the (need_code, cell) index or PostGIS's), sites
    tagged with a parent of the need, and area rows by (scope, state). ``counting``: the few columns
    that counting needs (COUNT_COLUMNS), and the area rows first.
    """
    entry = SearchEntry
    languages = [_contains(shape.dialect, entry.languages, f"language_{i}") for i in range(shape.languages)]
    credentials = [_contains(shape.dialect, entry.credentials, f"credential_{i}") for i in range(shape.credentials)]
    unknown = []
    if languages:
        unknown.append(entry.languages == "")
    if shape.accepting:
        unknown.append(entry.capacity.is_(None))
    if credentials:
        unknown.append(entry.credentials == "")
    if shape.open_now:
        unknown.append(entry.hours == "")
    fit = [
        _count(unknown).label("k_unknown"),
        (case((entry.need_code == bindparam("need"), 0), else_=1) if shape.need else literal_column("0", Integer))
        .label("k_general"),
        (-_count(languages)).label("k_languages"),
        case(
            (entry.capacity == "accepting", -CAPACITY_RANK["accepting"]),
            (entry.capacity == "waitlist", -CAPACITY_RANK["waitlist"]),
            (entry.capacity == "not-accepting", -CAPACITY_RANK["not-accepting"]),
            else_=-CAPACITY_RANK[None],
        ).label("k_capacity"),
    ]
    names = ROW_COLUMNS if not counting else COUNT_COLUMNS + (("hours", "timezone") if shape.open_now else ())
    rest = [getattr(entry, name) for name in names]
    if counting:
        fit = fit[:3]  # k_unknown, k_general, k_languages: what tells a site from an area (_count_results)
    where = _filters(shape, languages, credentials)
    a = _haversine_a()
    site = [
        *fit,
        literal_column(str(SCOPE_RANK[None]), Integer).label("k_scope"),
        *(() if counting else (
            case((entry.geocode_precision.in_(sorted(EXACT_PRECISIONS)), 0), else_=1).label("k_inexact"),
            a.label("k_a"),
        )),
        *rest,
    ]
    codes = bindparam("codes", expanding=True)
    parts = [select(*site).where(entry.need_code.in_(codes), *_near(shape, a), *where)]
    need = entry.need_code.in_(codes)
    if shape.direct:
        direct = bindparam("direct_codes", expanding=True)
        parts.append(
            select(*site).where(entry.need_code.in_(direct), entry.direct.is_(True), *_near(shape, a), *where)
        )
        need = or_(need, and_(entry.need_code.in_(direct), entry.direct.is_(True)))
    for scope in shape.areas:
        area = [
            *fit,
            literal_column(str(SCOPE_RANK[scope]), Integer).label("k_scope"),
            *(() if counting else (
                literal_column("0", Integer).label("k_inexact"),
                cast(literal_column("0.0"), Float).label("k_a"),
            )),
            *rest,
        ]
        if scope == "national":
            place = [entry.state.is_(None)]
        else:
            place = [entry.state == bindparam("state")]
        if scope == "county":
            place.append(entry.county == bindparam("county") if shape.county_known else entry.county.is_(None))
        parts.append(select(*area).where(entry.scope == scope, *place, need, *where))
    if counting:
        parts = parts[1 + shape.direct :] + parts[: 1 + shape.direct]
    return union_all(*parts) if len(parts) > 1 else parts[0]


@lru_cache(maxsize=512)
def _statement(shape: _Shape):
    """Build (once per shape) the candidate query, ordered by the rank keys, with a bound LIMIT.

    Python checks each row again (hours, exact distance) and breaks the ties the database leaves
    (name, id).
    """
    ranked = _candidates(shape)
    return ranked.order_by(*(ranked.selected_columns[name] for name in SQL_KEYS)).limit(
        bindparam("row_limit", type_=Integer)
    )


# The fit of a row as one number, for counting in SQL: k_unknown, then k_general, then k_languages
# (0 down to minus the languages asked for, fewer than FIT_STEP).
FIT_STEP = 1000


@lru_cache(maxsize=512)
def _counted_statement(shape: _Shape):
    """Build (once per shape) the ranking query of _statement with the counts of every result.

    One pass over the candidates: the database reads and keys them once, then sorts them for the
    page and groups them by service for the counts (as _count_rows counts: a service once, confirmed
    if any row answers every filter, nearby if a site row fits at least as well as its best area
    row). Each row ends with (services, confirmed, nearby); with no candidate, one row holds only
    the counts. Not for "open now": hours are checked in Python.
    """
    candidates = _candidates(shape).cte("candidates")
    c = candidates.c
    fit = (c.k_unknown * FIT_STEP + c.k_general) * FIT_STEP + c.k_languages
    per_service = (
        select(
            func.min(c.k_unknown).label("unknown"),
            func.min(fit).filter(c.latitude.is_not(None)).label("site_fit"),
            func.min(fit).filter(c.latitude.is_(None)).label("area_fit"),
        )
        .group_by(c.service_id)
        .subquery("per_service")
    )
    no_area = literal_column(str(FIT_STEP**3), Integer)  # worse than any fit
    counts = select(
        func.count().label("n_services"),
        func.count().filter(per_service.c.unknown == 0).label("n_confirmed"),
        func.count().filter(per_service.c.site_fit <= func.coalesce(per_service.c.area_fit, no_area))
        .label("n_nearby"),
    ).subquery("counts")
    page = (
        select(candidates)
        .order_by(*(c[name] for name in SQL_KEYS))
        .limit(bindparam("row_limit", type_=Integer))
        .subquery("page")
    )
    return (
        select(page, counts)
        .select_from(counts.outerjoin(page, literal_column("1") == 1))
        .order_by(*(page.c[name] for name in SQL_KEYS))
    )


@lru_cache(maxsize=512)
def _count_statement(shape: _Shape):
    """Build (once per shape) the query that lists a search's rows for counting: areas first, no order."""
    return _candidates(shape, counting=True)


def _count_results(connection, shape: _Shape, params: dict, query: SearchQuery, now: datetime,
                   cap: int) -> tuple[int, int, int]:
    """Count a search's results: (services, confirmed, nearby), each exact up to ``cap``.

    A service counts once, by its best row. Its best row answers every asked-for filter if any row
    does (unknown filters are the first rank key). It is a site, not an area, if a site row fits at
    least as well as its best area row (unknown filters, general need, then languages: capacity is the
    service's own, and at equal fit a site ranks before an area); area rows come first, so each site
    row can tell at once. "Open now" leaves out the rows closed at ``now`` (hours are read here, as
    in the ranking). The rows stream in, unordered, and reading stops once every count is past the
    cap: a dense search reads about ``cap`` rows, not all of its tens of thousands.
    """
    # Streamed in batches (a server-side cursor on PostgreSQL), for this statement only: options set
    # on the connection itself would stay on it and stream every later query too.
    rows = connection.execute(_count_statement(shape), params, execution_options={"yield_per": COUNT_BATCH})
    with rows:  # closed on leaving, also early: a server-side cursor must not stay open on PostgreSQL
        return _count_rows(rows, query, now, cap)


def _count_rows(rows, query: SearchQuery, now: datetime, cap: int) -> tuple[int, int, int]:
    """Count the rows of _count_results (see there) until every count is past ``cap``."""
    area_fit: dict[str, tuple] = {}
    services, confirmed, nearby = set(), set(), set()
    for k_unknown, k_general, k_languages, _scope, service_id, latitude, *hours in rows:
        if hours and hours[0] and not is_open(hours[0], hours[1] or query.timezone, now):
            continue  # "open now": closed at this hour (no hours: unknown, counted in k_unknown)
        services.add(service_id)
        if k_unknown == 0:
            confirmed.add(service_id)
        fit = (k_unknown, k_general, k_languages)
        if latitude is None:
            if fit < area_fit.get(service_id, (math.inf,)):
                area_fit[service_id] = fit
        elif fit <= area_fit.get(service_id, (math.inf,)):
            nearby.add(service_id)
        if len(services) > cap and len(confirmed) >= cap and len(nearby) >= cap:
            break
    return len(services), len(confirmed), len(nearby)


def _grid(query: SearchQuery, params: dict) -> bool:
    """Add the grid cells (or latitude bands) the search circle touches to ``params``; tell which.

    In each band, only the columns the circle reaches there (see _band_columns): a circle covers about
    three quarters of its bounding box, and the box's corner cells hold no match.
    """
    min_lat, max_lat, min_lon, max_lon = bounding_box(query.lat, query.lon, query.radius_km)
    params.update(min_lat=min_lat, max_lat=max_lat, min_lon=min_lon, max_lon=max_lon)
    rows = range(lat_band(min_lat), lat_band(max_lat) + 1)
    box_columns = (lon_band(min_lon), lon_band(max_lon))
    # The circle's angular radius, as far as the engine's haversine test reaches (max_a, A_SLACK).
    half = math.sin(min(query.radius_km / (2 * EARTH_RADIUS_KM), math.pi / 2)) ** 2 + A_SLACK
    angular = 2 * math.asin(min(1.0, math.sqrt(half)))
    cells = []
    for row in rows:
        west, east = box_columns
        if (min_lon, max_lon) != (-180.0, 180.0):  # a circle across the antimeridian or a pole: the whole band
            west, east = _band_columns(query.lat, query.lon, angular, row, box_columns)
        cells.extend(row * CELL_ROW + column for column in range(west, east + 1))
        if len(cells) > MAX_CELLS:
            params.update(min_cell=rows[0] * CELL_ROW, max_cell=rows[-1] * CELL_ROW + CELL_ROW - 1)
            return False
    params["cells"] = cells
    return True


def _band_columns(lat: float, lon: float, angular: float, row: int, box_columns: tuple[int, int]) -> tuple[int, int]:
    """Return the first and last grid column that a circle reaches within latitude band ``row``.

    On a sphere, the points of a circle (centre lat, lon; angular radius) at latitude phi lie within
    dlon of its centre, where cos(dlon) = (cos(angular) - sin(phi) sin(lat)) / (cos(phi) cos(lat)); dlon
    is widest at phi = asin(sin(lat) / cos(angular)), so within a band it is widest at the latitude of
    the band nearest that one. Never narrower than the truth: the band is widened by a hair, dlon by 10 cm.
    """
    south = math.radians(row * GRID_DEGREES - 90 - 1e-9)
    north = math.radians((row + 1) * GRID_DEGREES - 90 + 1e-9)
    phi0 = math.radians(lat)
    ratio = math.sin(phi0) / math.cos(angular)
    if abs(ratio) >= 1:
        return box_columns  # the circle holds a pole
    widest = min(max(math.asin(ratio), south), north)
    cos_dlon = (math.cos(angular) - math.sin(widest) * math.sin(phi0)) / (math.cos(widest) * math.cos(phi0))
    if cos_dlon <= -1:
        return box_columns
    dlon = math.degrees(math.acos(min(cos_dlon, 1.0))) + 1e-6
    return max(box_columns[0], lon_band(lon - dlon)), min(box_columns[1], lon_band(lon + dlon))


def _prepare(connection, query: SearchQuery) -> tuple[_Shape, dict]:
    """Return the shape of ``query``'s statements (see _statement, _count_statement) and their values."""
    any_row, direct_only = wanted_needs(query.need)
    county = county_key(query.county)
    languages = sorted(set(query.languages))
    credentials = sorted(set(query.credentials))
    angular = min(query.radius_km / (2 * EARTH_RADIUS_KM), math.pi / 2)
    params = {
        "codes": sorted(any_row),
        "lat0": math.radians(query.lat),
        "lon0": math.radians(query.lon),
        "cos_lat0": math.cos(math.radians(query.lat)),
        "max_a": math.sin(angular) ** 2 + A_SLACK,
        **{f"language_{i}": f"|{code}|" for i, code in enumerate(languages)},
        **{f"credential_{i}": f"|{code}|" for i, code in enumerate(credentials)},
    }
    if direct_only:
        params["direct_codes"] = sorted(direct_only)
    if query.cost in COSTS_ALLOWED:
        params["costs"] = list(COSTS_ALLOWED[query.cost])
    if query.delivery in OTHER_DELIVERY:
        params["other_delivery"] = OTHER_DELIVERY[query.delivery]
    if query.need is not None:
        params["need"] = query.need
    # PostGIS's index reads every need's sites in the circle: worth it where the grid cells overshoot a
    # small circle many times, not for a wide one (at 100 km around NYC it read 157,912 entries to
    # keep 18,705 that (need_code, cell) found by itself).
    schema = postgis_schema(connection) if query.radius_km <= POSTGIS_MAX_RADIUS_KM else None
    cell_list = _grid(query, params)
    if schema:
        # Margin: PostGIS measures on the spheroid, the engine on a sphere (they differ by < 0.6%).
        params.update(lat_deg=query.lat, lon_deg=query.lon, within_m=query.radius_km * 1000 * 1.01 + 100)
    areas = ()
    if query.delivery != "in-person":  # an area is not a place to go to
        areas = ("national", "state", "county") if query.state else ("national",)
    if query.state:
        params["state"] = query.state
    if county is not None:
        params["county"] = county
    shape = _Shape(
        dialect=connection.dialect.name,
        postgis=schema,
        cell_list=cell_list,
        need=query.need is not None,
        direct=bool(direct_only),
        areas=areas,
        county_known=county is not None,
        languages=len(languages),
        credentials=len(credentials),
        cost="costs" in params,
        accepting=("strict" if "accepting" in query.strict else "or-unknown") if query.accepting else None,
        open_now=query.open_now,
        strict=frozenset(query.strict),
        delivery="other_delivery" in params,
    )
    return shape, params


def _beyond(prefix: tuple, last: tuple) -> bool:
    """Tell whether a row's database key is past ``last`` by more than the rounding of "a"."""
    return prefix[:6] > last[:6] or (prefix[:6] == last[:6] and prefix[6] > last[6] + A_SLACK)


def _best_per_service(rows, query: SearchQuery, now: datetime, limit: int) -> tuple[dict, int, bool]:
    """Rank rows that arrive in the database's key order; keep each service's best row.

    Stops once ``limit`` + 1 services are in and the rows are past the ties of the last one: no later
    row can then rank among the first ``limit``. Returns (best by service, rows read, stopped early).
    """
    wanted_languages = set(query.languages)
    wanted_credentials = set(query.credentials)
    strict = query.strict
    county = county_key(query.county)
    # Haversine inlined: this loop runs for every row read, and a call per row costs more than the math.
    lat0, lon0, radius = math.radians(query.lat), math.radians(query.lon), query.radius_km
    cos_lat0 = math.cos(lat0)
    best: dict[str, tuple] = {}
    last = None  # the database key of the row that brought in service number limit + 1
    read = 0
    for row in rows:
        read += 1
        (k_unknown, k_general, k_languages, k_capacity, k_scope, k_inexact, k_a, entry_id, service_id, need_code,
         lat, lon, scope, state, row_county, languages, credentials, capacity, hours, timezone, organization_name,
         precision) = row
        if last is not None and _beyond((k_unknown, k_general, k_languages, k_capacity, k_scope, k_inexact, k_a),
                                        last):
            return best, read, True
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
        if last is None and len(best) > limit:
            last = (k_unknown, k_general, k_languages, k_capacity, k_scope, k_inexact, k_a)
    return best, read, False


@dataclass(frozen=True)
class Ranking:
    """The first ranked results of a query and the counts of all: what the results cache keeps.

    ``entries`` holds (index row id, distance in km or None, unknown filters) in rank order. Nothing
    in it depends on the time of day unless the query asks "open now".
    """

    entries: tuple[tuple[str, float | None, tuple[str, ...]], ...]  # the first ``limit``
    total: int  # all results, up to the cap
    confirmed: int
    nearby: int
    capped: bool


def rank(session: Session, query: SearchQuery, limit: int = 20) -> Ranking:
    """Rank the first ``limit`` matches of ``query`` and count them all, up to RESULT_CAP (or ``limit``).

    The database orders the candidates by the rank keys and hands over only the first rows, enough for
    ``limit`` services, with the counts of all (one pass over the candidates, see _counted_statement).
    A page settled in the small circle, or an "open now" search (hours are read in Python), is counted
    by a second query that stops at the cap.
    """
    now = _aware_now(query)
    connection = session.connection()
    shape, params = _prepare(connection, query)
    cap = max(RESULT_CAP, limit)
    ranked = _settled_near(connection, query, now, limit)
    complete, counts = False, None
    if ranked is None:
        ranked, complete, counts = _ranked(connection, shape, params, query, now, limit, counted=True)
    if complete:  # every candidate was read: count them here
        total = len(ranked)
        confirmed = sum(1 for key, _, _, _, _ in ranked if key[0] == 0)
        nearby = sum(1 for _, _, distance, _, _ in ranked if distance is not None)
    elif counts is not None:  # counted by the database while it ranked
        total, confirmed, nearby = counts
    else:  # the page came from the small circle, or "open now": count apart
        total, confirmed, nearby = _count_results(connection, shape, params, query, now, cap)
    capped = total > cap
    return Ranking(
        entries=tuple((entry_id, distance, unknown) for _, entry_id, distance, unknown, _ in ranked[:limit]),
        total=min(total, cap),
        # Counted past the cap: the first ``cap`` results hold every confirmed one, as far as they go;
        # "nearby" counts every service whose best row is a site in the circle.
        confirmed=min(confirmed, cap),
        nearby=min(nearby, cap),
        capped=capped,
    )


def _settled_near(connection, query: SearchQuery, now: datetime, limit: int) -> list | None:
    """Rank a wide search in a small circle first; return its ranking if that settles the page, else None.

    The best key a result can have is known before searching: every filter answered, the need itself,
    every asked-for language, accepting, a site at its street address. If the small circle holds
    ``limit`` results with that best key, nothing outside it can rank before them (it is further
    away), so the page is settled without ranking the whole circle: a dense city's wide search ranks
    a few hundred rows, not tens of thousands.
    """
    # Only where the best key is common: a specific need (a child of the taxonomy), asked-for languages
    # or credentials, "accepting" or "open now" make it rare, and a small circle that does not settle
    # the page costs a query for nothing. At 1M services (bench, issue #14) a child need settled 5 of
    # 216 tries, no need or a top-level one 72 of 202.
    if (
        query.radius_km < 2 * INNER_RADIUS_KM
        or (query.need is not None and get_taxonomy().ancestors(query.need))  # not a top-level need
        or query.languages
        or query.credentials
        or query.accepting
        or query.open_now
    ):
        return None
    inner = replace(query, radius_km=INNER_RADIUS_KM)
    shape, params = _prepare(connection, inner)
    ranked, _, _ = _ranked(connection, shape, params, inner, now, limit)
    best = (0, 0, -len(set(query.languages)), -CAPACITY_RANK["accepting"], SCOPE_RANK[None], 0)
    if len(ranked) >= limit and all(key[:6] == best for key, _, _, _, _ in ranked[:limit]):
        return ranked[:limit]
    return None


def _ranked(connection, shape: _Shape, params: dict, query: SearchQuery, now: datetime, limit: int, *,
            counted: bool = False):
    """Rank services by their best rows, reading rows until the first ``limit`` + 1 are settled.

    Returns (key, row id, distance, unknown, need) per service in rank order, whether every candidate
    row was read (then the list holds every result, else the first ``limit`` + 1 or more), and, if
    ``counted`` and the search does not ask "open now", the counts of all results from the same query
    (services, confirmed, nearby; else None).
    """
    counts = None
    counted = counted and not shape.open_now
    # At least MIN_ROWS: most searches then read every candidate at once and need no count apart.
    row_limit = max(ROWS_PER_RESULT * (limit + 1), MIN_ROWS)
    while True:
        if counted and counts is None:  # the first query counts too (a further one only ranks)
            rows = connection.execute(_counted_statement(shape), {**params, "row_limit": row_limit}).all()
            counts = tuple(rows[0][-3:]) if rows else (0, 0, 0)
            # No candidate at all: one row with the counts and nothing ranked in it.
            rows = [row[:-3] for row in rows if row[len(SQL_KEYS)] is not None]
            best, read, settled = _best_per_service(rows, query, now, limit)
        else:
            with connection.execute(_statement(shape), {**params, "row_limit": row_limit}) as rows:
                best, read, settled = _best_per_service(rows, query, now, limit)
        if settled or read < row_limit:
            break
        row_limit *= 8  # services with many rows each (sites, needs): read further
    return sorted(best.values()), not settled and read < row_limit, counts


@functools.cache
def _entry_rows_statement():
    """Build the statement once: building it cost more than running it (issue #14)."""
    return select(*COLUMNS).where(SearchEntry.id.in_(bindparam("ids", expanding=True)))


def _entry_rows(session: Session, entry_ids: list) -> dict:
    """Return the index rows with these ids, by id (a row reindexed away meanwhile is missing)."""
    return {row.id: row for row in session.connection().execute(_entry_rows_statement(), {"ids": entry_ids})}


def _aware_now(query: SearchQuery) -> datetime:
    now = query.now or datetime.now(UTC)
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now


def search(
    session: Session, query: SearchQuery, *, page: int = 1, per_page: int = 20, ranker=None, facts=None
) -> SearchResult:
    """Return one page of ranked matches for ``query``, with the counts of each kind of result.

    Results are counted up to RESULT_CAP (or the page, if further); beyond, the total reads
    "RESULT_CAP+". ``ranker`` (session, query, limit) -> Ranking replaces ``rank``: the results cache.
    ``facts`` (matching.cache.Facts) keeps the index rows read for the directory's current version.
    """
    ranking = (ranker or rank)(session, query, page * per_page)
    start = (page - 1) * per_page
    shown = ranking.entries[start : start + per_page]
    wanted = [entry_id for entry_id, _, _ in shown]
    if facts is None:
        full = _entry_rows(session, wanted)
    else:
        full = facts.read("entry", wanted, lambda missing: _entry_rows(session, missing))
    now = _aware_now(query)
    # A row reindexed away since the ranking (another request's listing change) is left out, not a 500.
    matches = [
        _match(full[entry_id], distance, unknown, now, query)
        for entry_id, distance, unknown in shown
        if entry_id in full
    ]
    return SearchResult(
        total=ranking.total,
        page=page,
        per_page=per_page,
        matches=matches,
        confirmed=ranking.confirmed,
        unknown=ranking.total - ranking.confirmed,
        nearby=ranking.nearby,
        total_capped=ranking.capped,
    )


# Where warm_statements searches: Dallas, TX (any point with a state and a county would do).
WARM_POINT = {"lat": 32.7767, "lon": -96.797, "state": "TX", "county": "Dallas County", "timezone": "America/Chicago"}


def warm_statements(session: Session) -> int:
    """Rank the common kinds of search once, so that their statements are built and compiled now.

    A statement is built per shape of search (which filters, which index): the first search of a
    shape in a process spends 25 to 60 ms compiling its SQL, the next ones none. This runs the usual
    shapes (no need, a top-level need, a need with parents; a small and a wide circle; a language or
    none; free or any cost) at start, so that people do not pay for it. Returns how many it ran.
    """
    taxonomy = get_taxonomy()
    top = taxonomy.top_level[0].code
    child = next((code for code in taxonomy.needs if taxonomy.ancestors(code)), top)
    count = 0
    for need in (None, top, child):
        for radius_km in (10.0, 50.0, 100.0):
            for languages in ((), ("es",)):
                for cost in (None, "free"):
                    query = SearchQuery(**WARM_POINT, need=need, radius_km=radius_km, languages=languages, cost=cost)
                    search(session, query)
                    # Every statement of the shape too, which the search may not have needed. Compiling
                    # is what costs on a first search, not the rows: they run for a need code that no
                    # row has, so the database finds nothing at once.
                    connection = session.connection()
                    shape, params = _prepare(connection, query)
                    nothing = {**params, "codes": ["-"], "row_limit": 1}
                    if "direct_codes" in params:
                        nothing["direct_codes"] = ["-"]
                    for statement in (_statement(shape), _counted_statement(shape), _count_statement(shape)):
                        connection.execute(statement, nothing).all()
                    count += 1
    return count


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
