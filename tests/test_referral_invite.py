"""Inviting a provider not on Amparo yet (issue 13): only when the caseworker chooses, to its public email,
with no client data; each invitation is logged, and an organization is invited once every 30 days at most."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from accounts.users import create_user
from models import Organization, OutboxMessage, Referral, ReferralEvent, ReferralItem
from tests.test_referral_inbox import ALIAS, NOTE, PHONE, csrf_token, log_in
from tests.test_referral_reach import PASSWORD, _refer, world  # noqa: F401 (a fixture)

INTAKE = "intake@raices.example.org"
INVITE_BUTTON = "Invite Raices Test to receive referrals on Amparo"


@pytest.fixture
def referral(client, session, world):  # noqa: F811
    """A referral to Alpha (on Amparo) and Raices (not on Amparo, with a public email), by cw@example.org."""
    session.get(Organization, world["raices"].organization_id).email = INTAKE
    session.get(Organization, world["alpha"].organization_id).email = "alpha@example.org"
    session.commit()
    log_in(client, "cw@example.org")
    assert _refer(client, world["alpha"], world["raices"]).status_code == 302
    return session.execute(select(Referral)).scalar_one()


def _tracked_item(session) -> ReferralItem:
    return session.execute(select(ReferralItem).where(ReferralItem.tracked.is_(True))).scalar_one()


def _invite(client, referral, item):
    url = f"/work/referrals/{referral.id}/items/{item.id}/invite"
    return client.post(url, data={"csrf_token": csrf_token(client)})


def _invitations(session) -> list[OutboxMessage]:
    session.expire_all()
    return list(session.execute(select(OutboxMessage).where(OutboxMessage.to_address == INTAKE)).scalars())


def test_the_button_shows_only_for_a_provider_not_on_amparo_with_a_public_email(client, session, referral):
    html = client.get(f"/work/referrals/{referral.id}").get_data(as_text=True)
    assert html.count("to receive referrals on Amparo</button>") == 1
    assert INVITE_BUTTON in html
    assert "Invite Alpha Legal" not in html
    assert "No public email listed" not in html


def test_no_public_email_means_no_button_and_no_invitation(client, session, referral):
    session.get(Organization, _tracked_item(session).provider_id).email = None
    session.commit()
    html = client.get(f"/work/referrals/{referral.id}").get_data(as_text=True)
    assert "No public email listed: invite them by phone." in html
    assert INVITE_BUTTON not in html
    response = _invite(client, referral, _tracked_item(session))
    assert response.status_code == 400
    assert "No public email listed: invite them by phone." in response.get_data(as_text=True)
    assert session.execute(select(ReferralEvent).where(ReferralEvent.status == "invited")).first() is None


def test_the_invitation_goes_to_the_public_email_with_the_sign_up_link_and_no_client_data(
    app, client, session, referral
):
    item = _tracked_item(session)
    response = _invite(client, referral, item)
    assert response.status_code == 302
    [message] = _invitations(session)
    text = message.subject + message.body
    site = app.config["SITE_URL"].rstrip("/")
    assert f"{site}/account/register" in text
    assert f"{site}/manage/claim/{item.provider_id}" in text
    assert "Agency A" in text
    assert "---" in message.body  # English, then Spanish
    assert "Para recibir referencias" in message.body
    for secret in (ALIAS, PHONE, NOTE, referral.code, referral.code[:4], "asylum", "Asylum", "cw@example.org"):
        assert secret not in text
    assert "Alpha" not in text
    # Logged: who invited which organization, when.
    [event] = session.execute(select(ReferralEvent).where(ReferralEvent.status == "invited")).scalars()
    assert event.referral_item_id == item.id
    assert event.by_user_id is not None
    # The item keeps its status; the page says when the invitation went.
    assert session.get(ReferralItem, item.id).status == "tracked"
    html = client.get(f"/work/referrals/{referral.id}").get_data(as_text=True)
    assert f"Invitation sent on {event.at.date().isoformat()}." in html
    assert INVITE_BUTTON not in html


def test_a_second_invitation_within_30_days_sends_nothing(client, session, referral):
    item = _tracked_item(session)
    assert _invite(client, referral, item).status_code == 302
    response = _invite(client, referral, item)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "An invitation was already sent on" in page
    assert len(_invitations(session)) == 1
    # After 30 days, a new invitation may go.
    event = session.execute(select(ReferralEvent).where(ReferralEvent.status == "invited")).scalar_one()
    event.at -= timedelta(days=31)
    session.commit()
    assert INVITE_BUTTON in client.get(f"/work/referrals/{referral.id}").get_data(as_text=True)
    assert _invite(client, referral, item).status_code == 302
    assert len(_invitations(session)) == 2


def test_only_a_caseworker_of_the_referral_can_invite(client, session, referral):
    item = _tracked_item(session)
    other = Organization(name="Agency B")
    session.add(other)
    session.commit()
    create_user(session, email="cw-b@example.org", password=PASSWORD, role="caseworker", organization_id=other.id)
    create_user(session, email="ngo-b@example.org", password=PASSWORD, role="ngo", organization_id=other.id)
    session.commit()
    client.post("/account/logout", data={"csrf_token": csrf_token(client)})
    log_in(client, "cw-b@example.org")
    assert _invite(client, referral, item).status_code == 404
    client.post("/account/logout", data={"csrf_token": csrf_token(client)})
    log_in(client, "ngo-b@example.org")
    assert _invite(client, referral, item).status_code == 403
    assert _invitations(session) == []


def test_an_item_on_amparo_cannot_be_invited_and_a_missing_csrf_token_is_refused(client, session, referral):
    on_amparo = session.execute(select(ReferralItem).where(ReferralItem.tracked.is_(False))).scalar_one()
    assert _invite(client, referral, on_amparo).status_code == 404
    url = f"/work/referrals/{referral.id}/items/{_tracked_item(session).id}/invite"
    assert client.post(url).status_code == 400
    assert _invitations(session) == []
