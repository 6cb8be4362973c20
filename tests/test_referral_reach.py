"""Referrals that reach someone (issue 13): providers without inbox readers are tracked by the caseworker,
emails go only to members who can act, and caseworkers hear of status changes (each, or a daily digest)."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from accounts.users import create_user
from models import Organization, OutboxMessage, Referral, ReferralEvent, ReferralItem, User
from models.base import utcnow
from referrals.notices import send_digests
from tests.factories import make_service
from tests.test_referral_inbox import ALIAS, NOTE, PHONE, csrf_token, log_in

PASSWORD = "correct horse battery"


@pytest.fixture
def world(app, session):
    """Alpha (NGO staff read its inbox), Raices (only a caseworker member: nobody reads its inbox), an agency."""
    with app.app_context():
        alpha = make_service(session, name="Alpha Legal", needs=["asylum"], lat=32.79, lon=-96.80)
        raices = make_service(session, name="Raices Test", needs=["asylum"], lat=32.78, lon=-96.79)
    agency = Organization(name="Agency A")
    session.add(agency)
    session.commit()
    create_user(session, email="ngo@example.org", password=PASSWORD, role="ngo", organization_id=alpha.organization_id)
    # A caseworker who is a member of the provider: the provider inbox answers them 403.
    create_user(session, email="cw-member@example.org", password=PASSWORD, role="caseworker",
                organization_id=raices.organization_id)  # fmt: skip
    create_user(session, email="cw@example.org", password=PASSWORD, role="caseworker", organization_id=agency.id)
    session.commit()
    return {"alpha": alpha, "raices": raices, "agency": agency}


def _refer(client, *services):
    data = {"services": [service.id for service in services], "needs": ["asylum"], "language": "es",
            "contact_preference": "phone", "alias": ALIAS, "phone": PHONE, "consent": "y", "note": NOTE}  # fmt: skip
    return client.post("/work/referrals/new", data={"csrf_token": csrf_token(client), **data})


def _outbox(session) -> list[OutboxMessage]:
    session.expire_all()
    return list(session.execute(select(OutboxMessage).order_by(OutboxMessage.created_at)).scalars())


def test_the_form_and_the_search_say_which_providers_receive_referrals_on_amparo(client, world):
    log_in(client, "cw@example.org")
    page = client.get(f"/work/referrals/new?service={world['alpha'].id}&service={world['raices'].id}")
    html = page.get_data(as_text=True)
    assert html.count("Receives referrals on Amparo") == 1
    assert "Not on Amparo yet: call them; the slip gives your client the details." in html
    results = client.get("/work/?location=75201&need=asylum").get_data(as_text=True)
    assert "Receives referrals on Amparo" in results
    assert "Not on Amparo yet: call them" in results


def test_a_referral_to_a_provider_without_inbox_readers_is_tracked_and_emails_only_those_who_can_act(
    client, session, world
):
    log_in(client, "cw@example.org")
    response = _refer(client, world["alpha"], world["raices"])
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The providers on Amparo have been told by email" in page
    assert "Not on Amparo yet: call them" in page
    items = {item.provider_id: item for item in session.execute(select(ReferralItem)).scalars()}
    alpha, raices = items[world["alpha"].organization_id], items[world["raices"].organization_id]
    assert (alpha.status, alpha.tracked) == ("sent", False)
    assert (raices.status, raices.tracked) == ("tracked", True)
    assert [message.to_address for message in _outbox(session)] == ["ngo@example.org"]


def test_the_caseworker_sets_the_status_of_a_tracked_item_and_not_of_one_the_provider_answers(
    client, session, world
):
    log_in(client, "cw@example.org")
    _refer(client, world["alpha"], world["raices"])
    referral = session.execute(select(Referral)).scalar_one()
    items = {item.provider_id: item for item in session.execute(select(ReferralItem)).scalars()}
    tracked, sent = items[world["raices"].organization_id], items[world["alpha"].organization_id]
    url = f"/work/referrals/{referral.id}/items/{tracked.id}/status"
    response = client.post(url, data={"csrf_token": csrf_token(client), "status": "appointment"})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(ReferralItem, tracked.id).status == "appointment"
    assert "Appointment made" in client.get(f"/work/referrals/{referral.id}").get_data(as_text=True)
    url = f"/work/referrals/{referral.id}/items/{sent.id}/status"
    assert client.post(url, data={"csrf_token": csrf_token(client), "status": "helped"}).status_code == 404
    url = f"/work/referrals/{referral.id}/items/{tracked.id}/status"
    assert client.post(url, data={"csrf_token": csrf_token(client), "status": "bogus"}).status_code == 400
    assert session.get(ReferralItem, sent.id).status == "sent"


def _provider_answers(app, session, status: str) -> None:
    from referrals.notices import notify_status_change
    from referrals.status import set_status

    item = session.execute(select(ReferralItem).where(ReferralItem.tracked.is_(False))).scalar_one()
    user = session.execute(select(User).where(User.email == "ngo@example.org")).scalar_one()
    with app.test_request_context():
        set_status(session, user=user, item_id=item.id, status=status)
        notify_status_change(session, item=item, dashboard_url="http://amparo.test/work/dashboard")


def test_a_caseworker_who_chose_a_digest_gets_no_email_at_once_and_one_a_day(app, client, session, world):
    log_in(client, "cw@example.org")
    response = client.post("/work/emails", data={"csrf_token": csrf_token(client), "referral_emails": "digest"})
    assert response.status_code == 302
    _refer(client, world["alpha"])
    before = len(_outbox(session))
    _provider_answers(app, session, "contacted")
    assert len(_outbox(session)) == before
    with app.app_context():
        assert send_digests(session, stale_days=7, dashboard_url="http://amparo.test/work/dashboard") == 1
    digest = _outbox(session)[-1]
    assert digest.to_address == "cw@example.org"
    code = session.execute(select(Referral.code)).scalar_one()
    assert f"{code[:4]}-…: Contacted" in digest.body
    for secret in (ALIAS, PHONE, NOTE, code[4:], "Alpha Legal"):
        assert secret not in digest.subject + digest.body
    # Nothing new since: no second digest.
    with app.app_context():
        assert send_digests(session, stale_days=7, dashboard_url="http://amparo.test/work/dashboard") == 0


def test_stale_referrals_are_in_the_digest_of_every_caseworker(app, client, session, world):
    log_in(client, "cw@example.org")
    _refer(client, world["alpha"])
    long_ago = utcnow() - timedelta(days=10)
    for item in session.execute(select(ReferralItem)).scalars():
        item.status_at = long_ago
    for event in session.execute(select(ReferralEvent)).scalars():
        event.at = long_ago
    session.commit()
    with app.app_context():
        assert send_digests(session, stale_days=7, dashboard_url="http://amparo.test/work/dashboard") == 1
    digest = _outbox(session)[-1]
    code = session.execute(select(Referral.code)).scalar_one()
    assert f"{code[:4]}-…: no update for 10 days" in digest.body


def test_an_unknown_email_choice_is_refused(client, session, world):
    log_in(client, "cw@example.org")
    response = client.post("/work/emails", data={"csrf_token": csrf_token(client), "referral_emails": "hourly"})
    assert response.status_code == 400
    session.expire_all()
    user = session.execute(select(User).where(User.email == "cw@example.org")).scalar_one()
    assert user.referral_emails == "each"


def test_caseworkers_land_on_the_workspace_and_ngo_staff_on_their_listings(app, world):
    for email, start in (("cw@example.org", "/work/"), ("ngo@example.org", "/manage/")):
        client = app.test_client()
        data = {"csrf_token": csrf_token(client), "email": email, "password": PASSWORD}
        assert client.post("/account/login", data=data).headers["Location"] == start


def test_the_need_searched_for_is_carried_into_the_referral_form_and_shown_open(client, world):
    log_in(client, "cw@example.org")
    results = client.get("/work/?location=75201&need=asylum").get_data(as_text=True)
    assert f"/work/referrals/new?service={world['alpha'].id}&amp;need=asylum" in results
    form = client.get(f"/work/referrals/new?service={world['alpha'].id}&need=asylum&need=nonsense")
    html = form.get_data(as_text=True)
    assert 'name="needs" value="asylum" checked' in html
    assert '<details class="need-group" open>' in html


def test_the_dashboard_offers_the_email_choice_once(client, world):
    log_in(client, "cw@example.org")
    html = client.get("/work/dashboard").get_data(as_text=True)
    assert html.count('action="/work/emails"') == 1
    assert "<title>Referrals · Amparo</title>" in html


def test_flask_referrals_digest_sends_the_daily_emails(app, client, session, world):
    log_in(client, "cw@example.org")
    client.post("/work/emails", data={"csrf_token": csrf_token(client), "referral_emails": "digest"})
    _refer(client, world["alpha"])
    _provider_answers(app, session, "helped")
    result = app.test_cli_runner().invoke(args=["referrals", "digest"])
    assert result.exit_code == 0, result.output
    assert "Digests sent: 1." in result.output
    digest = _outbox(session)[-1]
    assert "Got help" in digest.body
    assert app.config["SITE_URL"].rstrip("/") + "/work/dashboard" in digest.body
