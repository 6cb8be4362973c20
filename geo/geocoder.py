"""Turn what a user typed ('75201', 'Dallas, TX', '32.78,-96.80', an address) into a Place.

Owns query parsing and resolution against the offline gazetteer (OfflineGeocoder, a geopy
Geocoder that never touches the network), the GeocodeError contract (a machine-readable
``reason`` plus resolvable ``suggestions``; callers translate by reason), and GeocoderChain,
which may fall back to an online geopy geocoder for text the gazetteer does not know.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from geopy.adapters import BaseSyncAdapter
from geopy.exc import GeocoderServiceError, GeopyError
from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import Nominatim
from geopy.geocoders.base import DEFAULT_SENTINEL, Geocoder
from geopy.location import Location
from geopy.point import Point

from geo.gazetteer import Gazetteer, PlaceRecord, get_gazetteer, state_abbr, state_name, tokens

logger = logging.getLogger(__name__)

MAX_QUERY_LENGTH = 200
PLACE_ZIP_KM = 100.0
"""A place's county/timezone come from the nearest same-state ZIP within this distance."""
COORDINATE_ZIP_KM = 100.0
"""Coordinates (and online results) with no ZIP this close are outside the covered area."""
MAX_AMBIGUOUS_SUGGESTIONS = 8
MAX_NOT_FOUND_SUGGESTIONS = 5

PlaceKindName = Literal["zip", "place", "address", "coordinates", "online"]
Reason = Literal["empty", "not_found", "ambiguous", "out_of_range", "too_long"]
QueryKind = Literal["empty", "too_long", "coordinates", "zip", "text"]

_NUMBER = r"[-+]?\d{1,3}(?:\.\d+)?"
_COORDS_COMMA = re.compile(rf"({_NUMBER})\s*,\s*({_NUMBER})")
_COORDS_SPACE = re.compile(r"([-+]?\d{1,3}\.\d+)\s+([-+]?\d{1,3}\.\d+)")
_ZIP_ONLY = re.compile(r"(\d{5})(?:[-\s]?\d{4})?")
_ZIP_IN_TEXT = re.compile(r"(?<!\d)(\d{5})(?:-\d{4})?(?!\d)")
_SEGMENT_SPLIT = re.compile(r"[,;\n]")
_WHITESPACE = re.compile(r"\s+")
_COUNTRY_SUFFIXES = (["usa"], ["us"], ["united", "states"], ["united", "states", "of", "america"])


@dataclass(frozen=True)
class Place:
    """A resolved location. lat/lon are a ZIP or place centroid unless kind is 'coordinates'/'online'."""

    query: str
    label: str
    lat: float
    lon: float
    kind: PlaceKindName
    state: str | None = None
    county: str | None = None
    zip: str | None = None
    timezone: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (this is Location.raw)."""
        return dataclasses.asdict(self)


_MESSAGES: dict[str, str] = {
    "empty": "empty location query",
    "too_long": f"location query longer than {MAX_QUERY_LENGTH} characters",
    "not_found": "no US location matches {query!r}",
    "ambiguous": "{query!r} matches places in several states",
    "out_of_range": "coordinates out of range in {query!r}",
}


class GeocodeError(Exception):
    """A query that did not resolve. Branch on ``reason``; ``suggestions`` are resolvable labels."""

    def __init__(self, reason: Reason, query: str = "", suggestions: list[str] | None = None) -> None:
        self.reason: Reason = reason
        self.query = query
        self.suggestions: list[str] = list(suggestions or [])
        message = _MESSAGES.get(reason, reason).format(query=query[:MAX_QUERY_LENGTH])
        if self.suggestions:
            message += " (did you mean: " + "; ".join(self.suggestions) + ")"
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.reason, self.query, self.suggestions))


class _NoNetworkAdapter(BaseSyncAdapter):
    """geopy adapter for OfflineGeocoder: refuses every request, so no socket is ever opened."""

    def get_json(self, url: str, *, timeout: float, headers: dict[str, str]) -> Any:
        """Never fetches; offline geocoders have nothing to ask."""
        raise GeocoderServiceError(f"offline geocoder made a network request: {url}")

    def get_text(self, url: str, *, timeout: float, headers: dict[str, str]) -> str:
        """Never fetches; offline geocoders have nothing to ask."""
        raise GeocoderServiceError(f"offline geocoder made a network request: {url}")


def _format_degrees(value: float) -> str:
    return f"{value:.5f}".rstrip("0").rstrip(".")


def _clean(query: str) -> str:
    return _WHITESPACE.sub(" ", query).strip()


class OfflineGeocoder(Geocoder):
    """geopy Geocoder answering from the bundled gazetteer only (ZIPs, places, coordinates)."""

    def __init__(self, gazetteer: Gazetteer | None = None, *, user_agent: str | None = None) -> None:
        """Use gazetteer, or the process-wide one (loaded on first query) when None."""
        super().__init__(user_agent=user_agent, adapter_factory=_NoNetworkAdapter)
        self._gazetteer = gazetteer
        self._place_attrs: dict[PlaceRecord, tuple[str | None, str | None]] = {}

    @property
    def gazetteer(self) -> Gazetteer:
        """The gazetteer answering queries."""
        if self._gazetteer is None:
            self._gazetteer = get_gazetteer()
        return self._gazetteer

    # -- geopy interface ----------------------------------------------------------------

    def geocode(
        self, query: str | dict[str, str], *, exactly_one: bool = True, timeout: Any = DEFAULT_SENTINEL
    ) -> Location | list[Location] | None:
        """geopy-style geocode: a Location (raw = Place fields), or None when nothing resolves.

        With exactly_one=False an ambiguous name returns one Location per candidate state.
        ``timeout`` is accepted for interface compatibility and ignored.
        """
        text = ", ".join(str(v) for v in query.values() if v) if isinstance(query, dict) else query
        try:
            places = [self.resolve(text)]
        except GeocodeError as error:
            if exactly_one or error.reason != "ambiguous":
                return None
            places = [self.resolve(label) for label in error.suggestions]
        locations = [Location(p.label, (p.lat, p.lon), p.as_dict()) for p in places]
        return locations[0] if exactly_one else locations

    def reverse(
        self, query: Any, *, exactly_one: bool = True, timeout: Any = DEFAULT_SENTINEL
    ) -> Location | list[Location] | None:
        """geopy-style reverse: the nearest ZIP to a point, as a Location, or None."""
        point = Point(query)
        try:
            place = self._from_coordinates(f"{point.latitude},{point.longitude}", point.latitude, point.longitude)
        except GeocodeError:
            return None
        location = Location(place.label, (place.lat, place.lon), place.as_dict())
        return location if exactly_one else [location]

    # -- resolution ---------------------------------------------------------------------

    def query_kind(self, query: str) -> QueryKind:
        """How resolve() reads the query: 'coordinates', 'zip' (a bare ZIP), or 'text'."""
        text = _clean(query or "")
        if not text:
            return "empty"
        if len(text) > MAX_QUERY_LENGTH:
            return "too_long"
        if _COORDS_COMMA.fullmatch(text) or _COORDS_SPACE.fullmatch(text):
            return "coordinates"
        if _ZIP_ONLY.fullmatch(text):
            return "zip"
        return "text"

    def resolve(self, query: str) -> Place:
        """Resolve a query to a Place, or raise GeocodeError with a reason."""
        text = _clean(query or "")
        if not text:
            raise GeocodeError("empty", text)
        if len(text) > MAX_QUERY_LENGTH:
            raise GeocodeError("too_long", text[:MAX_QUERY_LENGTH])
        coords = _COORDS_COMMA.fullmatch(text) or _COORDS_SPACE.fullmatch(text)
        if coords:
            return self._from_coordinates(text, float(coords.group(1)), float(coords.group(2)))
        zip_only = _ZIP_ONLY.fullmatch(text)
        if zip_only:
            place = self._from_zip(text, zip_only.group(1), "zip")
            if place is None:
                raise GeocodeError("not_found", text)
            return place
        return self._from_text(text)

    def _from_coordinates(self, query: str, lat: float, lon: float) -> Place:
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
            raise GeocodeError("out_of_range", query)
        zip5 = self.gazetteer.nearest_zip(lat, lon, COORDINATE_ZIP_KM)
        info = self.gazetteer.zip_info(zip5) if zip5 else None
        if info is None:
            raise GeocodeError("not_found", query)
        # The nearest ZIP's town names the place ("Dallas, TX"): a page never shows the coordinates.
        label = f"{info.city}, {info.state}" if info.city and info.state else state_name(info.state or "") or ""
        return Place(query, label, lat, lon, "coordinates", info.state, info.county, info.zip, info.timezone)

    def _from_zip(self, query: str, zip5: str, kind: PlaceKindName) -> Place | None:
        info = self.gazetteer.zip_info(zip5)
        if info is None:
            return None
        label = f"{info.city}, {info.state} {zip5}" if info.city and info.state else zip5
        if kind == "address":
            label = query
        return Place(query, label, info.lat, info.lon, kind, info.state, info.county, zip5, info.timezone)

    def _from_record(self, query: str, record: PlaceRecord, kind: PlaceKindName) -> Place:
        attrs = self._place_attrs.get(record)
        if attrs is None:
            zip5 = self.gazetteer.nearest_zip(record.lat, record.lon, PLACE_ZIP_KM, state=record.state)
            info = self.gazetteer.zip_info(zip5) if zip5 else None
            attrs = (info.county, info.timezone) if info else (None, None)
            if len(self._place_attrs) < 100_000:
                self._place_attrs[record] = attrs
        label = query if kind == "address" else record.label
        return Place(query, label, record.lat, record.lon, kind, record.state, attrs[0], None, attrs[1])

    def _from_text(self, text: str) -> Place:
        zip_match = self._zip_in_text(text)
        rest = text
        if zip_match is not None:
            rest = text[: zip_match.start()] + text[zip_match.end() :]
            street_like = any(c.isdigit() for c in rest) or len(_SEGMENT_SPLIT.split(rest.strip(" ,"))) >= 3
            place = self._from_zip(text, zip_match.group(1), "address" if street_like else "zip")
            if place is not None:
                return place
        segments = [seg for seg in (tokens(part) for part in _SEGMENT_SPLIT.split(rest)) if seg]
        if not segments:
            raise GeocodeError("not_found", text)
        alias = self.gazetteer.alias(rest)
        if alias is not None:
            return self._from_record(text, alias, "place")
        state, city_segments = _split_state(segments)
        if not city_segments:
            return self._state_only(text, [tok for seg in segments for tok in seg], state)
        found = self._find_in_segments(city_segments, state)
        if found is not None:
            record, street_like = found
            return self._from_record(text, record, "address" if street_like else "place")
        city_words = city_segments[-1]
        if state is None:
            return self._bare_name(text, city_words)
        if len(segments) == 1:
            # 'Something XX' where XX looked like a state but the whole may be a name.
            whole = self.gazetteer.find_place_key("".join(segments[0]), None)
            if len(whole) == 1:
                return self._from_record(text, whole[0], "place")
        similar = self.gazetteer.similar_places(" ".join(city_words), state, MAX_NOT_FOUND_SUGGESTIONS)
        raise GeocodeError("not_found", text, [r.label for r in similar])

    @staticmethod
    def _zip_in_text(text: str) -> re.Match[str] | None:
        """The last 5-digit group, unless it is a leading house number ('12345 Main St')."""
        matches = list(_ZIP_IN_TEXT.finditer(text))
        if not matches:
            return None
        last = matches[-1]
        if last.start() == 0 and text[last.end() :].strip(" ,"):
            return None
        return last

    def _find_in_segments(self, city_segments: list[list[str]], state: str | None) -> tuple[PlaceRecord, bool] | None:
        """Find the city in the segment nearest the state: whole segment, then trailing words.

        Returns (record, street_like) where street_like means words or segments preceded it.
        """
        if state is None:
            # Without a state only an exact, unique name counts; _bare_name handles the rest.
            return None
        last = city_segments[-1]
        for start in range(len(last)):
            found = self.gazetteer.find_place_key("".join(last[start:]), state)
            if found:
                return found[0], start > 0 or len(city_segments) > 1
        if len(city_segments) >= 2:
            # 'Dallas, Dallas County, TX'
            found = self.gazetteer.find_place_key("".join(city_segments[-2]), state)
            if found:
                return found[0], len(city_segments) > 2
        return None

    def _state_only(self, text: str, words: list[str], state: str | None) -> Place:
        """Only a state name was given ('New York', 'Washington', 'Indiana').

        A same-named place in that state resolves ('New York' -> New York, NY); same-named
        places in several other states are ambiguous; a single one elsewhere is only a
        suggestion, since the user most likely meant the state.
        """
        candidates = self.gazetteer.find_place_key("".join(words), None)
        for record in candidates:
            if record.state == state:
                return self._from_record(text, record, "place")
        labels = [r.label for r in candidates[:MAX_AMBIGUOUS_SUGGESTIONS]]
        raise GeocodeError("ambiguous" if len(candidates) > 1 else "not_found", text, labels)

    def _bare_name(self, text: str, words: list[str]) -> Place:
        """A name with no state: resolve if one state has it, else ambiguous or not found."""
        candidates = self.gazetteer.find_place_key("".join(words), None)
        if len(candidates) == 1:
            return self._from_record(text, candidates[0], "place")
        if candidates:
            labels = [r.label for r in candidates[:MAX_AMBIGUOUS_SUGGESTIONS]]
            raise GeocodeError("ambiguous", text, labels)
        similar = self.gazetteer.similar_places(" ".join(words), None, MAX_NOT_FOUND_SUGGESTIONS)
        raise GeocodeError("not_found", text, [r.label for r in similar])


def _split_state(segments: list[list[str]]) -> tuple[str | None, list[list[str]]]:
    """Split a trailing state ('TX', 'Texas', 'New York', 'D.C.') off the segments.

    Returns (state, city_segments): segments before the state, plus what precedes the state
    in its own segment ('Dallas TX' -> 'TX', [['dallas']]).
    """
    segments = [list(seg) for seg in segments]
    for suffix in _COUNTRY_SUFFIXES:
        last = segments[-1]
        if (
            len(last) >= len(suffix)
            and last[-len(suffix) :] == suffix
            and (len(last) > len(suffix) or len(segments) > 1)
        ):
            segments[-1] = last[: -len(suffix)]
            if not segments[-1]:
                segments.pop()
            break
    last = segments[-1]
    for width in range(min(4, len(last)), 0, -1):
        state = state_abbr("".join(last[-width:]))
        if state is not None:
            rest = last[:-width]
            return state, segments[:-1] + ([rest] if rest else [])
    return None, segments


OnlineGeocoder = Any
"""A geopy Geocoder (has .geocode(query)) or a callable query -> Location | None (a RateLimiter)."""


class GeocoderChain:
    """Offline geocoder first; online geocoders only for text the offline one did not find."""

    def __init__(self, offline: OfflineGeocoder, *online: OnlineGeocoder) -> None:
        """Chain offline with zero or more online geocoders, tried in order."""
        self.offline = offline
        self.online: tuple[OnlineGeocoder, ...] = online

    def resolve(self, query: str) -> Place:
        """Resolve query to a Place, or raise the offline GeocodeError when nothing finds it."""
        try:
            return self.offline.resolve(query)
        except GeocodeError as error:
            if error.reason != "not_found" or self.offline.query_kind(query) != "text":
                raise
            for geocoder in self.online:
                place = self._ask_online(geocoder, _clean(query))
                if place is not None:
                    return place
            raise

    def geocode(self, query: str, *, exactly_one: bool = True) -> Location | list[Location] | None:
        """geopy-style geocode over the chain: a Location (raw = Place fields) or None."""
        try:
            place = self.resolve(query)
        except GeocodeError:
            return None
        location = Location(place.label, (place.lat, place.lon), place.as_dict())
        return location if exactly_one else [location]

    def _ask_online(self, geocoder: OnlineGeocoder, query: str) -> Place | None:
        lookup: Callable[[str], Any] = geocoder.geocode if hasattr(geocoder, "geocode") else geocoder
        try:
            result = lookup(query)
        except GeopyError as error:
            # Never the query: what a person typed is where they are.
            logger.warning("online geocoder %s failed: %s", type(geocoder).__name__, type(error).__name__)
            return None
        if isinstance(result, list):
            result = result[0] if result else None
        if result is None:
            return None
        lat, lon = float(result.latitude), float(result.longitude)
        gazetteer = self.offline.gazetteer
        zip5 = gazetteer.nearest_zip(lat, lon, COORDINATE_ZIP_KM)
        info = gazetteer.zip_info(zip5) if zip5 else None
        if info is None:
            logger.info("online geocoder returned a place outside the covered area")
            return None
        label = result.address or f"{_format_degrees(lat)}, {_format_degrees(lon)}"
        return Place(query, label, lat, lon, "online", info.state, info.county, info.zip, info.timezone)


def build_geocoder(
    online: str | None = None, user_agent: str = "amparo", min_delay_seconds: float = 1.0
) -> GeocoderChain:
    """The app's geocoder: offline, plus Nominatim (US only, rate limited) when online='nominatim'."""
    offline = OfflineGeocoder(user_agent=user_agent)
    if online is None:
        return GeocoderChain(offline)
    if online != "nominatim":
        raise ValueError(f"unknown online geocoder {online!r}; supported: 'nominatim'")
    nominatim = Nominatim(user_agent=user_agent)
    limited = RateLimiter(
        functools.partial(nominatim.geocode, country_codes="us", exactly_one=True),
        min_delay_seconds=min_delay_seconds,
        max_retries=0,
        swallow_exceptions=False,
    )
    return GeocoderChain(offline, limited)


__all__ = [
    "GeocodeError",
    "GeocoderChain",
    "OfflineGeocoder",
    "Place",
    "build_geocoder",
]
