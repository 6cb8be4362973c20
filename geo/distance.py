"""Great-circle distances and bounding boxes on a spherical Earth.

Owns the one Earth radius the project uses (geopy's mean radius), an exact-but-slow
distance through geopy, a fast plain-math haversine for hot loops, and a bounding box
that is guaranteed to contain a search circle (for cheap pre-filtering before distances).
"""

from __future__ import annotations

import math

import geopy.distance

EARTH_RADIUS_KM: float = geopy.distance.EARTH_RADIUS

_MAX_LAT = 90.0
_MAX_LON = 180.0
# Widen boxes by a hair so floating-point rounding never drops a point on the circle.
_BOX_SLACK = 1e-9


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km, computed by geopy."""
    return geopy.distance.great_circle((lat1, lon1), (lat2, lon2), radius=EARTH_RADIUS_KM).km


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km with the haversine formula (no geopy objects; fast)."""
    phi1 = math.radians(lat1)
    phi2 = math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2.0) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2.0) ** 2
    a = min(1.0, max(0.0, a))
    return 2.0 * EARTH_RADIUS_KM * math.atan2(math.sqrt(a), math.sqrt(1.0 - a))


def bounding_box(lat: float, lon: float, radius_km: float) -> tuple[float, float, float, float]:
    """Return (min_lat, max_lat, min_lon, max_lon) containing every point within radius_km.

    Latitudes are clamped to [-90, 90]. When the circle reaches a pole or crosses the
    antimeridian the longitude range is the whole [-180, 180], which is always safe.
    """
    if radius_km < 0:
        raise ValueError("radius_km must not be negative")
    angular = radius_km / EARTH_RADIUS_KM
    dlat = math.degrees(angular) + _BOX_SLACK
    min_lat = lat - dlat
    max_lat = lat + dlat
    if max_lat >= _MAX_LAT or min_lat <= -_MAX_LAT or angular >= math.pi / 2:
        return max(min_lat, -_MAX_LAT), min(max_lat, _MAX_LAT), -_MAX_LON, _MAX_LON
    # Widest longitude reached by a circle of angular radius r at latitude phi:
    # asin(sin r / cos phi); valid because the circle does not contain a pole here.
    ratio = math.sin(angular) / math.cos(math.radians(lat))
    if ratio >= 1.0:
        return min_lat, max_lat, -_MAX_LON, _MAX_LON
    dlon = math.degrees(math.asin(ratio)) + _BOX_SLACK
    min_lon = lon - dlon
    max_lon = lon + dlon
    if min_lon < -_MAX_LON or max_lon > _MAX_LON:
        return min_lat, max_lat, -_MAX_LON, _MAX_LON
    return min_lat, max_lat, min_lon, max_lon
