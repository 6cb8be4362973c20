"""Provider inbox: NGO staff see the referrals sent to their organizations and set their status."""

import re

import pytest
from sqlalchemy import func, select

from accounts.users import create_user
from models import Organization, OutboxMessage, Referral, ReferralEvent, ReferralItem
from referrals.crypto import encrypt
from referrals.status import StatusError, check_note, set_status
from tests.factories import make_service

PASSWORD = "correct horse battery"
ALIAS = "Marisol Quintanilla"
PHONE = "214-555-0199"
EMAIL = "marisol.q@example.net"
NOTE = "Needs help before the court date; prefers mornings."


def make_referral(
    session,
    *,
    agency_id: str,
    services: list,
    caseworker_id: str | None = None,
    code: str = "K7M4Q2XP",
    contact: str = "phone",
    language: str = "es",
    needs: str = "asylum,counseling",
) -> Referral:
    """Create a referral with client data (encrypted) and one item per service, as the caseworker's form would."""
    referral = Referral(
        code=code,
        agency_id=agency_id,
        caseworker_id=caseworker_id,
        needs=needs,
        language=language,
        contact_preference=contact,
        client_alias_enc=encrypt(ALIAS),
        client_phone_enc=encrypt(PHONE) if contact != "client-calls" else None,
        client_email_enc=encrypt(EMAIL) if contact != "client-calls" else None,
        note_enc=encrypt(NOTE),
    )
    session.add(referral)
    session.flush()
    for service in services:
        session.add(ReferralItem(referral_id=referral.id, service_id=service.id, provider_id=service.organization_id))
    session.commit()
    return referral


def csrf_token(client) -> str:
    html = client.get("/account/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def log_in(client, email: str):
    response = client.post(
        "/account/login", data={"csrf_token": csrf_token(client), "email": email, "password": PASSWORD}
    )
    assert response.status_code == 302
    return client


@pytest.fixture
def world(app, session):
    """Providers A and B (one service each), an agency with a caseworker, NGO staff of A and B, an admin."""
    with app.app_context():
        a = make_service(session, name="Alpha Legal", needs=["asylum"], lat=32.80, lon=-96.80)
        b = make_service(session, name="Beta Clinic", needs=["counseling"], lat=32.81, lon=-96.81)
        agency = Organization(name="Dallas Refugee Agency", email="intake@agency.example.org")
        session.add(agency)
        session.commit()
        caseworker = create_user(
            session, email="cw@example.org", password=PASSWORD, role="caseworker", organization_id=agency.id
        )
        create_user(session, email="a@example.org", password=PASSWORD, role="ngo", organization_id=a.organization_id)
        create_user(session, email="b@example.org", password=PASSWORD, role="ngo", organization_id=b.organization_id)
        create_user(session, email="admin@example.org", password=PASSWORD, role="admin")
        session.commit()
        referral = make_referral(session, agency_id=agency.id, services=[a, b], caseworker_id=caseworker.id)
    items = {
        item.provider_id: item
        for item in session.execute(select(ReferralItem).where(ReferralItem.referral_id == referral.id)).scalars()
    }
    return {
        "a": a,
        "b": b,
        "agency": agency,
        "referral": referral,
        "item_a": items[a.organization_id],
        "item_b": items[b.organization_id],
    }


def _fresh(session, model, record_id):
    session.expire_all()
    return session.get(model, record_id)


def _user(session, email):
    from models import User

    return session.execute(select(User).where(User.email == email)).scalar_one()


def _set(app, session, email: str, item_id: str, status: str, note: str | None = None):
    """Set a status as the NGO staff member with this email, outside any request."""
    with app.test_request_context():
        return set_status(session, user=_user(session, email), item_id=item_id, status=status, note=note)


def test_a_provider_sees_only_the_items_sent_to_its_organizations(client, world):
    html = log_in(client, "a@example.org").get("/manage/referrals/").get_data(as_text=True)
    assert "K7M4-Q2XP" in html
    assert world["item_a"].id in html
    assert world["item_b"].id not in html
    assert "Alpha Legal service" in html
    assert "Beta Clinic service" not in html


def test_the_inbox_marks_new_referrals_and_filters_by_status(app, client, session, world):
    log_in(client, "a@example.org")
    assert "tag-new" in client.get("/manage/referrals/").get_data(as_text=True)
    assert world["item_a"].id not in client.get("/manage/referrals/?status=contacted").get_data(as_text=True)
    _set(app, session, "a@example.org", world["item_a"].id, "contacted")
    html = client.get("/manage/referrals/?status=contacted").get_data(as_text=True)
    assert world["item_a"].id in html
    assert "tag-new" not in html


def test_a_member_of_another_organization_gets_404_for_an_item_not_sent_to_it(client, world):
    log_in(client, "b@example.org")
    assert client.get(f"/manage/referrals/{world['item_a'].id}").status_code == 404
    response = client.post(
        f"/manage/referrals/{world['item_a'].id}", data={"csrf_token": csrf_token(client), "status": "contacted"}
    )
    assert response.status_code == 404
    assert client.get("/manage/referrals/no-such-item").status_code == 404


@pytest.mark.parametrize("email", ["cw@example.org", "admin@example.org"])
@pytest.mark.parametrize("path", ["/manage/referrals/", "/manage/referrals/report", "/manage/referrals/report.csv"])
def test_caseworkers_and_admins_get_403_on_provider_pages(client, world, email, path):
    assert log_in(client, email).get(path).status_code == 403


def test_caseworkers_and_admins_get_403_on_an_item(client, world):
    for email in ("cw@example.org", "admin@example.org"):
        client.get("/account/logout")
        assert log_in(client, email).get(f"/manage/referrals/{world['item_a'].id}").status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client, world):
    response = client.get(f"/manage/referrals/{world['item_a'].id}")
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


def test_opening_an_item_changes_nothing_and_shows_what_the_client_agreed_to_share(client, session, world):
    html = log_in(client, "a@example.org").get(f"/manage/referrals/{world['item_a'].id}").get_data(as_text=True)
    for text in (ALIAS, PHONE, EMAIL, NOTE, "Dallas Refugee Agency", "cw@example.org", "intake@agency.example.org"):
        assert text in html
    assert "Beta Clinic" not in html, "another provider of the same referral must not show"
    assert "Mark as received" in html
    item = _fresh(session, ReferralItem, world["item_a"].id)
    assert item.status == "sent", "a GET (a prefetch, a link preview) must not change state"
    assert item.first_response_at is None


def test_marking_an_item_received_is_an_explicit_post_and_counts_once(client, session, world):
    log_in(client, "a@example.org")
    url = f"/manage/referrals/{world['item_a'].id}/received"
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 400  # no CSRF token
    response = client.post(url, data={"csrf_token": csrf_token(client)})
    assert response.headers["Location"] == f"/manage/referrals/{world['item_a'].id}"
    assert "Marked as received" in client.get(response.headers["Location"]).get_data(as_text=True)
    client.post(url, data={"csrf_token": csrf_token(client)})
    item = _fresh(session, ReferralItem, world["item_a"].id)
    assert item.status == "received"
    assert item.first_response_at is not None
    events = session.execute(select(ReferralEvent).where(ReferralEvent.referral_item_id == item.id)).scalars().all()
    assert [event.status for event in events] == ["received"]


def test_a_client_who_will_call_shows_no_phone_or_email(app, client, session, world):
    with app.app_context():
        referral = make_referral(
            session, agency_id=world["agency"].id, services=[world["a"]], code="ABCD2345", contact="client-calls"
        )
        referral.client_phone_enc = encrypt(PHONE)  # even if stored, it must not show
    session.commit()
    item = session.execute(select(ReferralItem).where(ReferralItem.referral_id == referral.id)).scalar_one()
    html = log_in(client, "a@example.org").get(f"/manage/referrals/{item.id}").get_data(as_text=True)
    assert PHONE not in html
    assert EMAIL not in html
    assert "ABCD-2345" in html


def test_setting_a_status_records_an_encrypted_note_and_emails_the_caseworker_no_client_data(client, session, world):
    log_in(client, "a@example.org")
    outbox_before = session.execute(select(func.count()).select_from(OutboxMessage)).scalar_one()
    note = "Called her, appointment on Tuesday at 10."
    response = client.post(
        f"/manage/referrals/{world['item_a'].id}",
        data={"csrf_token": csrf_token(client), "status": "appointment", "note": note},
    )
    assert response.status_code == 302
    item = _fresh(session, ReferralItem, world["item_a"].id)
    assert item.status == "appointment"
    event = session.execute(
        select(ReferralEvent).where(ReferralEvent.referral_item_id == item.id, ReferralEvent.status == "appointment")
    ).scalar_one()
    assert event.note_enc
    assert note not in event.note_enc
    assert note in client.get(f"/manage/referrals/{item.id}").get_data(as_text=True)
    assert session.execute(select(func.count()).select_from(OutboxMessage)).scalar_one() == outbox_before + 1
    email = session.execute(select(OutboxMessage).order_by(OutboxMessage.created_at.desc())).scalars().first()
    assert email.to_address == "cw@example.org"
    assert "K7M4-…" in email.subject
    assert "Appointment made" in email.body
    for secret in (ALIAS, PHONE, EMAIL, NOTE, note, "Q2XP", "Alpha Legal", "Tuesday"):
        assert secret not in email.subject + email.body


def test_the_referral_closes_when_every_item_is_final_and_opens_again_when_one_moves_back(app, session, world):
    _set(app, session, "a@example.org", world["item_a"].id, "helped")
    assert _fresh(session, Referral, world["referral"].id).closed_at is None
    _set(app, session, "b@example.org", world["item_b"].id, "no-capacity")
    assert _fresh(session, Referral, world["referral"].id).closed_at is not None
    _set(app, session, "b@example.org", world["item_b"].id, "appointment")
    assert _fresh(session, Referral, world["referral"].id).closed_at is None


def test_first_response_is_kept_from_the_first_status_a_provider_sets(app, session, world):
    _set(app, session, "a@example.org", world["item_a"].id, "contacted")
    first = _fresh(session, ReferralItem, world["item_a"].id).first_response_at
    _set(app, session, "a@example.org", world["item_a"].id, "helped")
    item = _fresh(session, ReferralItem, world["item_a"].id)
    assert item.first_response_at == first
    assert item.status_at >= first


def test_a_provider_cannot_set_sent_or_an_unknown_status_or_touch_another_providers_item(app, session, world):
    for status in ("sent", "lost", ""):
        with pytest.raises(StatusError):
            _set(app, session, "a@example.org", world["item_a"].id, status)
    with pytest.raises(LookupError):
        _set(app, session, "a@example.org", world["item_b"].id, "contacted")
    assert _fresh(session, ReferralItem, world["item_b"].id).status == "sent"


@pytest.mark.parametrize(
    "note",
    [
        "DOB 03/14/1990",
        "born 3-14-1990",
        "Fecha de nacimiento: 14/03/1990",
        "her A-number is A 123 456 789",
        "A#201-555-123",
        "SSN 123-45-6789",
        "ssn 123456789",
    ],
)
def test_a_note_with_a_birth_date_an_a_number_or_an_ssn_is_refused(app, note):
    with app.test_request_context(), pytest.raises(StatusError) as error:
        check_note(note)
    assert error.value.field == "note"


@pytest.mark.parametrize(
    "note", ["Appointment 03/14/2026 at 10:00", "Call back at 214-555-0100", "Seen by Ana, room 12", ""]
)
def test_ordinary_notes_pass(app, note):
    with app.test_request_context():
        check_note(note)


def test_a_refused_note_answers_400_with_the_reason_keeps_what_was_typed_and_writes_nothing(client, session, world):
    log_in(client, "a@example.org")
    client.get(f"/manage/referrals/{world['item_a'].id}")
    note = "Client DOB 01/02/1985, will come Monday"
    response = client.post(
        f"/manage/referrals/{world['item_a'].id}",
        data={"csrf_token": csrf_token(client), "status": "contacted", "note": note},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "looks like it has a date of birth" in html
    assert note in html
    assert _fresh(session, ReferralItem, world["item_a"].id).status == "sent"


def test_a_too_long_note_answers_400_in_spanish(client, session, world):
    log_in(client, "a@example.org")
    response = client.post(
        f"/manage/referrals/{world['item_a'].id}?lang=es",
        data={"csrf_token": csrf_token(client), "status": "contacted", "note": "x" * 501},
    )
    assert response.status_code == 400
    assert "500 caracteres" in response.get_data(as_text=True)


def test_erased_client_details_show_as_erased(client, session, world):
    from models.base import utcnow

    referral = session.get(Referral, world["referral"].id)
    referral.client_alias_enc = referral.client_phone_enc = referral.client_email_enc = referral.note_enc = None
    referral.client_erased_at = utcnow()
    session.commit()
    html = log_in(client, "a@example.org").get(f"/manage/referrals/{world['item_a'].id}").get_data(as_text=True)
    assert ALIAS not in html
    assert "erased" in html
