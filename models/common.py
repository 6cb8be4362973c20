"""HSDS objects that attach to several others: phone, schedule, language, attribute, metadata."""

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from models.base import new_id, utcnow


class Phone(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    location_id: str | None = Field(default=None, foreign_key="location.id", index=True)
    service_id: str | None = Field(default=None, foreign_key="service.id", index=True)
    organization_id: str | None = Field(default=None, foreign_key="organization.id", index=True)
    contact_id: str | None = Field(default=None, foreign_key="contact.id")
    service_at_location_id: str | None = Field(default=None, foreign_key="service_at_location.id")
    number: str = Field(max_length=50)
    extension: int | None = None
    type: str | None = Field(default=None, max_length=20)  # voice, text, fax, hotline, ...
    description: str | None = None
    # Extension: a public contact point that stands in for a confidential location.
    public_contact: bool = False


class Schedule(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    service_id: str | None = Field(default=None, foreign_key="service.id", index=True)
    location_id: str | None = Field(default=None, foreign_key="location.id", index=True)
    service_at_location_id: str | None = Field(default=None, foreign_key="service_at_location.id")
    valid_from: date | None = None
    valid_to: date | None = None
    dtstart: date | None = None
    timezone: float | None = None
    until: date | None = None
    count: int | None = None
    wkst: str | None = Field(default=None, max_length=2)
    freq: str | None = Field(default=None, max_length=10)  # WEEKLY, MONTHLY
    interval: int | None = None
    byday: str | None = Field(default=None, max_length=40)  # e.g. "MO,TU,WE"
    byweekno: str | None = Field(default=None, max_length=100)
    bymonthday: str | None = Field(default=None, max_length=100)
    byyearday: str | None = Field(default=None, max_length=100)
    description: str | None = None
    opens_at: str | None = Field(default=None, max_length=8)  # "09:00"
    closes_at: str | None = Field(default=None, max_length=8)  # "17:00"; "24:00" for midnight
    schedule_link: str | None = Field(default=None, max_length=500)
    attending_type: str | None = None  # HSDS sets no limit: "in person or by video call", ...
    notes: str | None = None


class Language(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    service_id: str | None = Field(default=None, foreign_key="service.id", index=True)
    location_id: str | None = Field(default=None, foreign_key="location.id", index=True)
    phone_id: str | None = Field(default=None, foreign_key="phone.id")
    name: str | None = None  # 211 exports write long names ("Spanish (interpretation by phone)")
    code: str | None = Field(default=None, max_length=10)  # ISO 639
    note: str | None = None  # e.g. "Spanish intake line only"


class Attribute(SQLModel, table=True):
    """HSDS attribute: links any record to a taxonomy term (services to needs, for one)."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    link_id: str = Field(max_length=36, index=True)
    taxonomy_term_id: str = Field(foreign_key="taxonomy_term.id", index=True)
    link_type: str | None = Field(default=None, max_length=50)
    link_entity: str = Field(max_length=50)  # service, organization, location, ...
    value: str | None = None


class Metadata(SQLModel, table=True):
    """HSDS metadata: one changed field of one record (the history of the listings issue)."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    resource_id: str = Field(max_length=36, index=True)
    resource_type: str = Field(max_length=50)
    last_action_date: datetime = Field(default_factory=utcnow)
    last_action_type: str = Field(max_length=20)  # create, update, delete, restore
    field_name: str = Field(default="", max_length=100)
    previous_value: str = ""
    replacement_value: str = ""
    updated_by: str = Field(default="", max_length=300)
