"""Moderation of listings: change requests waiting for review, and the reminders sent to owners."""

from datetime import date, datetime

from sqlmodel import Field, SQLModel, UniqueConstraint

from models.base import new_id, utcnow

CHANGE_STATUSES = ("pending", "approved", "rejected")


class ChangeRequest(SQLModel, table=True):
    """Edits to one record that wait for a moderator: ``changes`` is JSON, field -> [old, new]."""

    __tablename__ = "change_request"
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    organization_id: str = Field(foreign_key="organization.id", index=True, max_length=36)
    resource_type: str = Field(max_length=50)  # organization | service | location
    resource_id: str = Field(max_length=36)
    changes: str
    submitted_by: str = Field(foreign_key="user.id", index=True, max_length=36)
    submitted_at: datetime = Field(default_factory=utcnow)
    status: str = Field(default="pending", max_length=20, index=True)
    reviewed_by: str | None = Field(default=None, foreign_key="user.id", max_length=36)
    reviewed_at: datetime | None = None
    reason: str = ""


class ListingReminder(SQLModel, table=True):
    """A reminder to confirm stale listings, at most one per owner per day."""

    __tablename__ = "listing_reminder"
    __table_args__ = (UniqueConstraint("user_id", "sent_on"),)
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    user_id: str = Field(foreign_key="user.id", max_length=36)
    sent_on: date


CLAIM_KINDS = ("claim", "new")


class OrganizationClaim(SQLModel, table=True):
    """A request by NGO staff to manage an existing listing ("claim") or to list a new organization ("new").

    A moderator approves it (the user becomes an owner; a new organization is published) or
    rejects it with a reason the user sees.
    """

    __tablename__ = "organization_claim"
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    kind: str = Field(max_length=10)
    user_id: str = Field(foreign_key="user.id", index=True, max_length=36)
    organization_id: str = Field(foreign_key="organization.id", index=True, max_length=36)
    # What the requester says about their role, so a moderator can check it (e.g. by calling the office).
    message: str = ""
    submitted_at: datetime = Field(default_factory=utcnow)
    status: str = Field(default="pending", max_length=20, index=True)
    reviewed_by: str | None = Field(default=None, foreign_key="user.id", max_length=36)
    reviewed_at: datetime | None = None
    reason: str = ""


class Invitation(SQLModel, table=True):
    """An owner's invitation for a colleague to join an organization. Only the sha256 of the token is kept."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    organization_id: str = Field(foreign_key="organization.id", index=True, max_length=36)
    email: str = Field(max_length=254)
    role: str = Field(max_length=20)  # owner | editor
    token_hash: str = Field(max_length=64, unique=True)
    invited_by: str = Field(foreign_key="user.id", max_length=36)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    accepted_at: datetime | None = None
    revoked_at: datetime | None = None
