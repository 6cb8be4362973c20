"""Claiming and membership: who may manage an organization's listings, and how they come to.

NGO staff ask to claim a published listing, or submit a new organization (kept "pending",
out of search, the provider pages and the HSDS API until a moderator approves it). Owners
invite colleagues by email (a one-time link; only the sha256 of its token is stored) and
remove them. Plain functions that take the session; a broken rule raises MemberError, whose
message the view puts on the form field it names.
"""

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlmodel import Session

from accounts.mailer import send_mail
from accounts.users import EMAIL_SHAPE, create_user, find_user, normalize_email
from geo import get_gazetteer
from listings.edits import apply_changes
from listings.fields import read_values
from listings.records import parts_of
from matching.index import reindex_services
from models import (
    Address,
    Invitation,
    Location,
    Membership,
    Organization,
    OrganizationClaim,
    Phone,
    Service,
    ServiceAtLocation,
    User,
)
from models.base import today, utcnow
from referrals.access import organization_ids_of

INVITATION_LIFETIME = timedelta(days=7)
SEARCH_LIMIT = 20


# Owners invite colleagues to edit (owner, editor) and, for an agency, caseworkers to refer clients.
INVITATION_ROLES = ("owner", "editor", "caseworker")


class MemberError(Exception):
    """A broken claim or membership rule; ``field`` names the form field the message belongs to."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


# Claims.


def search_organizations(session: Session, *, name: str = "", city: str = "") -> list[tuple[Organization, list[str]]]:
    """Return published organizations whose name and a location's city contain the words, with their cities."""
    name, city = name.strip().lower(), city.strip().lower()
    if not name and not city:
        return []
    query = select(Organization).where(Organization.status == "published")
    if name:
        query = query.where(func.lower(Organization.name).contains(name, autoescape=True))
    if city:
        in_city = (
            select(Location.organization_id)
            .join(Address, Address.location_id == Location.id)
            .where(func.lower(Address.city).contains(city, autoescape=True))
        )
        query = query.where(Organization.id.in_(in_city))
    organizations = list(session.execute(query.order_by(Organization.name).limit(SEARCH_LIMIT)).scalars())
    return [(organization, _cities_of(session, organization.id)) for organization in organizations]


def _cities_of(session: Session, organization_id: str) -> list[str]:
    # A confidential location's town is public anyway (its coordinates are the town's), never its street.
    rows = session.execute(
        select(Address.city, Address.state_province)
        .join(Location, Location.id == Address.location_id)
        .where(Location.organization_id == organization_id, Address.city != "")
    )
    return sorted({f"{city}, {state}" if state else city for city, state in rows})


def claimable_organization(session: Session, *, organization_id: str) -> Organization | None:
    """Return a published organization, or None (pending and rejected ones cannot be claimed)."""
    organization = session.get(Organization, organization_id)
    return organization if organization is not None and organization.status == "published" else None


def submit_claim(session: Session, *, user: User, organization_id: str, message: str) -> OrganizationClaim:
    """Ask a moderator to make ``user`` an owner of a published organization."""
    organization = claimable_organization(session, organization_id=organization_id)
    if organization is None:
        raise MemberError(_("This organization is not listed."))
    if _role_in(session, user_id=user.id, organization_id=organization_id) == "owner":
        raise MemberError(_("You already manage this organization."), field="message")
    pending = session.execute(
        select(OrganizationClaim.id).where(
            OrganizationClaim.user_id == user.id,
            OrganizationClaim.organization_id == organization_id,
            OrganizationClaim.status == "pending",
        )
    ).first()
    if pending is not None:
        raise MemberError(_("You already asked to manage this organization. A moderator will answer soon."),
                          field="message")  # fmt: skip
    claim = OrganizationClaim(kind="claim", user_id=user.id, organization_id=organization_id, message=message.strip())
    session.add(claim)
    session.commit()
    return claim


@dataclass
class NewOrganization:
    """What a new organization's form says: the organization, one service, one location."""

    name: str
    description: str = ""
    website: str = ""
    email: str = ""
    phone: str = ""
    service_name: str = ""
    needs: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    address_1: str = ""
    address_2: str = ""
    city: str = ""
    state_province: str = ""
    postal_code: str = ""
    confidential: bool = False
    message: str = ""


def submit_new_organization(session: Session, *, user: User, new: NewOrganization) -> OrganizationClaim:
    """Create a pending, unverified organization with its service and location, and a claim for a moderator."""
    zip_info = get_gazetteer().zip_info(new.postal_code.strip()[:5])
    if zip_info is None:
        raise MemberError(_("We do not know this ZIP code. Check it, please."), field="postal_code")
    organization = Organization(name="", status="pending", verified=False)
    session.add(organization)
    session.flush()
    # Every field goes through the edit pipeline as a "create": history shows who wrote it.
    apply_changes(
        session,
        resource_type="organization",
        record=organization,
        changes={"name": new.name, "description": new.description, "website": new.website, "email": new.email},
        updated_by=user.email,
        action="create",
    )
    if new.phone:
        session.add(Phone(organization_id=organization.id, number=new.phone, type="voice"))
    service = Service(
        organization_id=organization.id,
        name=new.service_name,
        url=new.website or None,
        email=new.email or None,
        delivery="in-person",
    )
    session.add(service)
    # Coordinates are the ZIP's centroid: enough for distance, and all a confidential site may ever have.
    location = Location(
        organization_id=organization.id,
        name=new.name,
        latitude=zip_info.lat,
        longitude=zip_info.lon,
        geocode_precision="zip",
        state=zip_info.state or new.state_province.upper()[:2],
        county=zip_info.county,
        timezone=zip_info.timezone,
    )
    session.add(location)
    session.flush()
    session.add(ServiceAtLocation(service_id=service.id, location_id=location.id))
    apply_changes(
        session,
        resource_type="service",
        record=service,
        # The person who writes a new listing has just checked it: creation counts as a confirmation.
        changes={
            "needs": ",".join(sorted(new.needs)),
            "languages": ",".join(sorted(new.languages)),
            "assured_date": today().isoformat(),
        },
        updated_by=user.email,
        action="create",
    )
    apply_changes(
        session,
        resource_type="location",
        record=location,
        changes={
            "address_1": new.address_1,
            "address_2": new.address_2,
            "city": new.city,
            "state_province": new.state_province.upper(),
            "postal_code": new.postal_code,
            "confidential": "yes" if new.confidential else "no",
        },
        updated_by=user.email,
        action="create",
    )
    claim = OrganizationClaim(kind="new", user_id=user.id, organization_id=organization.id, message=new.message.strip())
    session.add(claim)
    session.commit()
    return claim


def claims_of(session: Session, *, user_id: str) -> list[tuple[OrganizationClaim, Organization]]:
    """Return a user's claims that wait or were rejected, newest first (approved ones show as memberships)."""
    rows = session.execute(
        select(OrganizationClaim, Organization)
        .join(Organization, Organization.id == OrganizationClaim.organization_id)
        .where(OrganizationClaim.user_id == user_id, OrganizationClaim.status.in_(("pending", "rejected")))
        .order_by(OrganizationClaim.submitted_at.desc())
    )
    return [tuple(row) for row in rows]


@dataclass
class ClaimForReview:
    """A pending claim as a moderator sees it: who asks, what they wrote, who owns the listing now."""

    claim: OrganizationClaim
    organization: Organization
    requester: User
    owners: list[str]
    details: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # (kind, field -> value)
    phones: list[str] = field(default_factory=list)


def pending_claims(session: Session) -> list[ClaimForReview]:
    """Return the claims waiting for a moderator, oldest first; a new organization comes with all its details."""
    rows = session.execute(
        select(OrganizationClaim, Organization, User)
        .join(Organization, Organization.id == OrganizationClaim.organization_id)
        .join(User, User.id == OrganizationClaim.user_id)
        .where(OrganizationClaim.status == "pending")
        .order_by(OrganizationClaim.submitted_at)
    )
    found = []
    for claim, organization, requester in rows:
        item = ClaimForReview(
            claim, organization, requester, owners=owner_emails(session, organization_id=organization.id)
        )
        if claim.kind == "new":
            services, locations = parts_of(session, organization_id=organization.id)
            item.details.append(
                ("organization", read_values(session, resource_type="organization", record=organization))
            )
            for service in services:
                values = read_values(session, resource_type="service", record=service)
                item.details.append(("service", {"name": service.name, **values}))
            for location in locations:
                item.details.append(("location", read_values(session, resource_type="location", record=location)))
            item.phones = list(
                session.execute(select(Phone.number).where(Phone.organization_id == organization.id)).scalars()
            )
        found.append(item)
    return found


def owner_emails(session: Session, *, organization_id: str) -> list[str]:
    """Return the emails of an organization's owners, sorted."""
    return sorted(
        session.execute(
            select(User.email)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.organization_id == organization_id, Membership.role == "owner")
        ).scalars()
    )


def _pending_claim(session: Session, claim_id: str) -> OrganizationClaim:
    claim = session.get(OrganizationClaim, claim_id)
    if claim is None or claim.status != "pending":
        raise MemberError(_("This request has already been reviewed."))
    return claim


def approve_claim(session: Session, *, moderator: User, claim_id: str, dashboard_url: str) -> OrganizationClaim:
    """Make the requester an owner and verify the organization; publish and index a new one; tell the requester."""
    claim = _pending_claim(session, claim_id)
    organization = session.get(Organization, claim.organization_id)
    requester = session.get(User, claim.user_id)
    _make_member(session, user_id=requester.id, organization_id=organization.id, role="owner")
    organization.verified = True
    if claim.kind == "new":
        organization.status = "published"
        organization.last_modified = utcnow()
        _confirm_on_approval(session, organization_id=organization.id, requester=requester, moderator=moderator)
    claim.status, claim.reviewed_by, claim.reviewed_at = "approved", moderator.id, utcnow()
    session.flush()
    # Verifying changes nothing in the index, publishing does: refresh either way, it is cheap.
    services = session.execute(select(Service.id).where(Service.organization_id == organization.id)).scalars()
    reindex_services(session, list(services))
    session.commit()
    body = _(
        "Good news: a moderator approved your request about %(organization)s on Amparo.\n\n"
        "You can now keep its listing up to date. Log in and open your listings:\n%(link)s",
        organization=organization.name,
        link=dashboard_url,
    )
    send_mail(session, to=requester.email, subject=_("Your request on Amparo was approved"), body=body)
    return claim


def _confirm_on_approval(session: Session, *, organization_id: str, requester: User, moderator: User) -> None:
    """Count a new organization's approval as a confirmation of its listing (no reminder on its first day)."""
    services = session.execute(select(Service).where(Service.organization_id == organization_id)).scalars().all()
    for service in services:
        apply_changes(
            session,
            resource_type="service",
            record=service,
            changes={"assured_date": today().isoformat()},
            updated_by=_("%(submitter)s (approved by %(moderator)s)", submitter=requester.email,
                         moderator=moderator.email),
        )  # fmt: skip


def reject_claim(
    session: Session, *, moderator: User, claim_id: str, reason: str, dashboard_url: str
) -> OrganizationClaim:
    """Refuse a claim with a reason the requester sees (a new organization stays unpublished, as "rejected")."""
    if not reason.strip():
        raise MemberError(_("Say why, so the organization can fix it."), field="reason")
    claim = _pending_claim(session, claim_id)
    organization = session.get(Organization, claim.organization_id)
    if claim.kind == "new":
        organization.status = "rejected"
    claim.status, claim.reviewed_by, claim.reviewed_at = "rejected", moderator.id, utcnow()
    claim.reason = reason.strip()
    session.commit()
    requester = session.get(User, claim.user_id)
    # The reason stays on the dashboard, behind the login; the email only says where to read it.
    body = _(
        "A moderator could not approve your request about %(organization)s on Amparo.\n\n"
        "Log in to read why and what you can do:\n%(link)s",
        organization=organization.name,
        link=dashboard_url,
    )
    send_mail(session, to=requester.email, subject=_("Your request on Amparo was not approved"), body=body)
    return claim


# Members and invitations.


def _role_in(session: Session, *, user_id: str, organization_id: str) -> str | None:
    return session.execute(
        select(Membership.role).where(Membership.user_id == user_id, Membership.organization_id == organization_id)
    ).scalar_one_or_none()


def _make_member(session: Session, *, user_id: str, organization_id: str, role: str) -> Membership:
    """Add a membership, or raise an editor to owner (never lower an owner)."""
    membership = session.execute(
        select(Membership).where(Membership.user_id == user_id, Membership.organization_id == organization_id)
    ).scalar_one_or_none()
    if membership is None:
        membership = Membership(user_id=user_id, organization_id=organization_id, role=role)
        session.add(membership)
    elif role == "owner":
        membership.role = "owner"
    return membership


def owned_organization_ids(session: Session, *, user_id: str) -> set[str]:
    """Return the ids of the organizations a user owns."""
    return set(
        session.execute(
            select(Membership.organization_id).where(Membership.user_id == user_id, Membership.role == "owner")
        ).scalars()
    )


def members_of(session: Session, *, organization_id: str) -> list[tuple[Membership, User]]:
    """Return an organization's members, owners first, then by email."""
    rows = session.execute(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.organization_id == organization_id)
        .order_by(Membership.role != "owner", User.email)
    )
    return [tuple(row) for row in rows]


def pending_invitations(session: Session, *, organization_id: str) -> list[Invitation]:
    """Return the invitations of an organization that can still be accepted, newest first."""
    return list(
        session.execute(
            select(Invitation)
            .where(
                Invitation.organization_id == organization_id,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > utcnow(),
            )
            .order_by(Invitation.created_at.desc())
        ).scalars()
    )


def invite(
    session: Session,
    *,
    inviter: User,
    organization_id: str,
    email: str,
    role: str,
    url_for_token: Callable[[str], str],
) -> Invitation:
    """Email a colleague a one-time link to join an organization; a newer invitation replaces an older one."""
    email = normalize_email(email)
    if len(email) > 254 or not EMAIL_SHAPE.match(email):
        raise MemberError(_("Enter a valid email address."), field="email")
    if role not in INVITATION_ROLES:
        raise MemberError(_("Choose owner, editor or caseworker."), field="role")
    organization = session.get(Organization, organization_id)
    if organization is None:
        raise MemberError(_("This organization is not listed."))
    existing = find_user(session, email=email)
    if existing is not None and _role_in(session, user_id=existing.id, organization_id=organization_id):
        raise MemberError(_("This person is already a member."), field="email")
    now = utcnow()
    for older in pending_invitations(session, organization_id=organization_id):
        if older.email == email:
            older.revoked_at = now
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        organization_id=organization_id,
        email=email,
        role=role,
        token_hash=_token_hash(token),
        invited_by=inviter.id,
        created_at=now,
        expires_at=now + INVITATION_LIFETIME,
    )
    session.add(invitation)
    session.commit()
    if role == "caseworker":
        body = _(
            "You are invited to refer clients on Amparo as a caseworker of %(organization)s.\n\n"
            "To accept, open this link within 7 days (it works once):\n%(link)s\n\n"
            "If you do not know this organization, you can ignore this email.",
            organization=organization.name,
            link=url_for_token(token),
        )
    else:
        body = _(
            "You are invited to help keep the listing of %(organization)s on Amparo up to date, as %(role)s.\n\n"
            "To accept, open this link within 7 days (it works once):\n%(link)s\n\n"
            "If you do not know this organization, you can ignore this email.",
            organization=organization.name,
            role=_("owner") if role == "owner" else _("editor"),
            link=url_for_token(token),
        )
    send_mail(
        session, to=email, subject=_("Join %(organization)s on Amparo", organization=organization.name), body=body
    )
    return invitation


def revoke_invitation(session: Session, *, organization_id: str, invitation_id: str) -> None:
    """Make a pending invitation of this organization stop working."""
    invitation = session.get(Invitation, invitation_id)
    if invitation is None or invitation.organization_id != organization_id:
        raise LookupError(invitation_id)
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = utcnow()
        session.commit()


def remove_member(session: Session, *, organization_id: str, membership_id: str) -> str:
    """Remove a member and return their user id; the last owner stays (someone must keep the listing)."""
    membership = session.get(Membership, membership_id)
    if membership is None or membership.organization_id != organization_id:
        raise LookupError(membership_id)
    if membership.role == "owner":
        owners = session.execute(
            select(func.count())
            .select_from(Membership)
            .where(Membership.organization_id == organization_id, Membership.role == "owner")
        ).scalar_one()
        if owners <= 1:
            raise MemberError(_("The last owner cannot be removed. Invite another owner first."))
    user_id = membership.user_id
    session.delete(membership)
    session.commit()
    return user_id


def usable_invitation(session: Session, *, token: str) -> Invitation | None:
    """Return the invitation a link names, if it can still be accepted."""
    invitation = session.execute(
        select(Invitation).where(Invitation.token_hash == _token_hash(token))
    ).scalar_one_or_none()
    if invitation is None or invitation.accepted_at or invitation.revoked_at or invitation.expires_at <= utcnow():
        return None
    return invitation


def invitation_problem(session: Session, *, token: str, user: User) -> str | None:
    """Return why this user cannot accept this invitation, or None when they can."""
    invitation = usable_invitation(session, token=token)
    if invitation is None:
        return _("This invitation has expired, was withdrawn or has already been used.")
    if normalize_email(user.email) != invitation.email:
        return _("This invitation was sent to another email address. Log out, then open the link again.")
    if user.role != account_role_for(invitation):
        if invitation.role == "caseworker":
            return _("Only caseworker accounts can join an agency as caseworkers.")
        return _("Only organization staff accounts can join an organization this way.")
    if invitation.role == "caseworker" and organization_ids_of(session, user=user):
        return _("A caseworker belongs to one agency, and this account already has one.")
    return None


def account_role_for(invitation: Invitation) -> str:
    """Return the kind of account an invitation is for: a caseworker's, or NGO staff's."""
    return "caseworker" if invitation.role == "caseworker" else "ngo"


def accept_invitation(session: Session, *, token: str, user: User) -> Membership:
    """Join the organization of an invitation with the account it was sent to; the link then stops working."""
    problem = invitation_problem(session, token=token, user=user)
    if problem is not None:
        raise MemberError(problem)
    invitation = usable_invitation(session, token=token)
    # A caseworker is an "editor" of their agency: it places them there, and lets them edit nothing.
    role = "editor" if invitation.role == "caseworker" else invitation.role
    membership = _make_member(session, user_id=user.id, organization_id=invitation.organization_id, role=role)
    invitation.accepted_at = utcnow()
    session.commit()
    return membership


def accept_invitation_with_new_account(session: Session, *, token: str, password: str) -> User:
    """Create the invited person's staff account with the chosen password, and join the organization."""
    invitation = usable_invitation(session, token=token)
    if invitation is None:
        raise MemberError(_("This invitation has expired, was withdrawn or has already been used."))
    # create_user checks the password rules and commits; the membership follows right after.
    user = create_user(session, email=invitation.email, password=password, role=account_role_for(invitation))
    accept_invitation(session, token=token, user=user)
    return user


def invitation_organization(session: Session, *, invitation: Invitation) -> Organization:
    """Return the organization an invitation is for."""
    return session.get(Organization, invitation.organization_id)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
