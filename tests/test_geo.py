"""Offline geocoding (geo/): ZIPs, places, addresses, coordinates, errors, the online chain, distances.

Runs without network (pytest-socket) and without any conftest fixture.
"""

from __future__ import annotations

import ast
import gzip
import math
import pickle
import random
import time
from pathlib import Path

import geopy.distance
import pytest
from geopy.exc import GeocoderServiceError, GeocoderTimedOut
from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders.base import Geocoder
from geopy.location import Location

import geo
from geo import (
    EARTH_RADIUS_KM,
    STATES,
    Gazetteer,
    GeocodeError,
    GeocoderChain,
    OfflineGeocoder,
    Place,
    bounding_box,
    build_geocoder,
    distance_km,
    get_gazetteer,
    haversine_km,
    name_key,
    state_abbr,
    state_name,
)
from geo.build_gazetteer import build

GEO_DIR = Path(geo.__file__).resolve().parent
DATA_DIR = GEO_DIR.parent / "data" / "gazetteer"
SEED_DIR = GEO_DIR.parent.parent / "shared" / "seed-data"  # ../shared beside the checkout, as in CI

DALLAS = (32.79333, -96.76651)  # Census place centroid
ZIP_75201 = (32.7883, -96.7996)  # ZCTA centroid


@pytest.fixture(scope="module")
def geocoder() -> OfflineGeocoder:
    return OfflineGeocoder(get_gazetteer())


def resolve(geocoder: OfflineGeocoder, query: str) -> Place:
    return geocoder.resolve(query)


def error_for(geocoder: OfflineGeocoder, query: str) -> GeocodeError:
    with pytest.raises(GeocodeError) as caught:
        geocoder.resolve(query)
    return caught.value


def km_between(place: Place, point: tuple[float, float]) -> float:
    return distance_km(place.lat, place.lon, point[0], point[1])


# -- ZIP codes ------------------------------------------------------------------------------


def test_a_bare_zip_resolves_to_its_zcta_centroid_with_state_county_and_timezone(geocoder):
    place = resolve(geocoder, "75201")
    assert (place.lat, place.lon) == ZIP_75201
    assert place.kind == "zip"
    assert place.zip == "75201"
    assert place.state == "TX"
    assert place.county == "Dallas County"
    assert place.timezone == "America/Chicago"
    assert place.label == "Dallas, TX 75201"
    assert place.query == "75201"


def test_zip_plus_four_resolves_to_the_five_digit_zip(geocoder):
    place = resolve(geocoder, "75201-1234")
    assert place.zip == "75201"
    assert (place.lat, place.lon) == ZIP_75201


def test_a_po_box_zip_without_a_zcta_resolves_through_zipcodes(geocoder):
    info = geocoder.gazetteer.zip_info("75221")
    assert info is not None
    assert info.source == "zipcodes"
    assert geocoder.gazetteer.zip_info("75201").source == "zcta"
    place = resolve(geocoder, "75221")
    assert place.zip == "75221"
    assert place.state == "TX"
    assert place.county == "Dallas County"
    assert km_between(place, DALLAS) < 10


def test_a_zip_label_fed_back_resolves_to_the_same_zip(geocoder):
    place = resolve(geocoder, resolve(geocoder, "75201").label)
    assert place.zip == "75201"
    assert place.kind == "zip"


# -- places -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["Dallas, TX", "dallas tx", "Dallas Texas", "Dallas, Texas", "DALLAS, TX", " Dallas ,  TX ", "Dallas, TX, USA"],
)
def test_city_and_state_in_any_common_spelling_resolve_to_the_city(geocoder, query):
    place = resolve(geocoder, query)
    assert place.kind == "place"
    assert place.label == "Dallas, TX"
    assert (place.lat, place.lon) == DALLAS
    assert place.state == "TX"
    assert place.county == "Dallas County"
    assert place.timezone == "America/Chicago"
    assert place.zip is None


@pytest.mark.parametrize(
    ("query", "label", "state", "point"),
    [
        ("San Jose, CA", "San Jose, CA", "CA", (37.34, -121.89)),
        ("San José, CA", "San Jose, CA", "CA", (37.34, -121.89)),
        ("St. Louis, MO", "St. Louis, MO", "MO", (38.63, -90.20)),
        ("Saint Louis, MO", "St. Louis, MO", "MO", (38.63, -90.20)),
        ("st louis mo", "St. Louis, MO", "MO", (38.63, -90.20)),
        ("New York, NY", "New York, NY", "NY", (40.71, -74.01)),
        ("New York", "New York, NY", "NY", (40.71, -74.01)),
        ("Washington, DC", "Washington, DC", "DC", (38.90, -77.04)),
        ("Washington, D.C.", "Washington, DC", "DC", (38.90, -77.04)),
        ("Los Angeles CA", "Los Angeles, CA", "CA", (34.05, -118.24)),
        ("Ft. Worth, TX", "Fort Worth, TX", "TX", (32.75, -97.33)),
        ("Winston Salem NC", "Winston-Salem, NC", "NC", (36.10, -80.24)),
        ("San Juan, PR", "San Juan, PR", "PR", (18.47, -66.11)),
    ],
)
def test_well_known_places_resolve(geocoder, query, label, state, point):
    place = resolve(geocoder, query)
    assert place.label == label
    assert place.state == state
    assert km_between(place, point) < 25
    assert place.county
    assert place.timezone


def test_an_incorporated_city_beats_a_cdp_of_the_same_name_in_one_state(geocoder):
    # places.csv has Burbank, CA twice: the city (Los Angeles County) and a CDP near San Jose.
    place = resolve(geocoder, "Burbank, CA")
    assert km_between(place, (34.19008, -118.3264)) < 1
    assert place.county == "Los Angeles County"


def test_a_usps_city_without_a_census_place_resolves(geocoder):
    # The Census file has no "Nashville" in TN (it is Nashville-Davidson); zipcodes does.
    place = resolve(geocoder, "Nashville, TN")
    assert place.state == "TN"
    assert place.county == "Davidson County"
    assert km_between(place, (36.16, -86.78)) < 20


def test_a_bare_name_found_in_one_state_only_resolves_to_it(geocoder):
    place = resolve(geocoder, "Albuquerque")
    assert place.label == "Albuquerque, NM"
    assert place.timezone == "America/Denver"


def test_a_place_gets_its_county_from_the_nearest_zip_in_its_own_state(geocoder):
    place = resolve(geocoder, "Texarkana, AR")
    assert place.state == "AR"
    assert place.county == "Miller County"


# -- addresses and coordinates ------------------------------------------------------------------


def test_zip_inside_an_address_wins(geocoder):
    place = resolve(geocoder, "1500 Marilla St, Dallas, TX 75201")
    assert place.kind == "address"
    assert place.zip == "75201"
    assert (place.lat, place.lon) == ZIP_75201
    assert place.county == "Dallas County"


def test_zip_inside_an_address_wins_even_against_another_city(geocoder):
    place = resolve(geocoder, "100 Main St, Springfield, IL 75201")
    assert place.zip == "75201"
    assert place.state == "TX"


def test_an_address_without_zip_falls_back_to_its_city_and_state(geocoder):
    place = resolve(geocoder, "1500 Marilla St, Dallas, TX")
    assert place.kind == "address"
    assert (place.lat, place.lon) == DALLAS
    assert place.state == "TX"
    assert place.zip is None


def test_a_five_digit_house_number_is_not_taken_for_a_zip(geocoder):
    place = resolve(geocoder, "12345 Main St, Dallas, TX")
    assert (place.lat, place.lon) == DALLAS


@pytest.mark.parametrize("query", ["32.78,-96.80", "32.78, -96.80", "32.78 -96.80"])
def test_coordinates_resolve_and_take_state_county_zip_and_timezone_from_the_nearest_zip(geocoder, query):
    place = resolve(geocoder, query)
    assert place.kind == "coordinates"
    assert (place.lat, place.lon) == (32.78, -96.80)
    assert place.state == "TX"
    assert place.county == "Dallas County"
    assert place.timezone == "America/Chicago"
    assert place.zip is not None
    assert place.zip.startswith("752")
    zip_point = geocoder.gazetteer.zip_info(place.zip)
    assert distance_km(32.78, -96.80, zip_point.lat, zip_point.lon) < 5


@pytest.mark.parametrize(("query", "label"), [("32.79,-96.8", "Dallas, TX"), ("40.71,-74.01", "New York, NY")])
def test_coordinates_are_named_by_the_nearest_town_never_by_the_numbers(geocoder, query, label):
    place = resolve(geocoder, query)
    assert place.label == label
    assert not any(char.isdigit() for char in place.label)


def test_coordinates_in_a_territory_resolve(geocoder):
    place = resolve(geocoder, "13.47,144.75")
    assert place.state == "GU"


# -- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["", "   ", "\n\t"])
def test_an_empty_query_is_empty(geocoder, query):
    assert error_for(geocoder, query).reason == "empty"


def test_a_query_over_200_characters_is_too_long(geocoder):
    assert error_for(geocoder, "a" * 201).reason == "too_long"
    assert error_for(geocoder, "a" * 200).reason != "too_long"


@pytest.mark.parametrize("query", ["zzzz", "99999", "Nowhereville, TX", "!!!"])
def test_unknown_queries_are_not_found(geocoder, query):
    assert error_for(geocoder, query).reason == "not_found"


def test_not_found_in_a_state_suggests_close_names_in_that_state(geocoder):
    error = error_for(geocoder, "Nowhereville, TX")
    assert 0 < len(error.suggestions) <= 5
    assert all(s.endswith(", TX") for s in error.suggestions)


def test_a_misspelled_city_suggests_the_right_one(geocoder):
    error = error_for(geocoder, "Dalas, TX")
    assert error.reason == "not_found"
    assert "Dallas, TX" in error.suggestions


@pytest.mark.parametrize("query", ["Springfield", "Dallas", "Washington"])
def test_a_bare_name_in_several_states_is_ambiguous(geocoder, query):
    error = error_for(geocoder, query)
    assert error.reason == "ambiguous"
    assert 2 <= len(error.suggestions) <= 8
    assert all(s.startswith(query + ", ") for s in error.suggestions)


def test_ambiguous_suggestions_list_big_incorporated_places_first(geocoder):
    springfield = error_for(geocoder, "Springfield").suggestions
    assert {"Springfield, IL", "Springfield, MO", "Springfield, MA"} <= set(springfield)
    assert error_for(geocoder, "Dallas").suggestions[0] == "Dallas, TX"
    gazetteer = geocoder.gazetteer
    kinds = [gazetteer.find_place(s.split(", ")[0], s.split(", ")[1]).incorporated for s in springfield]
    assert kinds == sorted(kinds, reverse=True)


@pytest.mark.parametrize("query", ["Springfield", "Dalas, TX", "Nowhereville, TX", "Dallas", "Indiana"])
def test_every_suggestion_resolves_to_itself(geocoder, query):
    suggestions = error_for(geocoder, query).suggestions
    assert suggestions
    for suggestion in suggestions:
        assert resolve(geocoder, suggestion).label == suggestion


@pytest.mark.parametrize("query", ["200,200", "91,0", "0,181", "-91, 10"])
def test_impossible_coordinates_are_out_of_range(geocoder, query):
    assert error_for(geocoder, query).reason == "out_of_range"


@pytest.mark.parametrize("query", ["48.85,2.35", "0,0", "30,-40"])
def test_coordinates_far_from_any_us_zip_are_not_found(geocoder, query):
    assert error_for(geocoder, query).reason == "not_found"


def test_a_geocode_error_has_a_plain_english_message_and_pickles():
    error = GeocodeError("not_found", "Dalas, TX", ["Dallas, TX"])
    assert "Dalas, TX" in str(error)
    assert "Dallas, TX" in str(error)
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own object
    assert (copy.reason, copy.query, copy.suggestions) == ("not_found", "Dalas, TX", ["Dallas, TX"])


# -- geopy interface --------------------------------------------------------------------------


def test_the_offline_geocoder_is_a_geopy_geocoder_returning_locations(geocoder):
    assert isinstance(geocoder, Geocoder)
    location = geocoder.geocode("Dallas, TX")
    assert isinstance(location, Location)
    assert location.address == "Dallas, TX"
    assert (location.latitude, location.longitude) == DALLAS
    assert location.raw == resolve(geocoder, "Dallas, TX").as_dict()
    assert location.raw["county"] == "Dallas County"
    assert geocoder.geocode("zzzz") is None
    assert geocoder.geocode("75201", exactly_one=False)[0].raw["zip"] == "75201"


def test_geocode_of_an_ambiguous_name_lists_every_candidate_when_asked(geocoder):
    assert geocoder.geocode("Springfield") is None
    locations = geocoder.geocode("Springfield", exactly_one=False)
    assert "Springfield, IL" in [loc.address for loc in locations]


def test_the_offline_geocoder_adapter_refuses_network(geocoder):
    with pytest.raises(GeocoderServiceError):
        geocoder.adapter.get_json("https://example.com/", timeout=1, headers={})


def test_reverse_gives_the_nearest_zip(geocoder):
    location = geocoder.reverse((32.7883, -96.7996))
    assert location.raw["zip"] == "75201"
    assert geocoder.reverse((48.85, 2.35)) is None


# -- the chain with an online geocoder --------------------------------------------------------


class FakeOnline:
    """Stands in for a geopy geocoder; records queries and answers from a dict."""

    def __init__(self, answers: dict[str, Location | None] | None = None, error: Exception | None = None):
        self.answers = answers or {}
        self.error = error
        self.calls: list[str] = []

    def geocode(self, query: str) -> Location | None:
        self.calls.append(query)
        if self.error is not None:
            raise self.error
        return self.answers.get(query)


def test_the_chain_asks_online_only_when_offline_finds_nothing(geocoder):
    online = FakeOnline({"Deep Ellum": Location("Deep Ellum, Dallas, Texas", (32.7840, -96.7810), {})})
    chain = GeocoderChain(geocoder, online)
    place = chain.resolve("Deep Ellum")
    assert online.calls == ["Deep Ellum"]
    assert place.kind == "online"
    assert place.label == "Deep Ellum, Dallas, Texas"
    assert (place.lat, place.lon) == (32.7840, -96.7810)
    assert place.state == "TX"
    assert place.county == "Dallas County"
    assert place.zip is not None
    assert place.timezone == "America/Chicago"
    assert chain.resolve("Dallas, TX").kind == "place"
    assert online.calls == ["Deep Ellum"]


@pytest.mark.parametrize("query", ["99999", "75201", "48.85,2.35", "32.78,-96.80", "200,200", "Springfield", ""])
def test_the_chain_never_calls_online_for_zips_coordinates_or_ambiguous_names(geocoder, query):
    online = FakeOnline(error=AssertionError("online geocoder must not be called"))
    chain = GeocoderChain(geocoder, online)
    try:
        chain.resolve(query)
    except GeocodeError:
        pass
    assert online.calls == []


def test_an_online_failure_counts_as_not_found_and_keeps_offline_suggestions(geocoder):
    online = FakeOnline(error=GeocoderTimedOut("slow"))
    chain = GeocoderChain(geocoder, online)
    with pytest.raises(GeocodeError) as caught:
        chain.resolve("Dalas, TX")
    assert caught.value.reason == "not_found"
    assert "Dallas, TX" in caught.value.suggestions
    assert online.calls == ["Dalas, TX"]


def test_an_online_result_outside_the_us_counts_as_not_found(geocoder):
    online = FakeOnline({"Paris, France": Location("Paris, France", (48.85, 2.35), {})})
    with pytest.raises(GeocodeError) as caught:
        GeocoderChain(geocoder, online).resolve("Paris, France")
    assert caught.value.reason == "not_found"
    assert online.calls == ["Paris, France"]


def test_the_chain_tries_online_geocoders_in_order_and_accepts_callables(geocoder):
    first = FakeOnline()
    calls: list[str] = []

    def second(query: str) -> Location:
        calls.append(query)
        return Location("Somewhere, TX", (32.9, -96.8), {})

    place = GeocoderChain(geocoder, first, second).resolve("Somewhere Unknown")
    assert first.calls == ["Somewhere Unknown"]
    assert calls == ["Somewhere Unknown"]
    assert place.kind == "online"
    assert place.state == "TX"


def test_build_geocoder_is_offline_only_by_default():
    chain = build_geocoder()
    assert isinstance(chain.offline, OfflineGeocoder)
    assert chain.online == ()


def test_build_geocoder_with_nominatim_adds_a_rate_limited_us_only_geocoder():
    chain = build_geocoder("nominatim", user_agent="amparo-test", min_delay_seconds=2.5)
    (limiter,) = chain.online
    assert isinstance(limiter, RateLimiter)
    assert limiter.min_delay_seconds == 2.5
    assert limiter.func.keywords["country_codes"] == "us"
    assert limiter.func.func.__self__.headers["User-Agent"] == "amparo-test"
    with pytest.raises(ValueError, match="unknown online geocoder"):
        build_geocoder("google")


# -- gazetteer --------------------------------------------------------------------------------


def test_name_normalization_folds_case_accents_punctuation_and_abbreviations():
    assert name_key("St. Louis") == name_key("Saint Louis") == name_key("ST LOUIS")
    assert name_key("San José") == name_key("san jose")
    assert name_key("Ft. Worth") == name_key("Fort Worth")
    assert name_key("Winston-Salem") == name_key("Winston Salem")
    assert name_key("Coeur d'Alene") == name_key("Coeur dAlene")


def test_state_tables_work_both_ways():
    assert len(STATES) == 57
    assert state_abbr("Texas") == state_abbr("tx") == "TX"
    assert state_abbr("D.C.") == state_abbr("District of Columbia") == "DC"
    assert state_abbr("Puerto Rico") == "PR"
    assert state_abbr("Narnia") is None
    assert state_name("gu") == "Guam"
    assert all(state_abbr(name) == abbr for abbr, name in STATES.items())


def test_nearest_zip_respects_its_radius(geocoder):
    gazetteer = geocoder.gazetteer
    assert gazetteer.nearest_zip(*ZIP_75201) == "75201"
    assert gazetteer.nearest_zip(35.0, -60.0) is None  # mid-Atlantic
    assert gazetteer.nearest_zip(35.0, -60.0, max_km=5000) is not None


def test_committed_gazetteer_files_are_exactly_what_the_build_script_writes(tmp_path):
    if not SEED_DIR.exists():
        pytest.skip("seed data not available")
    counts = build(SEED_DIR, tmp_path)
    assert counts == {"zcta_centroids.csv.gz": 33791, "places.csv.gz": 32307}
    for name in counts:
        assert (tmp_path / name).read_bytes() == (DATA_DIR / name).read_bytes()


def test_a_gazetteer_loads_from_any_directory(tmp_path):
    (tmp_path / "zcta_centroids.csv.gz").write_bytes(gzip.compress(b"zcta,lat,lng\n75201,32.7883,-96.7996\n"))
    (tmp_path / "places.csv.gz").write_bytes(
        gzip.compress(b"geoid,name,state,kind,lat,lng\n4819000,Dallas,TX,city,32.79333,-96.76651\n")
    )
    small = OfflineGeocoder(Gazetteer.load(tmp_path))
    assert small.resolve("Dallas, TX").county == "Dallas County"
    assert small.gazetteer.nearest_zip(32.0, -96.0) is None


def test_load_is_about_a_second_and_resolve_takes_under_a_millisecond(geocoder):
    start = time.perf_counter()
    Gazetteer.load()
    load_seconds = time.perf_counter() - start
    assert load_seconds < 5  # ~0.4 s on a typical machine; loose to stay stable on slow CI
    for query in ("75201", "Dallas, TX", "1500 Marilla St, Dallas, TX 75201"):
        resolve(geocoder, query)
        start = time.perf_counter()
        for _ in range(200):
            resolve(geocoder, query)
        assert (time.perf_counter() - start) / 200 < 0.001


def test_geo_never_imports_flask():
    for path in GEO_DIR.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not any(n.split(".")[0] == "flask" for n in names), path


# -- distances ----------------------------------------------------------------------------------


def test_the_earth_radius_is_geopys():
    assert EARTH_RADIUS_KM == geopy.distance.EARTH_RADIUS


def test_distance_km_matches_a_known_distance():
    # Dallas to Houston city centres: about 362 km.
    assert 355 < distance_km(32.7767, -96.7970, 29.7604, -95.3698) < 370
    assert distance_km(10, 20, 10, 20) == 0


def test_haversine_agrees_with_great_circle_to_a_micrometre_of_a_kilometre():
    rng = random.Random(1234)
    pairs = [(rng.uniform(-89, 89), rng.uniform(-180, 180), rng.uniform(-89, 89), rng.uniform(-180, 180))
             for _ in range(2000)]  # fmt: skip
    pairs += [(32.78, -96.80, 32.78 + d, -96.80 + d) for d in (0.0, 1e-6, 1e-3, 0.1, 1.0, 10.0)]
    for lat1, lon1, lat2, lon2 in pairs:
        exact = geopy.distance.great_circle((lat1, lon1), (lat2, lon2)).km
        assert abs(haversine_km(lat1, lon1, lat2, lon2) - exact) < 1e-6


@pytest.mark.parametrize(
    ("lat", "lon", "radius_km"),
    [(32.78, -96.80, 50), (61.2, -149.9, 200), (70.0, 25.0, 500), (-33.9, 151.2, 10), (0.0, 0.0, 1000)],
)
def test_a_bounding_box_contains_every_point_at_the_radius(lat, lon, radius_km):
    min_lat, max_lat, min_lon, max_lon = bounding_box(lat, lon, radius_km)
    for bearing in range(0, 360, 5):
        point = geopy.distance.great_circle(kilometers=radius_km).destination((lat, lon), bearing)
        assert min_lat <= point.latitude <= max_lat
        assert min_lon <= point.longitude <= max_lon
    # ...and it is not wildly larger than the circle.
    assert (max_lat - min_lat) < 2.01 * math.degrees(radius_km / EARTH_RADIUS_KM)


def test_a_bounding_box_is_clamped_at_the_poles_and_the_antimeridian():
    assert bounding_box(89.9, 10.0, 50) == (pytest.approx(89.9 - 0.4497, abs=1e-3), 90.0, -180.0, 180.0)
    assert bounding_box(51.9, -179.9, 50)[2:] == (-180.0, 180.0)  # Adak side of the antimeridian
    with pytest.raises(ValueError, match="radius"):
        bounding_box(0, 0, -1)


# -- where a place's point lies ---------------------------------------------------------------

OWN_ZIP_KM = 60.0  # a ZIP named after a town farther than this from it is another town's


def _committed_places() -> list[dict]:
    import csv

    with gzip.open(DATA_DIR / "places.csv.gz", "rt", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _committed_zctas() -> dict[str, tuple[float, float]]:
    import csv

    with gzip.open(DATA_DIR / "zcta_centroids.csv.gz", "rt", encoding="utf-8") as handle:
        return {row["zcta"]: (float(row["lat"]), float(row["lng"])) for row in csv.DictReader(handle)}


def test_every_place_point_lies_within_5_km_of_one_of_the_place_s_own_zctas():
    """Own ZCTAs: the ZIPs USPS names after the place in its state, each given to the nearest such place."""
    import zipcodes

    from geo.gazetteer import display_name, name_key

    zctas = _committed_zctas()
    places = _committed_places()
    by_name: dict[tuple[str, str], list[dict]] = {}
    for place in places:
        name, aliases = display_name(place["name"])
        for key in {name_key(name), *(name_key(a) for a in aliases)}:
            by_name.setdefault((key, place["state"]), []).append(place)
    own: dict[str, list[str]] = {}
    for row in zipcodes.list_all():
        code = row["zip_code"]
        if code not in zctas or row["zip_code_type"] not in ("STANDARD", "PO BOX") or not row["city"]:
            continue
        candidates = by_name.get((name_key(row["city"]), row["state"]), [])
        scored = [(distance_km(*zctas[code], float(p["lat"]), float(p["lng"])), p["geoid"]) for p in candidates]
        if scored and min(scored)[0] <= OWN_ZIP_KM:
            own.setdefault(min(scored)[1], []).append(code)
    far = []
    for place in places:
        point = (float(place["lat"]), float(place["lng"]))
        codes = own.get(place["geoid"], [])
        if codes and min(distance_km(*point, *zctas[c]) for c in codes) > 5.0:
            far.append(f"{place['name']}, {place['state']}")
    assert len(own) > 20_000  # most places have ZIPs of their own; the rest keep the Census point
    assert far == []


@pytest.mark.parametrize(
    ("query", "county"),
    [
        ("San Francisco", "San Francisco County"),
        ("San Francisco, CA", "San Francisco County"),
        ("Anchorage, AK", "Anchorage Municipality"),
        ("Corpus Christi, TX", "Nueces County"),
    ],
)
def test_a_city_whose_census_point_lies_off_its_people_is_placed_among_its_zips(geocoder, query, county):
    place = resolve(geocoder, query)
    nearest = geocoder.gazetteer.nearest_zip(place.lat, place.lon, max_km=3.0)
    assert nearest is not None  # on one of the city's own ZIPs, not in the Pacific or the bay
    assert place.county == county


def test_san_francisco_by_name_lies_within_3_km_of_the_mission():
    place = OfflineGeocoder(get_gazetteer()).resolve("San Francisco")
    assert distance_km(place.lat, place.lon, 37.7487, -122.4158) < 3.0  # ZCTA 94110
    assert place.lon > -122.52  # east of Ocean Beach


@pytest.mark.parametrize(
    ("query", "label", "county"),
    [
        ("NYC", "New York, NY", "New York County"),
        ("nyc", "New York, NY", "New York County"),
        ("New York City", "New York, NY", "New York County"),
        ("Nueva York", "New York, NY", "New York County"),
        ("Nueva York, NY", "New York, NY", "New York County"),
        ("LA", "Los Angeles, CA", "Los Angeles County"),
        ("L.A.", "Los Angeles, CA", "Los Angeles County"),
        ("DC", "Washington, DC", "District of Columbia"),
        ("D.C.", "Washington, DC", "District of Columbia"),
        ("Brooklyn", "Brooklyn, NY", "Kings County"),
        ("Brooklyn, NY", "Brooklyn, NY", "Kings County"),
        ("Queens", "Queens, NY", "Queens County"),
        ("the Bronx", "Bronx, NY", "Bronx County"),
        ("Bronx, NY", "Bronx, NY", "Bronx County"),
        ("Manhattan, NY", "Manhattan, NY", "New York County"),
        ("Staten Island", "Staten Island, NY", "Richmond County"),
    ],
)
def test_common_names_and_abbreviations_resolve(geocoder, query, label, county):
    place = resolve(geocoder, query)
    assert (place.label, place.county, place.kind) == (label, county, "place")


def test_a_borough_lies_among_its_own_zips(geocoder):
    brooklyn = resolve(geocoder, "Brooklyn")
    nearest = geocoder.gazetteer.nearest_zip(brooklyn.lat, brooklyn.lon)
    assert geocoder.gazetteer.zip_info(nearest).county == "Kings County"


def test_a_small_brooklyn_elsewhere_still_resolves_with_its_state(geocoder):
    assert resolve(geocoder, "Brooklyn, MI").state == "MI"


def test_manhattan_alone_asks_which_one_new_york_first(geocoder):
    error = error_for(geocoder, "Manhattan")
    assert error.reason == "ambiguous"
    assert error.suggestions[:2] == ["Manhattan, NY", "Manhattan, KS"]


def test_a_typo_near_an_abbreviation_suggests_the_big_city_not_only_a_small_one(geocoder):
    assert "New York, NY" in error_for(geocoder, "NYCC").suggestions
