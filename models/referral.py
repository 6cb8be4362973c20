"""Referrals from caseworkers to services, built to hold as little about the client as possible.

Client fields (alias, phone, email, the note to the provider, and notes on status updates) are
stored only encrypted (``*_enc``, Fernet tokens from referrals.crypto) and are erased a set time
after the referral closes; what stays is anonymous: needs, language, statuses and dates.
Never stored: immigration status, date of birth, ID numbers.
"""

from datetime import datetime

from sqlmodel import CheckConstraint, Field, SQLModel, UniqueConstraint

from models.base import new_id, utcnow

CONTACT_PREFERENCES = ("phone", "text", "email", "client-calls")
REFERRAL_STATUSES = (
    "sent",  # made by the caseworker, not yet seen by the provider
    "tracked",  # to a provider that does not receive referrals on Amparo: the caseworker follows it up
    "received",
    "contacted",
    "appointment",
    "helped",
    "unreachable",
    "not-eligible",
    "no-capacity",
    "declined",
)
# A referral item in one of these needs nothing more from anyone.
FINAL_STATUSES = ("helped", "unreachable", "not-eligible", "no-capacity", "declined")


class SavedList(SQLModel, table=True):
    """A caseworker's named list of services (e.g. "Asylum, Dallas")."""

    __tablename__ = "saved_list"
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    user_id: str = Field(foreign_key="user.id", index=True, max_length=36)
    name: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class SavedListItem(SQLModel, table=True):
    __tablename__ = "saved_list_item"
    __table_args__ = (UniqueConstraint("saved_list_id", "service_id"),)
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    saved_list_id: str = Field(foreign_key="saved_list.id", index=True, max_length=36)
    service_id: str = Field(foreign_key="service.id", index=True, max_length=36)
    added_at: datetime = Field(default_factory=utcnow)


class Referral(SQLModel, table=True):
    """One client's referral to one or more services, with the short code printed on their slip."""

    __table_args__ = (
        CheckConstraint("contact_preference IN ('phone', 'text', 'email', 'client-calls')", name="ck_referral_contact"),
    )
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    code: str = Field(max_length=12, unique=True)  # e.g. "K7M4Q2XP", shown as K7M4-Q2XP
    agency_id: str = Field(foreign_key="organization.id", index=True, max_length=36)
    caseworker_id: str | None = Field(default=None, foreign_key="user.id", index=True, max_length=36)
    needs: str = ""  # comma-separated need codes
    language: str = Field(default="en", max_length=10)  # the client's preferred language (slip, contact)
    contact_preference: str = Field(default="client-calls", max_length=20)
    client_alias_enc: str | None = None
    client_phone_enc: str | None = None
    client_email_enc: str | None = None
    note_enc: str | None = None
    created_at: datetime = Field(default_factory=utcnow, index=True)
    closed_at: datetime | None = Field(default=None, index=True)
    client_erased_at: datetime | None = None


class ReferralItem(SQLModel, table=True):
    """The part of a referral sent to one service (and so to one provider organization)."""

    __tablename__ = "referral_item"
    __table_args__ = (UniqueConstraint("referral_id", "service_id"),)
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    referral_id: str = Field(foreign_key="referral.id", index=True, max_length=36)
    service_id: str = Field(foreign_key="service.id", index=True, max_length=36)
    provider_id: str = Field(foreign_key="organization.id", index=True, max_length=36)
    status: str = Field(default="sent", max_length=20)
    status_at: datetime = Field(default_factory=utcnow)
    first_response_at: datetime | None = None
    # The provider did not receive referrals on Amparo when it was sent: the caseworker sets its status.
    tracked: bool = False


class ReferralEvent(SQLModel, table=True):
    """One status change of a referral item; its optional note is client data, so it is encrypted."""

    __tablename__ = "referral_event"
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    referral_item_id: str = Field(foreign_key="referral_item.id", index=True, max_length=36)
    status: str = Field(max_length=20)
    note_enc: str | None = None
    by_user_id: str | None = Field(default=None, foreign_key="user.id", max_length=36)
    at: datetime = Field(default_factory=utcnow)
