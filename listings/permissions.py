"""Who may manage what: admins every organization, NGO staff their own, caseworkers none.

Owners and editors alike edit listings; only owners (and admins) manage an organization's members.

A record of another organization answers 404, so that its existence is not revealed.
"""

from functools import wraps

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlmodel import Session

from models import Membership, User

MANAGER_ROLES = ("admin", "ngo")


def can_manage(session: Session, *, user: User, organization_id: str) -> bool:
    """Tell whether a user may edit an organization's listings and see their history."""
    if user.role == "admin":
        return True
    if user.role != "ngo":
        return False
    found = session.execute(
        select(Membership.id).where(Membership.user_id == user.id, Membership.organization_id == organization_id)
    ).first()
    return found is not None


def can_manage_members(session: Session, *, user: User, organization_id: str) -> bool:
    """Tell whether a user may invite and remove an organization's members (its owners, and admins)."""
    if user.role == "admin":
        return True
    if user.role != "ngo":
        return False
    found = session.execute(
        select(Membership.id).where(
            Membership.user_id == user.id, Membership.organization_id == organization_id, Membership.role == "owner"
        )
    ).first()
    return found is not None


def managers_only(view):
    """Let in logged-in admins and NGO staff; others get 403."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if current_user.role not in MANAGER_ROLES:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def admins_only(view):
    """Let in logged-in admins; others get 403."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if current_user.role != "admin":
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def ngo_only(view):
    """Let in logged-in NGO staff (claiming and adding organizations is theirs); others get 403."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if current_user.role != "ngo":
            abort(403)
        return view(*args, **kwargs)

    return wrapped
