"""The search index: one row per (need, site) or (need, service area) of every active service.

Derived from the HSDS tables by matching.index.reindex_service; never edited by hand.
Ancestors of a service's needs get rows too, so a search for a parent finds its children
with one indexed equality; ``direct`` marks the service's own needs.
"""

from sqlmodel import Field, Index, SQLModel


class SearchEntry(SQLModel, table=True):
    __tablename__ = "search_entry"
    __table_args__ = (
        Index("ix_search_entry_need_lat_lon", "need_code", "latitude", "longitude"),
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
