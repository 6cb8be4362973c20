"""Reports of a problem with a listing or with a page's translation, sent by the public without an account."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from models.base import new_id, utcnow

REPORT_KINDS = ("phone", "address", "hours", "closed", "services", "fraud", "translation", "other")


class ListingReport(SQLModel, table=True):
    """One report, for moderators. It holds no personal data: no name, no contact, no IP address.

    A translation report may name no listing: it names the page (its path only, never the query,
    which can hold a searched place) and the language the person read it in.
    """

    __tablename__ = "listing_report"
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    service_id: str | None = Field(default=None, foreign_key="service.id", index=True)
    kind: str = Field(max_length=20)
    page: str | None = Field(default=None, max_length=200)
    language: str | None = Field(default=None, max_length=10)
    message: str = Field(default="", max_length=1000)
    created_at: datetime = Field(default_factory=utcnow)
    status: str = Field(default="open", max_length=20)  # open | resolved | rejected
