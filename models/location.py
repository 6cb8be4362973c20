"""Locations (HSDS location), their addresses and accessibility, and service_at_location."""

from sqlmodel import Field, SQLModel, UniqueConstraint

from models.base import new_id


class Location(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    location_type: str = Field(default="physical", max_length=20)  # physical | postal | virtual
    url: str | None = Field(default=None, max_length=500)
    organization_id: str | None = Field(default=None, foreign_key="organization.id", index=True)
    name: str | None = Field(default=None, max_length=300)
    alternate_name: str | None = Field(default=None, max_length=300)
    description: str | None = None
    transportation: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    external_identifier: str | None = Field(default=None, max_length=200)
    external_identifier_type: str | None = Field(default=None, max_length=100)
    # Extensions. A confidential location (a domestic-violence shelter) never shows, exports or
    # returns its address; its coordinates are only ever the centroid of its ZIP or town.
    confidential: bool = False
    # How the coordinates were found: source, zip, place, manual, or none (kept but unplaced).
    geocode_precision: str = Field(default="none", max_length=20)
    state: str | None = Field(default=None, max_length=2)
    county: str | None = Field(default=None, max_length=100)
    timezone: str | None = Field(default=None, max_length=60)
    source_key: str | None = Field(default=None, max_length=200, unique=True)
    version: int = 1


class Address(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    location_id: str = Field(foreign_key="location.id", index=True)
    attention: str | None = Field(default=None, max_length=200)
    address_1: str = Field(default="", max_length=300)
    address_2: str | None = Field(default=None, max_length=300)
    city: str = Field(default="", max_length=100)
    region: str | None = Field(default=None, max_length=100)
    state_province: str = Field(default="", max_length=100)
    postal_code: str = Field(default="", max_length=20)
    country: str = Field(default="US", max_length=2)
    address_type: str = Field(default="physical", max_length=20)  # physical | postal | virtual


class Accessibility(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    location_id: str = Field(foreign_key="location.id", index=True)
    description: str | None = None
    details: str | None = None
    url: str | None = Field(default=None, max_length=500)


class ServiceAtLocation(SQLModel, table=True):
    __tablename__ = "service_at_location"
    __table_args__ = (UniqueConstraint("service_id", "location_id"),)
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    service_id: str = Field(foreign_key="service.id", index=True)
    location_id: str = Field(foreign_key="location.id", index=True)
    description: str | None = None
