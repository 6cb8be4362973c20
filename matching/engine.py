"""The matching engine: filter, rank and explain services-at-locations for a seeker.

Plain functions over the search index. Ranking is by fit first (need, language, capacity),
then by distance, then by name and id, so the same query always gives the same order.
Reasons are codes with parameters; the web layer words them in the seeker's language.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import and_, or_, select
from sqlmodel import Session

from geo import bounding_box, distance_km, haversine_km
from matching.index import county_key
from matching.needs import get_taxonomy
from models import SearchEntry

CAPACITY_RANK = {"accepting": 2, None: 1, "waitlist": 0, "not-accepting": -1}
# A nearby site first, then the most local area that covers the seeker.
SCOPE_RANK = {None: 0, "county": 1, "state": 2, "national": 3}
DAY_CODES = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
ASSUMED_LANGUAGES = frozenset({"en"})  # a US listing that names no language is taken to speak English


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
    reasons: list[Reason] = field(default_factory=list)

    @property
    def area_only(self) -> bool:
        """Tell whether the service matched through its area, with no site nearby."""
        return self.location_id is None


@dataclass
class SearchResult:
    total: int
    page: int
    per_page: int
    matches: list[Match]


class UnknownNeed(ValueError):
    """The need code is not in the taxonomy."""


COLUMNS = [
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
]


def need_condition(need: str | None):
    """Return the SQL condition on need: the need and its children, or a general parent service."""
    taxonomy = get_taxonomy()
    if need is None:
        return SearchEntry.need_code.in_([n.code for n in taxonomy.top_level])
    if need not in taxonomy:
        raise UnknownNeed(need)
    ancestors = taxonomy.ancestors(need)
    if not ancestors:
        return SearchEntry.need_code == need
    return or_(SearchEntry.need_code == need, and_(SearchEntry.need_code.in_(ancestors), SearchEntry.direct.is_(True)))


def candidate_rows(session: Session, query: SearchQuery) -> list:
    """Fetch index rows near the seeker (bounding box) and rows whose area covers them."""
    condition = need_condition(query.need)
    min_lat, max_lat, min_lon, max_lon = bounding_box(query.lat, query.lon, query.radius_km)
    sites = select(*COLUMNS).where(
        condition,
        SearchEntry.latitude.between(min_lat, max_lat),
        SearchEntry.longitude.between(min_lon, max_lon),
    )
    area_scope = [SearchEntry.scope == "national"]
    if query.state:
        area_scope.append(and_(SearchEntry.scope.in_(("state", "county")), SearchEntry.state == query.state))
    areas = select(*COLUMNS).where(condition, SearchEntry.scope.is_not(None), or_(*area_scope))
    return list(session.execute(sites).all()) + list(session.execute(areas).all())


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


def _passes_filters(row, query: SearchQuery, spoken: set[str]) -> bool:
    if query.languages and not spoken.intersection(query.languages):
        return False
    if query.cost == "free" and row.cost != "free":
        return False
    if query.cost == "sliding-scale" and row.cost not in ("free", "sliding-scale"):
        return False
    if query.credentials and not set(query.credentials).intersection(_codes(row.credentials)):
        return False
    if query.accepting and row.capacity != "accepting":
        return False
    if query.delivery == "remote" and row.delivery == "in-person":
        return False
    if query.delivery == "in-person" and (row.delivery == "remote" or row.latitude is None):
        return False
    return True


def _area_covers(row, query: SearchQuery) -> bool:
    if row.scope == "national":
        return True
    if row.scope == "state":
        return row.state == query.state
    return row.state == query.state and row.county == county_key(query.county)


def search(session: Session, query: SearchQuery, *, page: int = 1, per_page: int = 20) -> SearchResult:
    """Return one page of ranked matches for ``query``."""
    now = query.now or datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    best: dict[str, tuple[tuple, object, float | None, bool]] = {}
    for row in candidate_rows(session, query):
        if row.latitude is not None:
            distance = haversine_km(query.lat, query.lon, row.latitude, row.longitude)
            if distance > query.radius_km:
                continue
        else:
            if not _area_covers(row, query):
                continue
            distance = None
        spoken = set(_codes(row.languages)) or set(ASSUMED_LANGUAGES)
        if not _passes_filters(row, query, spoken):
            continue
        open_now = is_open(row.hours, row.timezone or query.timezone, now)
        if query.open_now and not open_now:
            continue
        general = query.need is not None and row.need_code != query.need
        key = (
            0 if general else -1,
            -len(spoken.intersection(query.languages)),
            -CAPACITY_RANK.get(row.capacity, 1),
            SCOPE_RANK.get(row.scope, 0),
            distance if distance is not None else 0.0,
            row.organization_name.lower(),
            row.service_name.lower(),
            row.service_id,
        )
        current = best.get(row.service_id)
        if current is None or key < current[0]:
            best[row.service_id] = (key, row, distance, open_now)
    ranked = sorted(best.values(), key=lambda item: item[0])
    start = (page - 1) * per_page
    matches = [
        _match(row, distance, open_now, query) for _, row, distance, open_now in ranked[start : start + per_page]
    ]
    return SearchResult(total=len(ranked), page=page, per_page=per_page, matches=matches)


def _match(row, distance: float | None, open_now: bool | None, query: SearchQuery) -> Match:
    """Build a Match with its reasons; the shown distance is geopy's great-circle distance."""
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
    )
    match.reasons = explain(match, row, query)
    return match


def explain(match: Match, row, query: SearchQuery) -> list[Reason]:
    """Say why a result matched, most telling first."""
    reasons = []
    if match.distance_km is not None:
        reasons.append(Reason("distance", {"km": round(match.distance_km, 1)}))
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
    if match.cost in ("free", "sliding-scale"):
        reasons.append(Reason(match.cost.replace("-", "_")))
    for credential in match.credentials:
        reasons.append(Reason("credential", {"credential": credential}))
    if match.capacity == "accepting":
        reasons.append(Reason("accepting"))
    if match.open_now:
        reasons.append(Reason("open_now"))
    if match.delivery in ("remote", "both"):
        reasons.append(Reason("remote"))
    return reasons
