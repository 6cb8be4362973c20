"""Account rules: creating users, checking passwords, and resetting them by emailed link.

Plain functions that take the session; a broken rule raises AccountError, whose message the
view puts back on the form field it names.
"""

import hashlib
import re
import secrets
from collections.abc import Callable
from datetime import timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlmodel import Session

from accounts.mailer import send_mail
from models import Membership, Organization, PasswordResetToken, User
from models.account import USER_ROLES, password_fingerprint
from models.base import utcnow

PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 1024  # argon2 takes any length; a bound keeps one request from costing too much
RESET_TOKEN_LIFETIME = timedelta(hours=1)
# Per-account back-off, whatever the IP address: after FREE_LOGIN_FAILURES wrong passwords in a row the
# account waits 1 minute, then 2, 4, ... up to an hour, before it takes a password again. The owner is
# told by email at NOTIFY_LOGIN_FAILURES. A right password or a password reset starts over.
FREE_LOGIN_FAILURES = 5
NOTIFY_LOGIN_FAILURES = 10
LONGEST_LOGIN_WAIT = timedelta(hours=1)
EMAIL_SHAPE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# The organization role each kind of user gets; a caseworker is an editor of their agency.
MEMBERSHIP_ROLE_FOR = {"ngo": "owner", "caseworker": "editor"}

_hasher = PasswordHasher()


class AccountError(Exception):
    """A broken account rule; ``field`` names the form field the message belongs to."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def normalize_email(email: str) -> str:
    """Return the email as stored: trimmed and lower-cased."""
    return email.strip().lower()


def check_password_rules(password: str) -> None:
    """Raise AccountError when a new password is too short or too long."""
    if len(password) < PASSWORD_MIN_LENGTH:
        raise AccountError(
            _("Use at least %(count)d characters.", count=PASSWORD_MIN_LENGTH), field="password"
        )
    if len(password) > PASSWORD_MAX_LENGTH:
        raise AccountError(_("This password is too long."), field="password")


def create_user(
    session: Session, *, email: str, password: str, role: str, organization_id: str | None = None
) -> User:
    """Create an account (and its membership of ``organization_id``, for NGO staff and caseworkers)."""
    email = normalize_email(email)
    if len(email) > 254 or not EMAIL_SHAPE.match(email):
        raise AccountError(_("Enter a valid email address."), field="email")
    if role not in USER_ROLES:
        raise AccountError(_("Unknown role: %(role)s.", role=role), field="role")
    check_password_rules(password)
    if find_user(session, email=email) is not None:
        raise AccountError(_("An account with this email already exists."), field="email")
    if organization_id is not None:
        if role not in MEMBERSHIP_ROLE_FOR:
            raise AccountError(_("Only NGO staff and caseworkers belong to an organization."), field="organization")
        if session.get(Organization, organization_id) is None:
            raise AccountError(_("There is no organization with this id."), field="organization")
    user = User(email=email, password_hash=_hasher.hash(password), role=role)
    session.add(user)
    session.flush()
    if organization_id is not None:
        session.add(Membership(user_id=user.id, organization_id=organization_id, role=MEMBERSHIP_ROLE_FOR[role]))
    session.commit()
    return user


def register_ngo_user(
    session: Session, *, email: str, password: str, login_url: str, reset_url: str
) -> User | None:
    """Create an NGO staff account with no organization yet; return it, or None when the email is taken.

    A taken email gets an email of its own ("someone tried to register; reset your password here")
    and the caller shows the same answer as for a new account, so that the form never tells a
    stranger which addresses have accounts. The same argon2 work is done either way, so timing
    does not tell either.
    """
    email = normalize_email(email)
    if len(email) > 254 or not EMAIL_SHAPE.match(email):
        raise AccountError(_("Enter a valid email address."), field="email")
    check_password_rules(password)
    existing = find_user(session, email=email)
    if existing is not None:
        _hasher.hash(password)
        body = _(
            "Someone tried to create an Amparo account with this email address, which already has one.\n\n"
            "If it was you, log in here:\n%(login)s\n\n"
            "Forgot your password? Choose a new one here:\n%(reset)s\n\n"
            "If it was not you, you can ignore this email: nothing has changed.",
            login=login_url,
            reset=reset_url,
        )
        send_mail(session, to=existing.email, subject=_("Someone tried to register with your email"), body=body)
        return None
    user = create_user(session, email=email, password=password, role="ngo")
    body = _(
        "Welcome to Amparo. Your account is ready.\n\n"
        "Log in with this email and the password you chose:\n%(login)s\n\n"
        "Then claim your organization's listing, or add a new organization. A moderator checks "
        "every request before you can edit.\n\n"
        "If you did not create this account, you can ignore this email.",
        login=login_url,
    )
    send_mail(session, to=user.email, subject=_("Your Amparo account"), body=body)
    return user


def find_user(session: Session, *, email: str) -> User | None:
    """Return the user with this email (any case), or None."""
    return session.execute(select(User).where(User.email == normalize_email(email))).scalar_one_or_none()


def authenticate(
    session: Session, *, email: str, password: str, reset_url: str | None = None
) -> User | None:
    """Return the active user with this email and password, or None; record the login or the failure.

    An account that is waiting (too many wrong passwords in a row) takes no password, not even the
    right one, and the answer looks the same as a wrong password, so that nobody learns which emails
    have accounts. ``reset_url`` goes in the email that tells the owner about the failures.
    """
    user = find_user(session, email=email)
    now = utcnow()
    if user is None:
        # The same argon2 work as for a real account: timing does not tell which emails exist.
        _verify(_dummy_hash(), password)
        return None
    if _login_waits(user, now):
        _verify(_dummy_hash(), password)  # the password is not even tried, but takes the same time
        _record_login_failure(session, user=user, now=now, reset_url=reset_url, tried=False)
        return None
    if not _verify(user.password_hash, password) or not user.is_active:
        _record_login_failure(session, user=user, now=now, reset_url=reset_url, tried=True)
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = now
    _clear_login_failures(user)
    session.commit()
    return user


def _login_waits(user: User, now) -> bool:
    blocked_until = user.login_blocked_until
    if blocked_until is not None and blocked_until.tzinfo is None:  # SQLite gives naive UTC back
        blocked_until = blocked_until.replace(tzinfo=now.tzinfo)
    return blocked_until is not None and blocked_until > now


def login_wait(failures: int) -> timedelta:
    """Return how long an account waits after ``failures`` wrong passwords in a row (none at first)."""
    if failures < FREE_LOGIN_FAILURES:
        return timedelta(0)
    return min(timedelta(minutes=2 ** min(failures - FREE_LOGIN_FAILURES, 10)), LONGEST_LOGIN_WAIT)


def _record_login_failure(session: Session, *, user: User, now, reset_url: str | None, tried: bool) -> None:
    """Count a failed log-in, make the account wait longer after a wrong password, and tell the owner once.

    Tries while the account waits count towards telling the owner, but do not make the wait longer.
    """
    failures = (user.failed_logins or 0) + 1
    # A single atomic increment: failures sent in parallel from many addresses all count.
    session.execute(update(User).where(User.id == user.id).values(failed_logins=User.failed_logins + 1))
    wait = login_wait(failures) if tried else timedelta(0)
    if wait:
        user.login_blocked_until = now + wait
    if failures == NOTIFY_LOGIN_FAILURES:
        body = _(
            "Someone tried to log in to your Amparo account with a wrong password %(count)d times in a row.\n\n"
            "Your account now waits a few minutes between tries. If it was you, wait and try again, or choose a "
            "new password here:\n%(reset)s\n\n"
            "If it was not you, your password has not been guessed. To be safe, choose a new one at the link above.",
            count=failures,
            reset=reset_url or "",
        )
        send_mail(session, to=user.email, subject=_("Failed log-ins to your Amparo account"), body=body)
    session.commit()
    session.refresh(user)


def _clear_login_failures(user: User) -> None:
    user.failed_logins = 0
    user.login_blocked_until = None


def load_logged_in_user(session: Session, *, login_id: str) -> User | None:
    """Return the active user a session cookie names, unless their password has changed since."""
    user_id, _dot, fingerprint = login_id.partition(".")
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        return None
    if not secrets.compare_digest(fingerprint, password_fingerprint(user.password_hash)):
        return None
    return user


def memberships_of(session: Session, *, user_id: str) -> list[tuple[Membership, Organization]]:
    """Return a user's memberships with their organizations, by organization name."""
    rows = session.execute(
        select(Membership, Organization)
        .join(Organization, Organization.id == Membership.organization_id)
        .where(Membership.user_id == user_id)
        .order_by(Organization.name)
    )
    return [(membership, organization) for membership, organization in rows]


def start_password_reset(session: Session, *, email: str, url_for_token: Callable[[str], str]) -> None:
    """Email a one-time reset link to an active account; do nothing, visibly the same, for any other email."""
    user = find_user(session, email=email)
    if user is None or not user.is_active:
        return
    token = secrets.token_urlsafe(32)
    session.add(
        PasswordResetToken(user_id=user.id, token_hash=_token_hash(token), expires_at=utcnow() + RESET_TOKEN_LIFETIME)
    )
    session.commit()
    body = _(
        "Someone asked to reset the password of your Amparo account.\n\n"
        "To choose a new password, open this link within one hour:\n%(link)s\n\n"
        "If you did not ask for this, you can ignore this email: your password stays the same.",
        link=url_for_token(token),
    )
    send_mail(session, to=user.email, subject=_("Reset your Amparo password"), body=body)


def reset_token_is_valid(session: Session, *, token: str) -> bool:
    """Tell whether a reset link can still be used."""
    return _usable_token(session, token) is not None


def finish_password_reset(session: Session, *, token: str, new_password: str) -> User:
    """Set a new password with a valid reset link; the link, and every other one of this user, then stops working."""
    found = _usable_token(session, token)
    if found is None:
        raise AccountError(_("This link has expired or has already been used. Please ask for a new one."))
    check_password_rules(new_password)
    user = session.get(User, found.user_id)
    now = utcnow()
    session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
    )
    user.password_hash = _hasher.hash(new_password)
    _clear_login_failures(user)  # the owner proved who they are: the back-off must not lock them out
    session.commit()
    return user


def _usable_token(session: Session, token: str) -> PasswordResetToken | None:
    found = session.execute(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == _token_hash(token))
    ).scalar_one_or_none()
    if found is None or found.used_at is not None or found.expires_at <= utcnow():
        return None
    user = session.get(User, found.user_id)
    return found if user is not None and user.is_active else None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    """Return a hash of a random password, made on first use (not at import)."""
    return _hasher.hash(secrets.token_urlsafe(16))
