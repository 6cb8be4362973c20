"""Services (HSDS service) and what hangs off them: costs, documents, areas, credentials."""

from datetime import date, datetime

from sqlmodel import Field, SQLModel, UniqueConstraint

from models.base import new_id, utcnow


class ServiceBase(SQLModel):
    name: str = Field(max_length=300)
    alternate_name: str | None = Field(default=None, max_length=300)
    description: str | None = None
    url: str | None = Field(default=None, max_length=500)
    email: str | None = Field(default=None, max_length=300)
    status: str = Field(default="active", max_length=30)  # HSDS: active, inactive, defunct, temporarily closed
    interpretation_services: str | None = None
    application_process: str | None = None
    fees_description: str | None = None
    wait_time: str | None = Field(default=None, max_length=200)
    accreditations: str | None = None
    eligibility_description: str | None = None
    minimum_age: int | None = None
    maximum_age: int | None = None
    alert: str | None = None
    licenses: str | None = None


class Service(ServiceBase, table=True):
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    organization_id: str = Field(foreign_key="organization.id", index=True)
    # HSDS: the date the organization (or a moderator approving it) confirmed the record is right.
    # Never a scrape date: that is listed_on.
    assured_date: date | None = None
    assurer_email: str | None = Field(default=None, max_length=300)
    last_modified: datetime = Field(default_factory=utcnow, index=True)  # max() answers API Last-Modified
    # Extensions for this domain.
    cost: str | None = Field(default=None, max_length=20)  # free | sliding-scale | insurance | fee | varies
    delivery: str = Field(default="in-person", max_length=20)  # in-person | remote | both
    capacity: str | None = Field(default=None, max_length=20)  # accepting | waitlist | not-accepting
    capacity_stated_on: date | None = None
    immigration_court: str | None = Field(default=None, max_length=200)
    docket: str | None = Field(default=None, max_length=20)  # detained | non-detained | both
    placement: str = Field(default="placed", max_length=20)  # placed | area-only | unplaced
    # The day the source list this service was listed from was compiled (seed data); not a confirmation.
    listed_on: date | None = None
    no_id_needed: bool = False  # "no ID needed": said plainly to people without papers
    version: int = 1


class Credential(SQLModel, table=True):
    """A credential for immigration legal help (see models.base.CREDENTIAL_KINDS)."""

    __table_args__ = (UniqueConstraint("service_id", "kind"),)
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    service_id: str = Field(foreign_key="service.id", index=True)
    kind: str = Field(max_length=40)
    source: str | None = Field(default=None, max_length=200)  # where we learned it, e.g. the EOIR list
    checked_on: date | None = None


class CostOption(SQLModel, table=True):
    __tablename__ = "cost_option"
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    service_id: str = Field(foreign_key="service.id", index=True)
    valid_from: date | None = None
    valid_to: date | None = None
    option: str | None = Field(default=None, max_length=200)
    currency: str | None = Field(default=None, max_length=3)
    amount: float | None = None
    amount_description: str | None = None


class RequiredDocument(SQLModel, table=True):
    __tablename__ = "required_document"
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    service_id: str = Field(foreign_key="service.id", index=True)
    document: str | None = None
    uri: str | None = Field(default=None, max_length=500)


class ServiceArea(SQLModel, table=True):
    __tablename__ = "service_area"
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    service_id: str = Field(foreign_key="service.id", index=True)
    name: str | None = Field(default=None, max_length=200)
    description: str | None = None
    extent: str | None = None
    extent_type: str | None = Field(default=None, max_length=50)
    uri: str | None = Field(default=None, max_length=500)
    # Extensions used for matching: national, state, county, place or regional; two-letter state.
    scope: str | None = Field(default=None, max_length=20)
    state: str | None = Field(default=None, max_length=2)
