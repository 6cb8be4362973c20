"""Role × route: every route of the app, for every kind of visitor.

Staff routes are listed with the answer each visitor gets; public routes are listed as public.
A route that is in neither list fails ``test_every_route_is_in_the_matrix``, so a new page
cannot be added without deciding who may open it.

Visitors: anonymous; caseworkers of agency A and of agency B; NGO members of organization A
(which receives agency A's referral) and of organization B; an admin. A member of A can neither
see nor change anything of B (and the reverse): those answers are 404, so existence is not told.
"""

import hashlib
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from accounts.users import create_user
from models import (
    ChangeRequest,
    Invitation,
    ListingReport,
    Location,
    Membership,
    Metadata,
    Organization,
    OrganizationClaim,
    Referral,
    ReferralEvent,
    ReferralItem,
    SavedList,
    SavedListItem,
)
from models.base import utcnow
from referrals.crypto import encrypt
from tests.factories import make_service

PASSWORD = "correct horse battery"
INVITATION_TOKEN = "invitation-token-for-the-matrix"  # noqa: S105  (a test value)
VISITORS = {
    "anonymous": None,
    "caseworker A": "cw-a@example.org",
    "caseworker B": "cw-b@example.org",
    "member A": "a@example.org",
    "member B": "b@example.org",
    "admin": "admin@example.org",
}
STAFF = [visitor for visitor in VISITORS if visitor != "anonymous"]
CASEWORKERS = ("caseworker A", "caseworker B")
MEMBERS = ("member A", "member B")

# Answers: "ok" (access granted: 200, a redirect that is not to the login page, or a form's
# 400/409), "login" (sent to the login page), or a status code. Unlisted visitors get "ok".
LISTING = {"anonymous": "login", **dict.fromkeys(CASEWORKERS, 403), "member B": 404}
ADMIN_ONLY = {"anonymous": "login", **dict.fromkeys(CASEWORKERS + MEMBERS, 403)}
ANY_NGO = {"anonymous": "login", **dict.fromkeys(CASEWORKERS, 403)}
# Claiming a listing or adding an organization is for NGO staff: admins approve, they do not ask.
NGO_ONLY = {**ANY_NGO, "admin": 403}
INBOX = {"anonymous": "login", **dict.fromkeys(CASEWORKERS, 403), "admin": 403}
INBOX_ITEM = {**INBOX, "member B": 404}
WORK = {"anonymous": "login", **dict.fromkeys(MEMBERS, 403), "admin": 403}
WORK_OWN = {**WORK, "caseworker B": 404}
SIGNED_IN = {"anonymous": "login"}
SLIP = {"anonymous": "login", **dict.fromkeys(("caseworker B", *MEMBERS, "admin"), 404)}

ROUTES = [
    # Accounts.
    ("GET", "/account/", SIGNED_IN),
    ("POST", "/account/logout", "logged out"),
    # Listings: an organization's own records.
    ("GET", "/manage/", ANY_NGO),
    ("GET", "/manage/organizations/<organization_id>", LISTING),
    ("POST", "/manage/organizations/<organization_id>", LISTING),
    ("GET", "/manage/services/<service_id>", LISTING),
    ("POST", "/manage/services/<service_id>", LISTING),
    ("GET", "/manage/locations/<location_id>", LISTING),
    ("POST", "/manage/locations/<location_id>", LISTING),
    ("POST", "/manage/services/<service_id>/capacity", LISTING),
    ("POST", "/manage/services/<service_id>/confirm", LISTING),
    ("GET", "/manage/organizations/<organization_id>/history", LISTING),
    ("POST", "/manage/history/<metadata_id>/restore", LISTING),
    ("POST", "/manage/changes/<change_id>/withdraw", LISTING),
    # Claims, new organizations, members.
    ("GET", "/manage/claim", NGO_ONLY),
    ("GET", "/manage/claim/<organization_id>", NGO_ONLY),
    ("POST", "/manage/claim/<organization_id>", NGO_ONLY),
    ("GET", "/manage/organizations/new", NGO_ONLY),
    ("POST", "/manage/organizations/new", NGO_ONLY),
    ("GET", "/manage/organizations/<organization_id>/members", LISTING),
    ("POST", "/manage/organizations/<organization_id>/members", LISTING),
    ("POST", "/manage/organizations/<organization_id>/members/<membership_id>/remove", LISTING),
    ("POST", "/manage/organizations/<organization_id>/invitations/<invitation_id>/revoke", LISTING),
    # Moderation.
    ("GET", "/manage/review", ADMIN_ONLY),
    ("POST", "/manage/review/<change_id>/approve", ADMIN_ONLY),
    ("POST", "/manage/review/<change_id>/reject", ADMIN_ONLY),
    ("POST", "/manage/review/claims/<claim_id>/approve", ADMIN_ONLY),
    ("POST", "/manage/review/claims/<claim_id>/reject", ADMIN_ONLY),
    ("POST", "/manage/reports/<report_id>/resolve", ADMIN_ONLY),
    # Referrals received by a provider.
    ("GET", "/manage/referrals/", INBOX),
    ("GET", "/manage/referrals/<item_id>", INBOX_ITEM),
    ("POST", "/manage/referrals/<item_id>", INBOX_ITEM),
    ("POST", "/manage/referrals/<item_id>/received", INBOX_ITEM),
    ("GET", "/manage/referrals/report", INBOX),
    ("GET", "/manage/referrals/report.csv", INBOX),
    # The caseworker's workspace.
    ("GET", "/work/", WORK),
    ("GET", "/work/dashboard", WORK),
    ("GET", "/work/lists", WORK),
    ("POST", "/work/lists", WORK),
    ("POST", "/work/lists/add", WORK_OWN),
    ("GET", "/work/lists/<list_id>", WORK_OWN),
    ("POST", "/work/lists/<list_id>/rename", WORK_OWN),
    ("POST", "/work/lists/<list_id>/remove", WORK_OWN),
    ("POST", "/work/lists/<list_id>/delete", WORK_OWN),
    ("GET", "/work/referrals/new", WORK),
    ("POST", "/work/referrals/new", WORK),
    ("GET", "/work/referrals/<referral_id>", WORK_OWN),
    ("GET", "/work/referrals/<referral_id>/slip", SLIP),
    ("POST", "/work/referrals/<referral_id>/close", WORK_OWN),
    ("POST", "/work/referrals/<referral_id>/erase", WORK_OWN),
    ("POST", "/work/referrals/<referral_id>/items/<item_id>/status", WORK_OWN),
    ("POST", "/work/referrals/<referral_id>/items/<item_id>/invite", WORK_OWN),
    ("POST", "/work/emails", WORK),
    ("GET", "/work/reports", WORK),
    ("GET", "/work/reports.csv", WORK),
]

# Open to everyone: the public site and APIs, and the account pages one uses before logging in.
PUBLIC = {
    "/", "/search", "/provider/<service_id>", "/provider/<service_id>/report", "/my-list", "/privacy",
    "/help/credentials", "/help/detained", "/language/<code>", "/static/<path:filename>", "/referral/status",
    "/report/translation", "/healthz", "/livez",
    "/account/login", "/account/register", "/account/reset", "/account/reset/<token>",
    "/account/invitations/<token>",
    "/api/v1/search", "/api/v1/needs", "/api/v1/guidance/detained", "/api/docs", "/api/openapi.json", "/api/hsds/",
    "/api/hsds/organizations", "/api/hsds/organizations/<organization_id>", "/api/hsds/services",
    "/api/hsds/services/<service_id>", "/api/hsds/service_at_locations",
    "/api/hsds/service_at_locations/<sal_id>", "/api/hsds/taxonomies", "/api/hsds/taxonomies/<taxonomy_id>",
    "/api/hsds/taxonomy_terms", "/api/hsds/taxonomy_terms/<term_id>",
}  # fmt: skip

# The public routes that take a POST (forms anyone may send); any other method on a public route must be listed.
PUBLIC_POSTS = {
    "/provider/<service_id>/report", "/report/translation", "/referral/status", "/account/login",
    "/account/register", "/account/reset", "/account/reset/<token>", "/account/invitations/<token>",
}  # fmt: skip

# Form data that makes each POST a plausible one (the CSRF token is added to all).
POST_DATA = {
    "/manage/organizations/<organization_id>": {"name": "Alpha Legal", "version": "1"},
    "/manage/services/<service_id>": {"delivery": "in-person", "cost": "", "needs": "asylum", "version": "1"},
    "/manage/locations/<location_id>": {"address_1": "100 Main St", "city": "Dallas", "version": "1"},
    "/manage/services/<service_id>/capacity": {"capacity": "accepting"},
    "/manage/review/<change_id>/reject": {"reason": "No."},
    "/manage/review/claims/<claim_id>/reject": {"reason": "No."},
    "/manage/claim/<organization_id>": {"message": "I run the front desk; call 214-555-0100."},
    "/manage/organizations/<organization_id>/members": {"email": "new@example.org", "role": "editor"},
    "/manage/referrals/<item_id>": {"status": "contacted", "note": ""},
    "/work/lists": {"name": "Asylum, Dallas"},
    "/work/referrals/<referral_id>/items/<item_id>/status": {"status": "contacted"},
    "/work/emails": {"referral_emails": "digest"},
    "/work/lists/add": {"list_id": "{list_id}", "service_id": "{service_id}"},
    "/work/lists/<list_id>/rename": {"name": "Renamed"},
    "/work/lists/<list_id>/remove": {"service_id": "{service_id}"},
    "/work/referrals/new": {
        "services": "{service_id}",
        "needs": "asylum",
        "language": "es",
        "contact_preference": "client-calls",
    },  # fmt: skip
}


def _log_in(client, email: str) -> None:
    html = client.get("/account/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    response = client.post("/account/login", data={"csrf_token": token, "email": email, "password": PASSWORD})
    assert response.status_code == 302, email


def _csrf_token(client) -> str:
    html = client.get("/account/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


@pytest.fixture
def world(app, session):
    """Organizations A and B, agencies A and B, a user of each kind, and one record of every kind."""
    with app.app_context():
        service = make_service(session, name="Alpha Legal", needs=["asylum"], lat=32.80, lon=-96.80)
        b_service = make_service(session, name="Beta Clinic", needs=["asylum"], lat=32.81, lon=-96.81)
        agency_a = make_service(session, name="Agency A", needs=["legal-aid"], lat=32.7, lon=-96.7)
        agency_b = make_service(session, name="Agency B", needs=["legal-aid"], lat=32.7, lon=-96.7)
        org = session.get(Organization, service.organization_id)
        org.verified = True
        session.commit()
        users = {
            "member A": create_user(session, email="a@example.org", password=PASSWORD, role="ngo",
                                    organization_id=org.id),
            "member B": create_user(session, email="b@example.org", password=PASSWORD, role="ngo",
                                    organization_id=b_service.organization_id),
            "caseworker A": create_user(session, email="cw-a@example.org", password=PASSWORD, role="caseworker",
                                        organization_id=agency_a.organization_id),
            "caseworker B": create_user(session, email="cw-b@example.org", password=PASSWORD, role="caseworker",
                                        organization_id=agency_b.organization_id),
            "admin": create_user(session, email="admin@example.org", password=PASSWORD, role="admin"),
        }  # fmt: skip
        colleague = create_user(session, email="colleague@example.org", password=PASSWORD, role="ngo",
                                organization_id=org.id)  # fmt: skip
        newcomer = create_user(session, email="newcomer@example.org", password=PASSWORD, role="ngo")
        location = session.execute(select(Location).where(Location.organization_id == org.id)).scalar_one()
        entry = Metadata(resource_id=org.id, resource_type="organization", last_action_type="update",
                         field_name="description", previous_value="Old", updated_by="x")  # fmt: skip
        report = ListingReport(service_id=service.id, kind="phone")
        change = ChangeRequest(organization_id=org.id, resource_type="organization", resource_id=org.id,
                               changes=json.dumps({"description": ["", "New"]}),
                               submitted_by=users["member A"].id)  # fmt: skip
        claim = OrganizationClaim(kind="claim", user_id=newcomer.id, organization_id=org.id, message="Front desk")
        invitation = Invitation(organization_id=org.id, email="invited@example.org", role="editor",
                                token_hash=hashlib.sha256(INVITATION_TOKEN.encode()).hexdigest(),
                                invited_by=users["member A"].id, expires_at=utcnow() + timedelta(days=7))  # fmt: skip
        referral = Referral(code="MATR1XAA", agency_id=agency_a.organization_id,
                            caseworker_id=users["caseworker A"].id, needs="asylum", language="es",
                            contact_preference="phone", client_alias_enc=encrypt("Ana"),
                            client_phone_enc=encrypt("214-555-0199"))  # fmt: skip
        saved = SavedList(user_id=users["caseworker A"].id, name="Asylum")
        session.add_all([entry, report, change, claim, invitation, referral, saved])
        session.flush()
        # Tracked by the caseworker too, so that the caseworker's status form has an item to set.
        item = ReferralItem(referral_id=referral.id, service_id=service.id, provider_id=org.id, tracked=True)
        session.add_all([item, SavedListItem(saved_list_id=saved.id, service_id=b_service.id)])
        session.flush()
        session.add(ReferralEvent(referral_item_id=item.id, status="sent", by_user_id=users["caseworker A"].id))
        session.commit()
        membership = session.execute(
            select(Membership).where(Membership.user_id == colleague.id, Membership.organization_id == org.id)
        ).scalar_one()
        return {
            "organization_id": org.id, "service_id": service.id, "location_id": location.id,
            "metadata_id": entry.id, "change_id": change.id, "report_id": report.id, "claim_id": claim.id,
            "invitation_id": invitation.id, "membership_id": membership.id, "item_id": item.id,
            "referral_id": referral.id, "list_id": saved.id,
        }  # fmt: skip


def _url(rule: str, ids: dict) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda match: ids[match.group(1)], rule)


@pytest.mark.parametrize(("method", "rule", "answers"), ROUTES, ids=[f"{m} {r}" for m, r, _a in ROUTES])
@pytest.mark.parametrize("visitor", VISITORS)
def test_role_route_matrix(app, world, method, rule, answers, visitor):
    client = app.test_client()
    if VISITORS[visitor]:
        _log_in(client, VISITORS[visitor])
    url = _url(rule, world)
    if method == "GET":
        response = client.get(url)
    else:
        data = {key: value.format(**world) for key, value in POST_DATA.get(rule, {}).items()}
        response = client.post(url, data={"csrf_token": _csrf_token(client), **data})
    expected = answers if isinstance(answers, str) else answers.get(visitor, "ok")
    location = response.headers.get("Location", "")
    if expected == "logged out":
        assert response.status_code == 302
        assert location == "/account/login"
    elif expected == "login":
        assert response.status_code == 302
        assert location.startswith("/account/login")
    elif expected == "ok":
        assert response.status_code in (200, 302, 400, 409), response.get_data(as_text=True)[:300]
        assert not location.startswith("/account/login")
    else:
        assert response.status_code == expected


def test_every_route_is_in_the_matrix(app):
    listed = {(method, rule) for method, rule, _answers in ROUTES}
    for rule in app.url_map.iter_rules():
        if rule.rule in PUBLIC:
            unlisted = rule.methods - {"GET", "HEAD", "OPTIONS"} - ({"POST"} if rule.rule in PUBLIC_POSTS else set())
            assert not unlisted, f"{unlisted} {rule.rule}: a public route that changes something must be listed"
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (method, rule.rule) in listed, f"{method} {rule.rule} is neither public nor in the matrix"
    assert all((method, rule) in {(m, r.rule) for r in app.url_map.iter_rules() for m in r.methods}
               for method, rule in listed), "the matrix lists a route the app does not have"  # fmt: skip


@pytest.mark.parametrize("rule", sorted(PUBLIC))
def test_public_routes_need_no_account(app, world, rule):
    if rule == "/static/<path:filename>":
        rule = "/static/css/amparo.css"
    ids = {**world, "code": "es", "token": "no-such-token", "sal_id": "x", "taxonomy_id": "x", "term_id": "x"}
    response = app.test_client().get(_url(rule, ids))
    response.close()  # static files are streamed
    assert response.status_code in (200, 302, 400, 404)  # 400: an API asked nothing
    assert not response.headers.get("Location", "").startswith("/account/login")


POSTS = [(rule, answers) for method, rule, answers in ROUTES if method == "POST"]


@pytest.mark.parametrize(("rule", "answers"), POSTS, ids=[rule for rule, _answers in POSTS])
def test_every_post_without_a_csrf_token_is_refused(app, world, rule, answers):
    allowed = next(visitor for visitor in STAFF if isinstance(answers, str) or answers.get(visitor, "ok") == "ok")
    client = app.test_client()
    _log_in(client, VISITORS[allowed])
    data = {key: value.format(**world) for key, value in POST_DATA.get(rule, {}).items()}
    response = client.post(_url(rule, world), data=data)
    assert response.status_code == 400
    assert "This form was open too long or came from another site." in response.get_data(as_text=True)


def test_every_route_that_flask_routes_lists_is_in_the_matrix(app):
    from flask.cli import routes_command

    result = app.test_cli_runner().invoke(routes_command)
    assert result.exit_code == 0, result.output
    listed = {rule for _method, rule, _answers in ROUTES} | PUBLIC
    rules = [line.split()[-1] for line in result.output.splitlines()[2:] if line.strip()]
    assert len(rules) > 50
    assert [rule for rule in rules if rule not in listed] == []
