"""The search index: one row per (need, site) or (need, service area) of every active service.

Derived from the HSDS tables by matching.index.reindex_service; never edited by hand.
Ancestors of a service's needs get rows too, so a search for a parent finds its children
with one indexed equality; ``direct`` marks the service's own needs.

Spatial index: every site row carries its grid ``cell`` (GRID_DEGREES square), and the index key is
(need_code, cell), so that a search reads only the cells its circle touches. On PostgreSQL with
PostGIS the migration adds ``geog`` as well (a generated geography point with a GiST index, see
POSTGIS_COLUMN); it is not a model field, because SQLite and plain PostgreSQL do not have it.
"""

import math

from sqlmodel import Field, Index, SQLModel


class SearchEntry(SQLModel, table=True):
    __tablename__ = "search_entry"
    __table_args__ = (
        Index("ix_search_entry_need_cell", "need_code", "cell"),
        # Area rows are few: find them by scope and state first (so that site searches have only
        # the index above to choose from, even before the planner has statistics).
        Index("ix_search_entry_scope_state_need", "scope", "state", "need_code"),
    )
    id: int | None = Field(default=None, primary_key=True)
    need_code: str = Field(max_length=60)
    direct: bool = True
    service_id: str = Field(foreign_key="service.id", index=True, max_length=36)
    organization_id: str = Field(max_length=36)
    location_id: str | None = Field(default=None, max_length=36)
    service_at_location_id: str | None = Field(default=None, max_length=36)
    # A site row has coordinates; an area row has a scope (national, state, county) instead.
    latitude: float | None = None
    longitude: float | None = None
    cell: int | None = None  # grid_cell(latitude, longitude); None for an area row
    # How the site's point was found (location.geocode_precision): only "source" and "manual" are a
    # street address; "zip" and "place" are a centre, shown as "in <city> (exact address not listed)".
    geocode_precision: str | None = Field(default=None, max_length=20)
    city: str | None = Field(default=None, max_length=100)  # the site's town; never a confidential site's
    scope: str | None = Field(default=None, max_length=20)
    state: str | None = Field(default=None, max_length=2)
    county: str | None = Field(default=None, max_length=100)
    # Denormalised for filtering and ranking without joins.
    service_name: str = Field(max_length=300)
    organization_name: str = Field(max_length=300)
    needs: str = ""  # "|asylum|immigration-legal|"
    languages: str = ""  # "|en|es|"
    cost: str | None = Field(default=None, max_length=20)
    credentials: str = ""  # "|eoir-pro-bono|"
    capacity: str | None = Field(default=None, max_length=20)
    delivery: str = Field(default="in-person", max_length=20)
    hours: str = ""  # "MO 09:00-17:00;TU 09:00-17:00"
    timezone: str | None = Field(default=None, max_length=60)


# About 11 km north to south: a 50 km search reads about 100 cells, trimmed to its circle (see
# matching.engine._grid), where half-degree cells read 3.4 times the rows within the circle at 1M services.
GRID_DEGREES = 0.1
CELL_ROW = 10_000  # a cell's number: its band x CELL_ROW + its column (columns run to 360 / GRID_DEGREES)
_LAT_BANDS = int(180 / GRID_DEGREES)  # bands from the south pole, so that every number is positive
_LON_BANDS = int(360 / GRID_DEGREES)
# The PostGIS-only column and index (matching.index.has_postgis, migration 5f0c9a1e2b3d).
POSTGIS_COLUMN = "geog"
POSTGIS_INDEX = "ix_search_entry_geog"


def lat_band(lat: float) -> int:
    """Return the grid row of a latitude (0 at the south pole)."""
    return math.floor(lat / GRID_DEGREES) + _LAT_BANDS // 2


def lon_band(lon: float) -> int:
    """Return the grid column of a longitude (0 at the antimeridian, going east)."""
    return math.floor(lon / GRID_DEGREES) + _LON_BANDS // 2


def grid_cell(lat: float | None, lon: float | None) -> int | None:
    """Return the grid cell of a point: its band number x CELL_ROW + its column (None without a point)."""
    if lat is None or lon is None:
        return None
    return lat_band(lat) * CELL_ROW + lon_band(lon)


def include_in_autogenerate(_object, name, type_, reflected, compare_to) -> bool:
    """Tell Alembic's comparison to leave the PostGIS-only column and index alone (not in the models)."""
    postgis_only = (type_ == "column" and name == POSTGIS_COLUMN) or (type_ == "index" and name == POSTGIS_INDEX)
    return not (postgis_only and reflected and compare_to is None)
