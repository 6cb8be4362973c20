"""Confidential locations (shelters): the one place that says what of them may be published, and where.

A confidential location publishes its name, who runs it, how to reach it by its public contact phones, and
a public point (the centre of its ZIP code or town), never its address, its true coordinates, or free
text about the site (how to get there, accessibility, hours notes, descriptions): that text is written
by the people who work there and easily names a street. Every public output goes through this module:
the pages, the map data, /api/v1, /api/hsds, the HSDS export and the referral slip.
"""

from geo import get_gazetteer
from models import Location

# Of a confidential location's own fields, only these are published (its name is the program's public name).
LOCATION_PUBLIC_FIELDS = frozenset({"id", "location_type", "organization_id", "name", "confidential", "state",
                                    "timezone", "geocode_precision"})  # fmt: skip
# Of its schedules, only when it is open.
SCHEDULE_PRIVATE_FIELDS = ("description", "notes", "schedule_link")
# A proximity search around a point finds a confidential site within at least this many km of its public
# point, however small the radius asked: shrinking the radius must not pinpoint a shelter.
MIN_PROXIMITY_KM = 10.0
CENTROID_PRECISIONS = ("zip", "place")  # the stored point is already a ZIP or town centre


def public_point(location: Location) -> tuple[float, float] | None:
    """Return the point a location may be shown and searched at: its own, or a confidential one's ZIP centre.

    A confidential site placed by its street (an import, a manual pin) is moved to the centre of the ZIP
    code nearest to it; with no ZIP near, it has no public point at all.
    """
    if location.latitude is None or location.longitude is None:
        return None
    if not location.confidential or location.geocode_precision in CENTROID_PRECISIONS:
        return location.latitude, location.longitude
    gazetteer = get_gazetteer()
    nearest = gazetteer.nearest_zip(location.latitude, location.longitude)
    info = gazetteer.zip_info(nearest) if nearest else None
    return (info.lat, info.lon) if info is not None else None


def public_precision(location: Location) -> str:
    """Return how precisely a location's public point places it ("zip" for a confidential site moved there)."""
    if location.confidential and location.geocode_precision not in CENTROID_PRECISIONS:
        return "zip"
    return location.geocode_precision


def public_location_row(location: Location, row: dict) -> dict:
    """Return a location's fields as published: a confidential one's private fields are blanked."""
    if not location.confidential:
        return row
    return {key: (value if key in LOCATION_PUBLIC_FIELDS else None) for key, value in row.items()}


def public_schedule_row(confidential: bool, row: dict) -> dict:
    """Return a schedule's fields as published: no notes, description or link at a confidential site."""
    if not confidential:
        return row
    return {key: (None if key in SCHEDULE_PRIVATE_FIELDS else value) for key, value in row.items()}


def public_language_row(confidential: bool, row: dict) -> dict:
    """Return a language of a site as published: at a confidential site the code, without its note."""
    return {**row, "note": None} if confidential and "note" in row else row
