"""Organizations (HSDS organization), their identifiers and contacts."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from models.base import new_id, utcnow


class OrganizationBase(SQLModel):
    name: str = Field(max_length=300)
    alternate_name: str | None = Field(default=None, max_length=300)
    description: str = ""
    email: str | None = Field(default=None, max_length=300)
    website: str | None = Field(default=None, max_length=500)
    tax_status: str | None = Field(default=None, max_length=100)
    tax_id: str | None = Field(default=None, max_length=50)
    legal_status: str | None = Field(default=None, max_length=100)
    uri: str | None = Field(default=None, max_length=500)
    year_incorporated: int | None = None
    logo: str | None = Field(default=None, max_length=500)


class Organization(OrganizationBase, table=True):
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    parent_organization_id: str | None = Field(default=None, foreign_key="organization.id", index=True)
    # Extensions: where the record came from, and whether a moderator has verified the
    # organization (its edits then publish at once; see the listings issue).
    source_key: str | None = Field(default=None, max_length=200, unique=True)
    sources: str = ""  # space-separated source ids, e.g. "eoir/pro-bono-providers"
    verified: bool = False
    status: str = Field(default="published", max_length=20)  # published | pending | rejected
    last_modified: datetime = Field(default_factory=utcnow, index=True)  # max() answers API Last-Modified
    version: int = 1


class OrganizationIdentifier(SQLModel, table=True):
    __tablename__ = "organization_identifier"
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    organization_id: str = Field(foreign_key="organization.id", index=True)
    identifier_scheme: str | None = Field(default=None, max_length=100)
    identifier_type: str = Field(max_length=100)
    identifier: str = Field(max_length=200)


class Contact(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    organization_id: str | None = Field(default=None, foreign_key="organization.id", index=True)
    service_id: str | None = Field(default=None, foreign_key="service.id", index=True)
    service_at_location_id: str | None = Field(default=None, foreign_key="service_at_location.id")
    location_id: str | None = Field(default=None, foreign_key="location.id")
    name: str | None = Field(default=None, max_length=200)
    title: str | None = Field(default=None, max_length=200)
    department: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=300)
