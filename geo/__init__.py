"""Offline US geocoding for the referral directory: ZIPs, places, coordinates and distances.

No network at run time: everything resolves from data/gazetteer/*.csv.gz and the zipcodes
package. An online geopy geocoder can be chained in for free-text places (build_geocoder).
"""

from geo.distance import EARTH_RADIUS_KM, bounding_box, distance_km, haversine_km
from geo.gazetteer import (
    STATE_ABBREVIATIONS,
    STATES,
    Gazetteer,
    PlaceRecord,
    ZipInfo,
    get_gazetteer,
    name_key,
    normalize,
    state_abbr,
    state_name,
)
from geo.geocoder import GeocodeError, GeocoderChain, OfflineGeocoder, Place, build_geocoder

__all__ = [
    "EARTH_RADIUS_KM",
    "STATES",
    "STATE_ABBREVIATIONS",
    "Gazetteer",
    "GeocodeError",
    "GeocoderChain",
    "OfflineGeocoder",
    "Place",
    "PlaceRecord",
    "ZipInfo",
    "bounding_box",
    "build_geocoder",
    "distance_km",
    "get_gazetteer",
    "haversine_km",
    "name_key",
    "normalize",
    "state_abbr",
    "state_name",
]
