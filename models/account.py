"""Accounts: staff users, their memberships of organizations, password-reset tokens and the mail outbox.

Only the people who run listings and referrals have accounts (NGO staff, caseworkers, admins);
people looking for help never do. Roles are checked in the database as well as in the code.
"""

import hashlib
from datetime import datetime

from sqlmodel import CheckConstraint, Field, SQLModel, UniqueConstraint

from models.base import new_id, utcnow

USER_ROLES = ("admin", "ngo", "caseworker")
# A caseworker belongs to their agency (an organization) the same way, as an "editor".
MEMBERSHIP_ROLES = ("owner", "editor")


class User(SQLModel, table=True):
    """A staff account. The email is stored lower-cased; the password only as an argon2 hash."""

    __table_args__ = (
        CheckConstraint("role IN ('admin', 'ngo', 'caseworker')", name="ck_user_role"),
        CheckConstraint("referral_emails IN ('each', 'digest')", name="ck_user_referral_emails"),
    )
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    email: str = Field(max_length=254, unique=True)
    password_hash: str = Field(max_length=200)
    role: str = Field(max_length=20)
    is_active: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    last_login_at: datetime | None = None
    # Wrong passwords in a row (any IP address), and until when logging in waits (back-off). A right
    # password or a password reset sets both back.
    failed_logins: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    login_blocked_until: datetime | None = None
    # Emails about referral status changes: "each" change at once, or a daily "digest".
    referral_emails: str = Field(default="each", max_length=10)
    referral_digest_at: datetime | None = None  # the last digest sent

    # What Flask-Login asks of a user (is_active is the column above).
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """Return the id kept in the session cookie; it changes with the password, which logs out other sessions."""
        return f"{self.id}.{password_fingerprint(self.password_hash)}"


def password_fingerprint(password_hash: str) -> str:
    """Return a short digest of a password hash (never the hash itself, which the cookie would show)."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


class Membership(SQLModel, table=True):
    """A user's place in an organization: 'owner' for NGO staff, 'editor' for caseworkers in an agency."""

    __table_args__ = (
        UniqueConstraint("user_id", "organization_id"),
        CheckConstraint("role IN ('owner', 'editor')", name="ck_membership_role"),
    )
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    user_id: str = Field(foreign_key="user.id", max_length=36)
    organization_id: str = Field(foreign_key="organization.id", index=True, max_length=36)
    role: str = Field(max_length=20)
    created_at: datetime = Field(default_factory=utcnow)


class PasswordResetToken(SQLModel, table=True):
    """A one-time password-reset link. Only the sha256 of the token is kept; the token is in the email."""

    __tablename__ = "password_reset_token"
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    user_id: str = Field(foreign_key="user.id", index=True, max_length=36)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None


class OutboxMessage(SQLModel, table=True):
    """An email, kept whether or not it could be sent (the console backend never sends)."""

    __tablename__ = "outbox_message"
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    to_address: str = Field(max_length=254)
    subject: str = Field(max_length=300)
    body: str
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
