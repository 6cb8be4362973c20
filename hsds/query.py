"""What the HSDS API lists: published organizations and their services, filtered with AND."""

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlmodel import Session

from geo.distance import bounding_box, haversine_km
from geo.gazetteer import get_gazetteer
from matching.confidential import MIN_PROXIMITY_KM, public_point
from models import Attribute, Location, Organization, Service, ServiceAtLocation, Taxonomy, TaxonomyTerm
from web.translate import gettext as _

MAX_PER_PAGE = 100
MAX_PAGE = 1_000_000  # far past any directory's last page; larger numbers overflow the database's OFFSET


class BadParameter(ValueError):
    """A query parameter the API cannot use; the message says which and why."""


@dataclass
class Params:
    page: int = 1
    per_page: int = 50
    search: str | None = None
    taxonomy_term_id: str | None = None
    taxonomy_id: str | None = None
    organization_id: str | None = None
    modified_after: datetime | None = None
    minimal: bool = False
    full: bool = False
    full_service: bool = False
    ndjson: bool = False
    postcode: str | None = None
    proximity: str | None = None
    parent_id: str | None = None
    top_only: bool = False


def _int(args, name: str, default: int, low: int, high: int | None = None) -> int:
    raw = args.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadParameter(_("%(name)s must be a whole number", name=name)) from None
    if value < low:
        raise BadParameter(_("%(name)s must be at least %(low)s", name=name, low=low))
    if high is not None and value > high:
        raise BadParameter(_("%(name)s must be at most %(high)s", name=name, high=high))
    return value


def _bool(args, name: str) -> bool:
    raw = (args.get(name) or "").lower()
    if raw in ("", "false", "0", "no"):
        return False
    if raw in ("true", "1", "yes"):
        return True
    raise BadParameter(_("%(name)s must be true or false", name=name))


def parse_params(args) -> Params:
    """Read and check the query parameters."""
    found = Params(
        page=_int(args, "page", 1, 1, MAX_PAGE),
        per_page=_int(args, "per_page", 50, 1, MAX_PER_PAGE),
        minimal=_bool(args, "minimal"),
        full=_bool(args, "full"),
        full_service=_bool(args, "full_service"),
        top_only=_bool(args, "top_only"),
    )
    for name in ("search", "taxonomy_term_id", "taxonomy_id", "organization_id", "postcode", "proximity", "parent_id"):
        value = (args.get(name) or "").strip()
        if len(value) > 200:
            raise BadParameter(_("%(name)s is too long", name=name))
        setattr(found, name, value or None)
    fmt = (args.get("format") or "json").lower()
    if fmt not in ("json", "ndjson"):
        raise BadParameter(_("format must be json or ndjson"))
    found.ndjson = fmt == "ndjson"
    if args.get("modified_after"):
        try:
            moment = datetime.fromisoformat(args["modified_after"].replace("Z", "+00:00"))
        except ValueError:
            raise BadParameter(_("modified_after must be an ISO 8601 date or date-time")) from None
        found.modified_after = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return found


def _term_filter(params: Params, link_id_column):
    conditions = []
    if params.taxonomy_term_id:
        terms = term_and_descendants(params.taxonomy_term_id)
        conditions.append(exists().where(Attribute.link_id == link_id_column, Attribute.taxonomy_term_id.in_(terms)))
    if params.taxonomy_id:
        conditions.append(
            exists().where(
                Attribute.link_id == link_id_column,
                Attribute.taxonomy_term_id == TaxonomyTerm.id,
                TaxonomyTerm.taxonomy_id == params.taxonomy_id,
            )
        )
    return conditions


def term_and_descendants(term_id: str) -> Select:
    """Return a select of a term's id and the ids of all the terms under it (UNION stops at any cycle)."""
    tree = select(TaxonomyTerm.id).where(TaxonomyTerm.id == term_id).cte("term_tree", recursive=True)
    tree = tree.union(select(TaxonomyTerm.id).where(TaxonomyTerm.parent_id == tree.c.id))
    return select(tree.c.id)


def _like(text: str) -> str:
    return "%" + text.lower().replace("\\", "").replace("%", "").replace("_", "") + "%"


def services_query(params: Params) -> Select:
    """Return the select of published services matching the parameters."""
    query = select(Service).join(Organization, Organization.id == Service.organization_id)
    query = query.where(Organization.status == "published")
    if params.search:
        pattern = _like(params.search)
        query = query.where(
            or_(
                func.lower(Service.name).like(pattern),
                func.lower(func.coalesce(Service.description, "")).like(pattern),
                func.lower(Organization.name).like(pattern),
            )
        )
    if params.organization_id:
        query = query.where(Service.organization_id == params.organization_id)
    if params.modified_after:
        query = query.where(Service.last_modified >= params.modified_after)
    for condition in _term_filter(params, Service.id):
        query = query.where(condition)
    return query.order_by(Service.name, Service.id)


def organizations_query(params: Params) -> Select:
    """Return the select of published organizations matching the parameters."""
    query = select(Organization).where(Organization.status == "published")
    if params.search:
        pattern = _like(params.search)
        query = query.where(
            or_(
                func.lower(Organization.name).like(pattern),
                func.lower(Organization.description).like(pattern),
            )
        )
    return query.order_by(Organization.name, Organization.id)


def _proximity(session: Session, params: Params) -> tuple[float, float, float] | None:
    """Return (lat, lon, km) from ``proximity`` ("lat,lon,km", or metres from the postcode's centroid)."""
    if not params.proximity:
        return None
    parts = params.proximity.split(",")
    try:
        numbers = [float(part) for part in parts]
    except ValueError:
        raise BadParameter(_("proximity must be metres from the postcode, or lat,lon,km")) from None
    if any(not math.isfinite(n) for n in numbers):
        raise BadParameter(_("proximity must be finite numbers"))
    if len(numbers) == 3:
        lat, lon, km = numbers
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise BadParameter(_("proximity: latitude or longitude out of range"))
    elif len(numbers) == 1:
        if not params.postcode:
            raise BadParameter(_("proximity in metres needs a postcode"))
        info = get_gazetteer().zip_info(params.postcode[:5])
        if info is None:
            raise BadParameter(_("unknown postcode"))
        lat, lon, km = info.lat, info.lon, numbers[0] / 1000
    else:
        raise BadParameter(_("proximity must be metres from the postcode, or lat,lon,km"))
    if not 0 < km <= 1000:
        raise BadParameter(_("proximity: the distance must be above 0 and at most 1000 km"))
    return lat, lon, km


def service_at_locations_query(session: Session, params: Params) -> tuple[Select, tuple | None]:
    """Return the select of service_at_locations and the proximity circle to keep results within."""
    services = services_query(params).with_only_columns(Service.id).order_by(None)
    query = (
        select(ServiceAtLocation)
        .join(Location, Location.id == ServiceAtLocation.location_id)
        .join(Service, Service.id == ServiceAtLocation.service_id)
        .where(ServiceAtLocation.service_id.in_(services))
    )
    circle = _proximity(session, params)
    if circle:
        lat, lon, km = circle
        south, north, west, east = bounding_box(lat, lon, km)
        # Confidential sites are kept for ``within``, which places them at their public point, never the true one.
        query = query.where(
            or_(
                Location.confidential.is_(True),
                and_(Location.latitude.between(south, north), Location.longitude.between(west, east)),
            )
        )
    elif params.postcode:
        from models import Address

        # Only public addresses are matched by their postcode; a confidential site is matched only by proximity.
        query = query.where(
            Location.confidential.is_(False),
            exists().where(Address.location_id == Location.id, Address.postal_code == params.postcode),
        )
    return query.order_by(Service.name, ServiceAtLocation.id), circle


def within(circle: tuple | None, location: Location) -> bool:
    """Tell whether a location lies in the proximity circle (always, without one).

    A confidential site is placed at its public point, and found within at least MIN_PROXIMITY_KM of it.
    """
    if circle is None:
        return True
    lat, lon, km = circle
    if location.confidential:
        point = public_point(location)
        return point is not None and haversine_km(lat, lon, *point) <= max(km, MIN_PROXIMITY_KM)
    return haversine_km(lat, lon, location.latitude, location.longitude) <= km


def taxonomies_query(params: Params) -> Select:
    """Return the select of taxonomies."""
    query = select(Taxonomy)
    if params.search:
        query = query.where(func.lower(Taxonomy.name).like(_like(params.search)))
    return query.order_by(Taxonomy.name, Taxonomy.id)


def terms_query(params: Params) -> Select:
    """Return the select of taxonomy terms."""
    query = select(TaxonomyTerm)
    if params.search:
        pattern = _like(params.search)
        query = query.where(
            or_(
                func.lower(TaxonomyTerm.name).like(pattern),
                func.lower(func.coalesce(TaxonomyTerm.code, "")).like(pattern),
            )
        )
    if params.taxonomy_id:
        query = query.where(TaxonomyTerm.taxonomy_id == params.taxonomy_id)
    if params.parent_id:
        query = query.where(TaxonomyTerm.parent_id == params.parent_id)
    if params.top_only:
        query = query.where(TaxonomyTerm.parent_id.is_(None))
    return query.order_by(TaxonomyTerm.name, TaxonomyTerm.id)


def count(session: Session, query: Select) -> int:
    """Return how many rows ``query`` selects."""
    return session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()


def page_of(session: Session, query: Select, params: Params) -> tuple[list, int]:
    """Return one page of rows and the total."""
    total = count(session, query)
    rows = session.execute(query.offset((params.page - 1) * params.per_page).limit(params.per_page)).scalars().all()
    return list(rows), total


def page_json(contents: list, total: int, params: Params) -> dict:
    """Return the HSDS page envelope."""
    pages = max(1, math.ceil(total / params.per_page))
    return {
        "total_items": total,
        "total_pages": pages,
        "page_number": params.page,
        "size": len(contents),
        "first_page": params.page == 1,
        "last_page": params.page >= pages,
        "empty": total == 0,
        "contents": contents,
    }
