"""Run a search request: geocode the place, ask the matching engine, shape the answer.

When results are thin (fewer than THIN_BELOW places with a site within the radius), the answer
also carries ways on: a wider radius with the count it would give, services that help by phone or
online for the need, and national directories. A search for help for someone detained carries the
official "what to do now" guidance (web.guidance).
"""

from dataclasses import replace
from datetime import UTC, datetime

from flask import current_app

from api.forms import SearchForm
from geo import GeocodeError, Place
from matching import engine
from matching.details import page_details
from matching.engine import UNKNOWABLE_FILTERS, Reason, SearchQuery, SearchResult, search
from models.db import get_session
from web.cache import answers, facts, note_hit, ranker
from web.guidance import detention_steps, is_detention_need, national_directories, serialize_steps
from web.languages import uses_miles
from web.translate import gettext as _
from web.words import (
    CAPACITY_LABELS,
    COST_LABELS,
    CREDENTIAL_LABELS,
    KM_PER_MILE,
    hours_today,
    language_label,
    listing_dates,
    locale,
    need_label,
    reason_text,
)

# A radius this small leaves only services that match through their service area.
AREA_ONLY_RADIUS_KM = 0.001
THIN_BELOW = 3  # fewer places than this with a site within the radius: say so and offer ways on
WIDER_RADII_KM = (100, 250, 500)


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
        radius_km=radius_km(form, config),
        strict=frozenset(name for name in UNKNOWABLE_FILTERS if form[f"{name}_strict"].data),
    )


def radius_km(form: SearchForm, config) -> float:
    """Return the radius in km: radius_km, else radius_mi (the pages in miles send it), else the default."""
    if form.radius_km.data:
        return float(form.radius_km.data)
    if form.radius_mi.data:
        return round(form.radius_mi.data * KM_PER_MILE, 3)
    return float(config["SEARCH_DEFAULT_RADIUS_KM"])


def miles(km: float | None) -> float | None:
    """Return ``km`` in miles, rounded to one decimal (None stays None)."""
    return round(km / KM_PER_MILE, 1) if km is not None else None


def run_search(form: SearchForm, config) -> dict:
    """Search and return the API's JSON document.

    With the results cache on, the answer (all but the place the person typed) is kept for the
    directory's version and the current minute (web.cache.answers): the same search asked again
    within the minute, in the same language and units, is not ranked, read or worded again.
    """
    place = geocode(form.location.data.strip())
    query = build_query(form, place, config)
    page, per_page = form.page.data or 1, form.per_page.data or config["SEARCH_PAGE_SIZE"]
    session = get_session()
    minute = datetime.now(UTC).replace(second=0, microsecond=0)
    kept = answers(session, minute)
    if kept is None:
        found = answer(session, query, page, per_page)
    else:
        query = replace(query, now=minute)  # answered as of the minute: hours and "open now" hold for it
        # The engine's cap too: a test (or a release) that changes it must not get answers counted to another.
        key = (query, page, per_page, str(locale()), uses_miles(), engine.RESULT_CAP)
        found = kept.get("answer", key)
        if found is None:
            found = kept.put("answer", key, answer(session, query, page, per_page))
        else:
            note_hit()
    return {"location": place_block(form, place), **found}


def answer(session, query: SearchQuery, page: int, per_page: int) -> dict:
    """Search and shape everything of the answer but the place (which holds what the person typed)."""
    known = facts(session)
    result = search(session, query, page=page, per_page=per_page, ranker=ranker(), facts=known)
    found = serialize(query, result, page_details(session, result.matches, known))
    if result.total == 0:
        found["area_options"] = area_options(session, query)
    if found["thin"]:
        found["ways_on"] = ways_on(session, query, result)
    if is_detention_need(query.need):
        found["guidance"] = {"code": "detained", "steps": serialize_steps(detention_steps())}
    return found


def ways_on(session, query: SearchQuery, result: SearchResult) -> dict:
    """When few places are near: a wider radius (with its count), remote help, national directories."""
    wider = None
    for radius_km in WIDER_RADII_KM:
        if radius_km <= query.radius_km:
            continue
        wider_query = replace(query, radius_km=float(radius_km))
        found = search(session, wider_query, per_page=1, ranker=ranker(), facts=facts(session))
        if found.nearby > result.nearby:
            wider = {"radius_km": radius_km, "nearby": found.nearby, "total": found.total,
                     "total_capped": found.total_capped}
            break
    shown = {match.service_id for match in result.matches}
    remote = [
        option
        for option in area_options(session, query)
        if option["delivery"] != "in-person" and option["service_id"] not in shown
    ]
    directories = [{"label": str(link.label), "url": link.url} for link in national_directories(query.need)]
    return {"wider": wider, "remote": remote, "directories": directories}


def area_options(session, query: SearchQuery) -> list[dict]:
    """Statewide and national services for the need, whatever the filters (for empty or thin results)."""
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
    known = facts(session)
    found = search(session, unfiltered, per_page=10, ranker=ranker(), facts=known)
    matches = [match for match in found.matches if match.area_only]
    details = page_details(session, matches, known)
    return [serialize_match(match, details[match.service_id]) for match in matches]


def place_block(form: SearchForm, place: Place) -> dict:
    """Shape the answer's place: what the person typed and where the geocoder put it."""
    return {
        "query": form.location.data,
        "label": place.label,
        "lat": place.lat,
        "lon": place.lon,
        "state": place.state,
        "county": place.county,
    }


def serialize(query: SearchQuery, result: SearchResult, details: dict) -> dict:
    """Shape the search answer, but for its place (``place_block``)."""
    return {
        "query": {
            "need": query.need,
            "languages": list(query.languages),
            "cost": query.cost,
            "credentials": list(query.credentials),
            "accepting": query.accepting,
            "open_now": query.open_now,
            "delivery": query.delivery,
            "radius_km": query.radius_km,
            "strict": sorted(query.strict),
        },
        "total": result.total,
        # More matched than the engine counts (matching.engine.RESULT_CAP): "total" then means "total or more".
        "total_capped": result.total_capped,
        # Unknown is not no: "confirmed" answer every asked-for filter, "unknown" ones do not say.
        "counts": {"confirmed": result.confirmed, "unknown": result.unknown, "nearby": result.nearby},
        "thin": result.nearby < THIN_BELOW,
        "page": result.page,
        "per_page": result.per_page,
        "pages": (result.total + result.per_page - 1) // result.per_page,
        "results": [serialize_match(match, details[match.service_id], query) for match in result.matches],
    }


def filter_match(match, query: SearchQuery | None, name: str) -> str | None:
    """Return "yes" or "unknown" for an asked-for filter (see UNKNOWABLE_FILTERS), None when not asked."""
    asked = {
        "language": bool(query and query.languages),
        "accepting": bool(query and query.accepting),
        "credential": bool(query and query.credentials),
        "open_now": bool(query and query.open_now),
    }
    if not asked[name]:
        return None
    return "unknown" if name in match.unknown else "yes"


def serialize_match(match, details, query: SearchQuery | None = None) -> dict:
    """Shape one result."""
    exact = match.exact
    distance = round(match.distance_km, 1) if match.distance_km is not None else None
    return {
        "service_id": match.service_id,
        "service_name": match.service_name,
        "organization_id": match.organization_id,
        "organization_name": match.organization_name,
        "location_id": match.location_id,
        "service_at_location_id": match.service_at_location_id,
        # A distance only to a street address: a town or ZIP centre gives "in <town>" instead.
        "distance_km": distance if exact else None,
        "distance_mi": miles(match.distance_km) if exact else None,
        "approximate_distance_km": None if exact else distance,
        "location_precision": None if match.area_only else ("exact" if exact else "approximate"),
        "town": match.city,
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
        "address": dict(details.address) if details.address else None,  # copies: details are shared
        "latitude": details.latitude,
        "longitude": details.longitude,
        "phones": [dict(phone) for phone in details.phones],
        "website": details.website,
        # Dates: the list's date is not a confirmation; only the organization confirms (confirmed_on).
        "listed": listing_dates(details.sources, details.listed_on, details.confirmed_on),
        "language_match": filter_match(match, query, "language"),
        "accepting_match": filter_match(match, query, "accepting"),
        "credential_match": filter_match(match, query, "credential"),
        "open_now_match": filter_match(match, query, "open_now"),
        "unknown": list(match.unknown),
        "reasons": [reason_text(reason) for reason in _with_street(match.reasons, details)],
        "reason_codes": [reason.code for reason in match.reasons],
    }


def _with_street(reasons: list, details) -> list:
    """Say whether the street address is listed, so that a town-centre site is worded honestly."""
    street = bool(details.address and details.address.get("address_1"))
    return [
        Reason(reason.code, {**reason.params, "street": street}) if reason.code == "in_town" else reason
        for reason in reasons
    ]
