"""Run a search request: geocode the place, ask the matching engine, shape the answer."""

from dataclasses import replace

from flask import current_app
from flask_babel import gettext as _

from api.forms import SearchForm
from geo import GeocodeError, Place
from matching.details import page_details
from matching.engine import SearchQuery, SearchResult, search
from models.db import get_session
from web.words import (
    CAPACITY_LABELS,
    COST_LABELS,
    CREDENTIAL_LABELS,
    hours_today,
    language_label,
    need_label,
    reason_text,
)

# A radius this small leaves only services that match through their service area.
AREA_ONLY_RADIUS_KM = 0.001


class SearchProblem(Exception):
    """A search that cannot run, with a message for the seeker."""

    def __init__(self, status: int, message: str, suggestions: list[str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.suggestions = suggestions or []


def geocode(query: str) -> Place:
    """Turn the seeker's words into a place, or raise SearchProblem with a clear message."""
    try:
        return current_app.extensions["amparo.geocoder"].resolve(query)
    except GeocodeError as error:
        messages = {
            "empty": _("Tell us a ZIP code, a city or an address."),
            "too_long": _("That place is too long. Try a ZIP code or a city and state."),
            "ambiguous": _("There are several places with that name. Which one did you mean?"),
            "out_of_range": _("Those coordinates are not on the map. Try a ZIP code or a city and state."),
        }
        message = messages.get(
            error.reason, _('We could not find that place. Try a ZIP code, or a city and state like "Dallas, TX".')
        )
        raise SearchProblem(422, message, error.suggestions) from error


def build_query(form: SearchForm, place: Place, config) -> SearchQuery:
    """Turn a valid form and a place into an engine query."""
    return SearchQuery(
        lat=place.lat,
        lon=place.lon,
        state=place.state,
        county=place.county,
        timezone=place.timezone,
        need=form.need.data or None,
        languages=tuple(form.language.data or ()),
        cost=form.cost.data or None,
        credentials=(form.credential.data,) if form.credential.data else (),
        accepting=form.accepting.data,
        open_now=form.open_now.data,
        delivery=form.delivery.data or None,
        radius_km=float(form.radius_km.data or config["SEARCH_DEFAULT_RADIUS_KM"]),
    )


def run_search(form: SearchForm, config) -> dict:
    """Search and return the API's JSON document."""
    place = geocode(form.location.data.strip())
    query = build_query(form, place, config)
    per_page = form.per_page.data or config["SEARCH_PAGE_SIZE"]
    session = get_session()
    result = search(session, query, page=form.page.data or 1, per_page=per_page)
    answer = serialize(form, place, query, result, page_details(session, result.matches))
    if result.total == 0:
        answer["area_options"] = area_options(session, query)
    return answer


def area_options(session, query: SearchQuery) -> list[dict]:
    """When nothing matches: statewide and national services for the need, whatever the filters."""
    unfiltered = replace(
        query,
        languages=(),
        cost=None,
        credentials=(),
        accepting=False,
        open_now=False,
        delivery=None,
        radius_km=AREA_ONLY_RADIUS_KM,
    )
    matches = [match for match in search(session, unfiltered, per_page=10).matches if match.area_only]
    details = page_details(session, matches)
    return [serialize_match(match, details[match.service_id]) for match in matches]


def serialize(form: SearchForm, place: Place, query: SearchQuery, result: SearchResult, details: dict) -> dict:
    """Shape the search answer."""
    return {
        "location": {
            "query": form.location.data,
            "label": place.label,
            "lat": place.lat,
            "lon": place.lon,
            "state": place.state,
            "county": place.county,
        },
        "query": {
            "need": query.need,
            "languages": list(query.languages),
            "cost": query.cost,
            "credentials": list(query.credentials),
            "accepting": query.accepting,
            "open_now": query.open_now,
            "delivery": query.delivery,
            "radius_km": query.radius_km,
        },
        "total": result.total,
        "page": result.page,
        "per_page": result.per_page,
        "pages": (result.total + result.per_page - 1) // result.per_page,
        "results": [serialize_match(match, details[match.service_id]) for match in result.matches],
    }


def serialize_match(match, details) -> dict:
    """Shape one result."""
    return {
        "service_id": match.service_id,
        "service_name": match.service_name,
        "organization_id": match.organization_id,
        "organization_name": match.organization_name,
        "location_id": match.location_id,
        "service_at_location_id": match.service_at_location_id,
        "distance_km": round(match.distance_km, 1) if match.distance_km is not None else None,
        "area": {"scope": match.area_scope, "state": match.area_state} if match.area_only else None,
        "needs": [{"code": code, "label": need_label(code)} for code in match.needs],
        "languages": [{"code": code, "name": language_label(code)} for code in match.languages],
        "cost": {"code": match.cost, "label": str(COST_LABELS[match.cost])} if match.cost in COST_LABELS else None,
        "credentials": [{"code": c, "label": str(CREDENTIAL_LABELS.get(c, c))} for c in match.credentials],
        "capacity": {"code": match.capacity, "label": str(CAPACITY_LABELS[match.capacity])} if match.capacity else None,
        "delivery": match.delivery,
        "open_now": match.open_now,
        "hours_today": hours_today(match.hours, match.timezone),
        "confidential_location": details.confidential,
        "address": details.address,
        "latitude": details.latitude,
        "longitude": details.longitude,
        "phones": details.phones,
        "website": details.website,
        "reasons": [reason_text(reason) for reason in match.reasons],
        "reason_codes": [reason.code for reason in match.reasons],
    }
