"""Claiming and membership: sign-up, claims and new organizations, moderation, members and invitations."""

import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from accounts.users import create_user
from models import (
    Invitation,
    Membership,
    Metadata,
    Organization,
    OrganizationClaim,
    OutboxMessage,
    Service,
    User,
)
from models.base import today, utcnow
from tests.factories import make_service

PASSWORD = "correct horse battery"
NEW_PASSWORD = "another long passphrase"


def _csrf_token(client, url: str = "/account/login") -> str:
    html = client.get(url).get_data(as_text=True)
    return re.search(r'name="([\w-]*csrf_token)" type="hidden" value="([^"]+)"', html).group(2)


def _post(client, url: str, data: dict | None = None, *, csrf_name: str = "csrf_token"):
    return client.post(url, data={csrf_name: _csrf_token(client), **(data or {})})


def _log_in(client, email: str, password: str = PASSWORD):
    response = _post(client, "/account/login", {"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client


def _fresh(session, model, record_id):
    session.expire_all()
    return session.get(model, record_id)


def _outbox(session) -> list[OutboxMessage]:
    session.expire_all()
    return list(session.execute(select(OutboxMessage).order_by(OutboxMessage.created_at)).scalars())


def _user(session, email: str) -> User:
    session.expire_all()
    return session.execute(select(User).where(User.email == email)).scalar_one()


def _role(session, email: str, organization_id: str) -> str | None:
    session.expire_all()
    return session.execute(
        select(Membership.role)
        .join(User, User.id == Membership.user_id)
        .where(User.email == email, Membership.organization_id == organization_id)
    ).scalar_one_or_none()


@pytest.fixture
def world(app, session):
    """Organizations A (owner a@, editor ed@) and B (owner b@); new@ (NGO, no organization), a caseworker, an admin."""
    with app.app_context():
        a = make_service(session, name="Alpha Legal", needs=["asylum"], lat=32.80, lon=-96.80)
        b = make_service(session, name="Beta Clinic", needs=["asylum"], lat=32.80, lon=-96.80)
    create_user(session, email="a@example.org", password=PASSWORD, role="ngo", organization_id=a.organization_id)
    create_user(session, email="b@example.org", password=PASSWORD, role="ngo", organization_id=b.organization_id)
    editor = create_user(session, email="ed@example.org", password=PASSWORD, role="ngo")
    session.add(Membership(user_id=editor.id, organization_id=a.organization_id, role="editor"))
    session.commit()
    create_user(session, email="new@example.org", password=PASSWORD, role="ngo")
    create_user(session, email="cw@example.org", password=PASSWORD, role="caseworker")
    create_user(session, email="admin@example.org", password=PASSWORD, role="admin")
    return {"org_a": a.organization_id, "org_b": b.organization_id, "service_a": a.id, "service_b": b.id}


# Signing up


def test_signing_up_creates_an_ngo_account_without_organization_and_sends_a_welcome_email(client, session):
    response = _post(
        client,
        "/account/register",
        {"email": "Maria@Example.org", "password": PASSWORD, "confirm": PASSWORD},
    )
    assert response.status_code == 200
    assert "Check your email" in response.get_data(as_text=True)
    user = _user(session, "maria@example.org")
    assert user.role == "ngo"
    assert session.execute(select(Membership).where(Membership.user_id == user.id)).first() is None
    [message] = _outbox(session)
    assert message.to_address == "maria@example.org"
    assert "/account/login" in message.body
    assert PASSWORD not in message.body
    _log_in(client, "maria@example.org")
    assert client.get("/manage/").status_code == 200


def test_signing_up_with_a_taken_email_answers_the_same_and_only_emails_that_address(client, session, world):
    new = _post(client, "/account/register", {"email": "fresh@example.org", "password": PASSWORD, "confirm": PASSWORD})
    taken = _post(client, "/account/register", {"email": "A@example.org", "password": NEW_PASSWORD,
                                                 "confirm": NEW_PASSWORD})  # fmt: skip
    assert (taken.status_code, taken.get_data()) == (new.status_code, new.get_data())
    assert session.execute(select(func.count()).select_from(User).where(User.email == "a@example.org")).scalar() == 1
    # The account is untouched: the old password still works, the typed one does not.
    assert _post(app_client := client.application.test_client(), "/account/login",
                 {"email": "a@example.org", "password": NEW_PASSWORD}).status_code == 400  # fmt: skip
    _log_in(app_client, "a@example.org")
    message = _outbox(session)[-1]
    assert message.to_address == "a@example.org"
    assert "tried to create" in message.body
    assert "/account/reset" in message.body


def test_signing_up_checks_the_password_and_keeps_the_email_typed(client, session):
    response = _post(client, "/account/register", {"email": "x@example.org", "password": "short", "confirm": "short"})
    assert response.status_code == 400
    assert "Use at least 12 characters." in response.get_data(as_text=True)
    assert 'value="x@example.org"' in response.get_data(as_text=True)
    response = _post(client, "/account/register", {"email": "x@example.org", "password": PASSWORD, "confirm": "other"})
    assert response.status_code == 400
    assert "The two passwords are not the same." in response.get_data(as_text=True)
    assert session.execute(select(User)).first() is None


def test_signing_up_is_rate_limited(app, client):
    app.config["RESET_RATE_LIMIT"] = "2 per hour"
    for index in range(2):
        email = f"p{index}@example.org"
        assert _post(client, "/account/register", {"email": email, "password": "x", "confirm": "x"}).status_code == 400
    response = _post(client, "/account/register", {"email": "p9@example.org", "password": "x", "confirm": "x"})
    assert response.status_code == 429


def test_signing_up_needs_a_csrf_token(client, session):
    response = client.post("/account/register", data={"email": "x@example.org", "password": PASSWORD,
                                                       "confirm": PASSWORD})  # fmt: skip
    assert response.status_code == 400
    assert session.execute(select(User)).first() is None


# Claiming a listing


def test_the_dashboard_of_a_person_without_organization_shows_both_paths(client, world):
    _log_in(client, "new@example.org")
    page = client.get("/manage/").get_data(as_text=True)
    assert "Claim your organization" in page
    assert "/manage/claim" in page
    assert "Add a new organization" in page
    assert "/manage/organizations/new" in page


def test_the_claim_search_finds_published_organizations_by_name_and_city(client, session, world):
    pending = Organization(name="Alpha Pending", status="pending")
    session.add(pending)
    session.commit()
    _log_in(client, "new@example.org")
    page = client.get("/manage/claim?q=alpha").get_data(as_text=True)
    assert "Alpha Legal" in page
    assert "Dallas, TX" in page
    assert "Alpha Pending" not in page
    assert "Beta Clinic" not in page
    page = client.get("/manage/claim?q=&city=dallas").get_data(as_text=True)
    assert "Alpha Legal" in page
    assert "Beta Clinic" in page
    assert "Beta Clinic" not in client.get("/manage/claim?city=houston").get_data(as_text=True)
    assert client.get(f"/manage/claim/{pending.id}").status_code == 404


def test_an_approved_claim_makes_the_requester_an_owner_and_verifies_the_organization(app, client, session, world):
    _log_in(client, "new@example.org")
    url = f"/manage/claim/{world['org_a']}"
    assert client.get(url).status_code == 200
    response = _post(client, url, {"message": "Office manager. Call 214-555-0100 and ask for Ana."})
    assert response.status_code == 302
    claim = session.execute(select(OrganizationClaim)).scalar_one()
    assert (claim.kind, claim.status, claim.organization_id) == ("claim", "pending", world["org_a"])
    assert "Waiting for review" in client.get("/manage/").get_data(as_text=True)
    assert client.get(f"/manage/organizations/{world['org_a']}").status_code == 404

    moderator = _log_in(app.test_client(), "admin@example.org")
    queue = moderator.get("/manage/review").get_data(as_text=True)
    assert "Office manager. Call 214-555-0100 and ask for Ana." in queue
    assert "Current owners: a@example.org" in queue
    assert _post(moderator, f"/manage/review/claims/{claim.id}/approve").status_code == 302
    assert _fresh(session, OrganizationClaim, claim.id).status == "approved"
    assert _role(session, "new@example.org", world["org_a"]) == "owner"
    assert _fresh(session, Organization, world["org_a"]).verified
    message = _outbox(session)[-1]
    assert message.to_address == "new@example.org"
    assert "approved" in message.body
    assert client.get(f"/manage/organizations/{world['org_a']}").status_code == 200
    assert "Waiting for review" not in client.get("/manage/").get_data(as_text=True)


def test_one_pending_claim_per_person_and_organization(client, session, world):
    _log_in(client, "new@example.org")
    url = f"/manage/claim/{world['org_a']}"
    assert _post(client, url, {"message": "I run the front desk."}).status_code == 302
    response = _post(client, url, {"message": "Me again, the front desk."})
    assert response.status_code == 400
    assert "You already asked" in response.get_data(as_text=True)
    assert session.execute(select(func.count()).select_from(OrganizationClaim)).scalar() == 1


def test_a_claim_needs_a_message_and_a_csrf_token(client, session, world):
    _log_in(client, "new@example.org")
    url = f"/manage/claim/{world['org_a']}"
    assert _post(client, url, {"message": ""}).status_code == 400
    assert client.post(url, data={"message": "I run the front desk."}).status_code == 400
    assert session.execute(select(OrganizationClaim)).first() is None


def test_a_rejected_claim_needs_a_reason_which_the_requester_sees(app, client, session, world):
    _log_in(client, "new@example.org")
    _post(client, f"/manage/claim/{world['org_b']}", {"message": "Volunteer, call the office."})
    claim = session.execute(select(OrganizationClaim)).scalar_one()
    moderator = _log_in(app.test_client(), "admin@example.org")
    field = f"claim-{claim.id}-reason"
    reject = f"/manage/review/claims/{claim.id}/reject"
    token = _csrf_token(moderator)
    response = moderator.post(reject, data={f"claim-{claim.id}-csrf_token": token, field: ""})
    assert response.status_code == 400
    assert _fresh(session, OrganizationClaim, claim.id).status == "pending"
    response = moderator.post(reject, data={f"claim-{claim.id}-csrf_token": token,
                                            field: "The office says nobody by that name works there."})  # fmt: skip
    assert response.status_code == 302
    assert _fresh(session, OrganizationClaim, claim.id).status == "rejected"
    page = client.get("/manage/").get_data(as_text=True)
    assert "Rejected" in page
    assert "The office says nobody by that name works there." in page
    assert _role(session, "new@example.org", world["org_b"]) is None
    message = _outbox(session)[-1]
    assert message.to_address == "new@example.org"
    assert "not approve" in message.body


# A new organization

NEW_ORG = {
    "name": "Casa Nueva Legal",
    "description": "Immigration help in Spanish.",
    "website": "https://casanueva.example.org",
    "email": "info@casanueva.example.org",
    "phone": "214-555-0199",
    "service_name": "Free asylum consultations",
    "needs": ["asylum"],
    "languages": "es, en",
    "address_1": "12 Elm St",
    "address_2": "",
    "city": "Dallas",
    "state_province": "tx",
    "postal_code": "75201",
    "message": "I am the director. Call the office and ask for Luis.",
}


def _submit_new_organization(client) -> None:
    _log_in(client, "new@example.org")
    response = _post(client, "/manage/organizations/new", NEW_ORG)
    assert response.status_code == 302, re.findall(r'class="error"[^<]*<', response.get_data(as_text=True))


def test_a_new_organization_is_hidden_until_approved_then_it_is_searchable(app, client, session, world):
    _submit_new_organization(client)
    organization = session.execute(select(Organization).where(Organization.name == "Casa Nueva Legal")).scalar_one()
    assert (organization.status, organization.verified) == ("pending", False)
    service = session.execute(select(Service).where(Service.organization_id == organization.id)).scalar_one()
    claim = session.execute(select(OrganizationClaim)).scalar_one()
    assert (claim.kind, claim.organization_id) == ("new", organization.id)

    public = app.test_client()
    search = "/api/v1/search?location=75201&need=asylum"

    def names():
        return [row["organization_name"] for row in public.get(search).get_json()["results"]]

    assert "Casa Nueva Legal" not in names()
    assert public.get(f"/provider/{service.id}").status_code == 404
    assert public.get(f"/api/hsds/organizations/{organization.id}").status_code == 404
    assert public.get(f"/api/hsds/services/{service.id}").status_code == 404

    moderator = _log_in(app.test_client(), "admin@example.org")
    queue = moderator.get("/manage/review").get_data(as_text=True)
    for shown in ("Casa Nueva Legal", "Free asylum consultations", "12 Elm St", "214-555-0199", "asylum", "en,es",
                  "I am the director. Call the office and ask for Luis."):  # fmt: skip
        assert shown in queue
    assert _post(moderator, f"/manage/review/claims/{claim.id}/approve").status_code == 302
    organization = _fresh(session, Organization, organization.id)
    assert (organization.status, organization.verified) == ("published", True)
    assert _role(session, "new@example.org", organization.id) == "owner"
    assert "Casa Nueva Legal" in names()
    assert "Free asylum consultations" in public.get(f"/provider/{service.id}").get_data(as_text=True)
    assert public.get(f"/api/hsds/organizations/{organization.id}").status_code == 200


def test_a_new_organization_gets_no_reminder_on_the_day_it_is_approved(app, client, session, world):
    from listings.commands import queue_reminders

    _submit_new_organization(client)
    claim = session.execute(select(OrganizationClaim)).scalar_one()
    moderator = _log_in(app.test_client(), "admin@example.org")
    assert _post(moderator, f"/manage/review/claims/{claim.id}/approve").status_code == 302
    service = session.execute(select(Service).where(Service.organization_id == claim.organization_id)).scalar_one()
    assert _fresh(session, Service, service.id).assured_date == today()
    with app.test_request_context():
        queue_reminders(session, manage_url="x")
    reminders = session.execute(
        select(OutboxMessage.to_address).where(OutboxMessage.subject == "Are your Amparo listings still correct?")
    ).scalars()
    assert "new@example.org" not in list(reminders)


def test_a_new_organization_records_who_created_each_field(client, session, world):
    _submit_new_organization(client)
    organization = session.execute(select(Organization).where(Organization.name == "Casa Nueva Legal")).scalar_one()
    rows = session.execute(select(Metadata).where(Metadata.last_action_type == "create")).scalars().all()
    fields = {(row.field_name, row.replacement_value) for row in rows}
    assert ("name", "Casa Nueva Legal") in fields
    assert ("needs", "asylum") in fields
    assert ("city", "Dallas") in fields
    assert ("state_province", "TX") in fields
    assert {row.updated_by for row in rows} == {"new@example.org"}
    assert organization.id in {row.resource_id for row in rows}


def test_a_confidential_new_location_keeps_its_street_out_of_public_pages_once_approved(app, client, session, world):
    _log_in(client, "new@example.org")
    _post(client, "/manage/organizations/new", {**NEW_ORG, "confidential": "y"})
    claim = session.execute(select(OrganizationClaim)).scalar_one()
    moderator = _log_in(app.test_client(), "admin@example.org")
    _post(moderator, f"/manage/review/claims/{claim.id}/approve")
    service = session.execute(select(Service).where(Service.organization_id == claim.organization_id)).scalar_one()
    page = app.test_client().get(f"/provider/{service.id}").get_data(as_text=True)
    assert "Free asylum consultations" in page
    assert "12 Elm St" not in page


def test_a_new_organization_with_mistakes_is_refused_and_keeps_everything_typed(client, session, world):
    _log_in(client, "new@example.org")
    response = _post(client, "/manage/organizations/new", {**NEW_ORG, "postal_code": "00000", "needs": []})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Choose at least one need." in page
    assert "I am the director. Call the office and ask for Luis." in page
    assert 'value="12 Elm St"' in page
    response = _post(client, "/manage/organizations/new", {**NEW_ORG, "postal_code": "00000"})
    assert response.status_code == 400
    assert "We do not know this ZIP code" in response.get_data(as_text=True)
    assert session.execute(select(Organization).where(Organization.name == "Casa Nueva Legal")).first() is None


# Members and invitations


def _members_url(world, org: str = "org_a") -> str:
    return f"/manage/organizations/{world[org]}/members"


def _invite(client, world, email: str, role: str = "editor"):
    return _post(client, _members_url(world), {"email": email, "role": role})


def _invitation_link(session) -> str:
    body = _outbox(session)[-1].body
    return re.search(r"http://localhost(/account/invitations/\S+)", body).group(1)


def test_an_owner_sees_the_members_and_invites_a_colleague_with_a_hashed_one_time_token(client, session, world):
    _log_in(client, "a@example.org")
    page = client.get(_members_url(world)).get_data(as_text=True)
    assert "a@example.org" in page
    assert "ed@example.org" in page
    assert "b@example.org" not in page
    assert _invite(client, world, "Colleague@Example.org").status_code == 302
    invitation = session.execute(select(Invitation)).scalar_one()
    link = _invitation_link(session)
    token = link.rsplit("/", 1)[1]
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in invitation.token_hash
    assert invitation.email == "colleague@example.org"
    assert invitation.expires_at - invitation.created_at == timedelta(days=7)
    assert "colleague@example.org" in client.get(_members_url(world)).get_data(as_text=True)


def test_an_invited_newcomer_chooses_a_password_and_becomes_an_editor_who_edits_but_does_not_manage_members(
    app, client, session, world
):
    _log_in(client, "a@example.org")
    _invite(client, world, "newcomer@example.org", "editor")
    link = _invitation_link(session)
    guest = app.test_client()
    page = guest.get(link)
    assert page.status_code == 200
    assert "newcomer@example.org" in page.get_data(as_text=True)
    token = _csrf_token(guest, link)
    assert guest.post(link, data={"csrf_token": token, "password": "short", "confirm": "short"}).status_code == 400
    response = guest.post(link, data={"csrf_token": token, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert _user(session, "newcomer@example.org").role == "ngo"
    assert _role(session, "newcomer@example.org", world["org_a"]) == "editor"
    # Logged in at once; edits listings, but the members page is for owners.
    assert guest.get(f"/manage/services/{world['service_a']}").status_code == 200
    assert guest.get(_members_url(world)).status_code == 403
    assert guest.get(link).status_code == 404


def test_an_agency_invites_a_caseworker_who_refers_from_it_and_edits_nothing(app, client, session, world):
    _log_in(client, "a@example.org")
    assert _invite(client, world, "worker@example.org", "caseworker").status_code == 302
    link = _invitation_link(session)
    assert "caseworker of Alpha" in _outbox(session)[-1].body
    guest = app.test_client()
    token = _csrf_token(guest, link)
    response = guest.post(link, data={"csrf_token": token, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.headers["Location"] == "/work/"
    assert _user(session, "worker@example.org").role == "caseworker"
    assert _role(session, "worker@example.org", world["org_a"]) == "editor"
    assert guest.get("/work/").status_code == 200
    assert guest.get(f"/manage/services/{world['service_a']}").status_code == 403
    assert "Caseworker" in client.get(_members_url(world)).get_data(as_text=True)


def test_a_caseworker_invitation_is_refused_to_staff_and_to_a_caseworker_of_another_agency(app, client, session, world):
    with app.app_context():
        other = make_service(session, name="Other Agency", needs=["legal-aid"], lat=32.7, lon=-96.7)
    create_user(session, email="busy@example.org", password=PASSWORD, role="caseworker",
                organization_id=other.organization_id)  # fmt: skip
    _log_in(client, "a@example.org")
    for email, problem in (("busy@example.org", "already has one"), ("b@example.org", "Only caseworker accounts")):
        _invite(client, world, email, "caseworker")
        guest = _log_in(app.test_client(), email)
        page = guest.get(_invitation_link(session))
        assert page.status_code == 403
        assert problem in page.get_data(as_text=True)
        assert _role(session, email, world["org_a"]) is None


def test_an_invited_person_with_an_account_logs_in_first_then_accepts(app, client, session, world):
    _log_in(client, "a@example.org")
    _invite(client, world, "new@example.org", "owner")
    link = _invitation_link(session)
    guest = app.test_client()
    response = guest.get(link)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/login")
    response = _post(guest, response.headers["Location"], {"email": "new@example.org", "password": PASSWORD})
    assert response.headers["Location"] == link
    assert "Accept the invitation" in guest.get(link).get_data(as_text=True)
    assert _post(guest, link).status_code == 302
    assert _role(session, "new@example.org", world["org_a"]) == "owner"
    assert guest.get(_members_url(world)).status_code == 200


def test_an_invitation_is_refused_to_a_different_logged_in_account(app, client, session, world):
    _log_in(client, "a@example.org")
    _invite(client, world, "someone@example.org")
    link = _invitation_link(session)
    other = _log_in(app.test_client(), "new@example.org")
    assert other.get(link).status_code == 403
    assert _post(other, link).status_code == 403
    assert _role(session, "new@example.org", world["org_a"]) is None


def test_an_invitation_link_works_once_expires_and_can_be_withdrawn(app, client, session, world):
    _log_in(client, "a@example.org")
    _invite(client, world, "one@example.org")
    first = _invitation_link(session)
    _invite(client, world, "two@example.org")
    second = _invitation_link(session)
    _invite(client, world, "three@example.org")
    third = _invitation_link(session)
    guest = app.test_client()
    token = _csrf_token(guest, first)
    accepted = guest.post(first, data={"csrf_token": token, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert accepted.status_code == 302
    assert app.test_client().get(first).status_code == 404

    expired = session.execute(select(Invitation).where(Invitation.email == "two@example.org")).scalar_one()
    expired.expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    page = app.test_client().get(second)
    assert page.status_code == 404
    assert "This invitation does not work any more" in page.get_data(as_text=True)

    withdrawn = session.execute(select(Invitation).where(Invitation.email == "three@example.org")).scalar_one()
    revoke = f"/manage/organizations/{world['org_a']}/invitations/{withdrawn.id}/revoke"
    assert _post(client, revoke).status_code == 302
    assert _fresh(session, Invitation, withdrawn.id).revoked_at is not None
    assert app.test_client().get(third).status_code == 404
    assert app.test_client().get("/account/invitations/not-a-token").status_code == 404


def test_a_newer_invitation_replaces_the_older_one_and_members_cannot_be_invited_twice(client, session, world):
    _log_in(client, "a@example.org")
    _invite(client, world, "twice@example.org")
    _invite(client, world, "twice@example.org")
    rows = session.execute(select(Invitation).where(Invitation.email == "twice@example.org")).scalars().all()
    assert sorted(row.revoked_at is None for row in rows) == [False, True]
    response = _invite(client, world, "ed@example.org")
    assert response.status_code == 400
    assert "already a member" in response.get_data(as_text=True)


def test_the_last_owner_cannot_be_removed_but_an_owner_may_leave_when_another_remains(client, session, world):
    _log_in(client, "a@example.org")
    owner = session.execute(
        select(Membership).join(User, User.id == Membership.user_id).where(User.email == "a@example.org")
    ).scalar_one()
    remove_self = f"{_members_url(world)}/{owner.id}/remove"
    response = _post(client, remove_self)
    assert response.status_code == 302
    assert "The last owner cannot be removed" in client.get(_members_url(world)).get_data(as_text=True)
    assert _role(session, "a@example.org", world["org_a"]) == "owner"

    editor = session.execute(
        select(Membership).join(User, User.id == Membership.user_id).where(User.email == "ed@example.org")
    ).scalar_one()
    editor.role = "owner"
    session.commit()
    response = _post(client, remove_self)
    assert response.headers["Location"] == "/manage/"
    assert _role(session, "a@example.org", world["org_a"]) is None
    assert client.get(_members_url(world)).status_code == 404


def test_an_owner_removes_an_editor_who_then_cannot_edit(app, client, session, world):
    _log_in(client, "a@example.org")
    editor = session.execute(
        select(Membership).join(User, User.id == Membership.user_id).where(User.email == "ed@example.org")
    ).scalar_one()
    assert _post(client, f"{_members_url(world)}/{editor.id}/remove").status_code == 302
    assert _role(session, "ed@example.org", world["org_a"]) is None
    gone = _log_in(app.test_client(), "ed@example.org")
    assert gone.get(f"/manage/services/{world['service_a']}").status_code == 404


def test_a_member_of_b_can_neither_see_nor_change_the_members_or_invitations_of_a(app, client, session, world):
    _log_in(client, "a@example.org")
    _invite(client, world, "pending@example.org")
    invitation = session.execute(select(Invitation)).scalar_one()
    editor = session.execute(
        select(Membership).join(User, User.id == Membership.user_id).where(User.email == "ed@example.org")
    ).scalar_one()
    stranger = _log_in(app.test_client(), "b@example.org")
    assert stranger.get(_members_url(world)).status_code == 404
    assert _post(stranger, _members_url(world), {"email": "x@example.org", "role": "owner"}).status_code == 404
    assert _post(stranger, f"{_members_url(world)}/{editor.id}/remove").status_code == 404
    revoke_a = f"/manage/organizations/{world['org_a']}/invitations/{invitation.id}/revoke"
    assert _post(stranger, revoke_a).status_code == 404
    # Nor through their own organization's address.
    assert _post(stranger, f"{_members_url(world, 'org_b')}/{editor.id}/remove").status_code == 404
    revoke_b = f"/manage/organizations/{world['org_b']}/invitations/{invitation.id}/revoke"
    assert _post(stranger, revoke_b).status_code == 404
    assert _role(session, "ed@example.org", world["org_a"]) == "editor"
    assert _fresh(session, Invitation, invitation.id).revoked_at is None
    assert session.execute(select(func.count()).select_from(Invitation)).scalar() == 1


def test_an_admin_manages_the_members_of_any_organization(app, session, world):
    admin = _log_in(app.test_client(), "admin@example.org")
    assert "b@example.org" in admin.get(_members_url(world, "org_b")).get_data(as_text=True)
    response = _post(admin, _members_url(world, "org_b"), {"email": "helper@example.org", "role": "owner"})
    assert response.status_code == 302
    assert session.execute(select(Invitation.organization_id)).scalar_one() == world["org_b"]


def test_member_pages_need_a_csrf_token(client, session, world):
    _log_in(client, "a@example.org")
    editor = session.execute(
        select(Membership).join(User, User.id == Membership.user_id).where(User.email == "ed@example.org")
    ).scalar_one()
    assert client.post(_members_url(world), data={"email": "x@example.org", "role": "editor"}).status_code == 400
    assert client.post(f"{_members_url(world)}/{editor.id}/remove").status_code == 400
    assert session.execute(select(Invitation)).first() is None
    assert _role(session, "ed@example.org", world["org_a"]) == "editor"


# Role × route for the routes of this feature.

ROLES = {"anonymous": None, "caseworker": "cw@example.org", "member A": "a@example.org",
         "member B": "b@example.org", "admin": "admin@example.org"}  # fmt: skip
ROUTES = [
    ("GET", "/manage/claim", {"caseworker": 403, "admin": 403}),
    ("GET", "/manage/claim/{org_b}", {"caseworker": 403, "admin": 403}),
    # Member B owns B already: a clear 400, not a second claim.
    ("POST", "/manage/claim/{org_b}", {"caseworker": 403, "admin": 403, "member B": 400}),
    ("GET", "/manage/organizations/new", {"caseworker": 403, "admin": 403}),
    ("POST", "/manage/organizations/new", {"caseworker": 403, "admin": 403}),
    ("POST", "/manage/review/claims/{claim}/approve", {"caseworker": 403, "member A": 403, "member B": 403}),
    ("POST", "/manage/review/claims/{claim}/reject", {"caseworker": 403, "member A": 403, "member B": 403}),
    ("GET", "/manage/organizations/{org_a}/members", {"caseworker": 403, "member B": 404}),
    ("POST", "/manage/organizations/{org_a}/members", {"caseworker": 403, "member B": 404}),
    ("POST", "/manage/organizations/{org_a}/members/{editor}/remove", {"caseworker": 403, "member B": 404}),
    ("POST", "/manage/organizations/{org_a}/invitations/{invitation}/revoke", {"caseworker": 403, "member B": 404}),
]
POST_DATA = {
    "/manage/claim/{org_b}": {"message": "Office manager, call us."},
    "/manage/organizations/new": NEW_ORG,
    "/manage/organizations/{org_a}/members": {"email": "x@example.org", "role": "editor"},
}


@pytest.mark.parametrize(("method", "route", "answers"), ROUTES, ids=[f"{m} {r}" for m, r, _a in ROUTES])
@pytest.mark.parametrize("role", ROLES)
def test_role_route_matrix(app, session, world, method, route, answers, role):
    requester = _user(session, "new@example.org")
    claim = OrganizationClaim(kind="claim", user_id=requester.id, organization_id=world["org_b"], message="Hi")
    invitation = Invitation(organization_id=world["org_a"], email="p@example.org", role="editor", token_hash="0" * 64,
                            invited_by=requester.id, expires_at=utcnow() + timedelta(days=1))  # fmt: skip
    session.add_all([claim, invitation])
    session.commit()
    editor = session.execute(
        select(Membership.id).join(User, User.id == Membership.user_id).where(User.email == "ed@example.org")
    ).scalar_one()
    url = route.format(org_a=world["org_a"], org_b=world["org_b"], claim=claim.id, editor=editor,
                       invitation=invitation.id)  # fmt: skip
    client = app.test_client()
    if ROLES[role]:
        _log_in(client, ROLES[role])
    if method == "GET":
        response = client.get(url)
    elif route.endswith("/reject"):
        response = _post(client, url, {f"claim-{claim.id}-reason": "No."}, csrf_name=f"claim-{claim.id}-csrf_token")
    else:
        response = _post(client, url, POST_DATA.get(route))
    expected = "login" if role == "anonymous" else answers.get(role, "ok")
    if expected == "login":
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/account/login")
    elif expected == "ok":
        assert response.status_code in (200, 302), response.get_data(as_text=True)[:500]
    else:
        assert response.status_code == expected
