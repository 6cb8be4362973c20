"""Staff accounts: creating users, logging in and out, resetting a password through the outbox."""

import logging
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from accounts.mailer import send_mail
from accounts.users import AccountError, authenticate, create_user
from models import Membership, Organization, OutboxMessage, PasswordResetToken, User
from models.base import utcnow

PASSWORD = "correct horse battery"
EMAIL = "staff@example.org"


def _csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def _post_form(client, url: str, data: dict, **kwargs):
    """Open the page, read its CSRF token, and send the form like a browser would."""
    token = _csrf_token(client.get(url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data}, **kwargs)


def _log_in(client, email: str = EMAIL, password: str = PASSWORD, url: str = "/account/login"):
    return _post_form(client, url, {"email": email, "password": password})


def _without_csrf_token(html: str) -> str:
    return re.sub(r'name="csrf_token" type="hidden" value="[^"]+"', "", html)


@pytest.fixture
def staff(session):
    """An NGO staff account, owner of one organization."""
    organization = Organization(name="Dallas Legal Aid")
    session.add(organization)
    session.commit()
    return create_user(session, email=EMAIL, password=PASSWORD, role="ngo", organization_id=organization.id)


def _outbox(session) -> list[OutboxMessage]:
    session.expire_all()
    return list(session.execute(select(OutboxMessage).order_by(OutboxMessage.created_at)).scalars())


# Creating accounts


def test_a_new_user_has_a_lowercased_email_and_only_an_argon2_hash_of_the_password(session):
    user = create_user(session, email="  Staff@Example.ORG ", password=PASSWORD, role="admin")
    assert user.email == "staff@example.org"
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    assert user.is_active
    assert user.last_login_at is None


@pytest.mark.parametrize(("role", "membership_role"), [("ngo", "owner"), ("caseworker", "editor")])
def test_a_user_of_an_organization_gets_a_membership_by_role(session, role, membership_role):
    organization = Organization(name="Agency")
    session.add(organization)
    session.commit()
    user = create_user(session, email="a@example.org", password=PASSWORD, role=role, organization_id=organization.id)
    memberships = session.execute(select(Membership)).scalars().all()
    assert [(m.user_id, m.organization_id, m.role) for m in memberships] == [
        (user.id, organization.id, membership_role)
    ]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": "STAFF@example.org"}, "email"),  # already taken, in another case
        ({"password": "too short"}, "password"),
        ({"role": "superuser"}, "role"),
        ({"organization_id": "no-such-organization"}, "organization"),
        ({"role": "admin", "organization_id": "any"}, "organization"),
    ],
)
def test_create_user_refuses_a_broken_rule(session, staff, changes, field):
    arguments = {"email": "new@example.org", "password": PASSWORD, "role": "ngo", **changes}
    with pytest.raises(AccountError) as raised:
        create_user(session, **arguments)
    assert raised.value.field == field


def test_flask_users_create_reads_the_password_from_stdin_and_never_echoes_it(runner, session):
    result = runner.invoke(args=["users", "create", "Admin@Example.org", "--role", "admin"], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "admin@example.org" in result.output
    assert PASSWORD not in result.output
    user = session.execute(select(User)).scalar_one()
    assert (user.email, user.role) == ("admin@example.org", "admin")
    assert authenticate(session, email="admin@example.org", password=PASSWORD) is not None


def test_flask_users_create_explains_a_broken_rule_and_exits_1(runner, session):
    result = runner.invoke(args=["users", "create", "a@example.org", "--role", "ngo", "--org", "nope"], input="x" * 12)
    assert result.exit_code == 1
    assert "There is no organization with this id." in result.output
    assert session.execute(select(User)).first() is None


# Logging in and out


def test_logging_in_opens_the_dashboard_with_email_role_and_organizations(client, staff):
    response = _log_in(client)
    assert response.status_code == 302
    # NGO staff land on their listings; the account page is one link away.
    assert response.headers["Location"] == "/manage/"
    page = client.get("/account/").get_data(as_text=True)
    assert EMAIL in page
    assert "Organization staff" in page
    assert "Dallas Legal Aid (Owner)" in page
    assert "noindex" in page


def test_logging_in_records_the_time(client, staff, session):
    _log_in(client)
    session.expire_all()
    assert session.get(User, staff.id).last_login_at is not None


def test_a_wrong_password_and_an_unknown_email_get_the_identical_answer(client, staff):
    wrong_password = _log_in(client, password="not the password")
    unknown_email = _log_in(client, email="nobody@example.org")
    assert wrong_password.status_code == unknown_email.status_code == 400
    first = _without_csrf_token(wrong_password.get_data(as_text=True)).replace(EMAIL, "EMAIL")
    second = _without_csrf_token(unknown_email.get_data(as_text=True)).replace("nobody@example.org", "EMAIL")
    assert first == second
    assert "Wrong email or password." in first


def test_a_failed_login_keeps_the_typed_email_but_not_the_password(client, staff):
    page = _log_in(client, password="not the password").get_data(as_text=True)
    assert f'value="{EMAIL}"' in page
    assert "not the password" not in page


def test_an_inactive_user_cannot_log_in_and_is_logged_out(client, staff, session):
    _log_in(client)
    staff.is_active = False
    session.add(staff)
    session.commit()
    assert client.get("/account/").status_code == 302
    assert _log_in(client).status_code == 400


@pytest.mark.parametrize(
    ("next_url", "landing"),
    [
        ("/account/?tab=1", "/account/?tab=1"),
        ("https://evil.example/", "/manage/"),
        ("//evil.example/", "/manage/"),
        ("/\\evil.example/", "/manage/"),
        ("javascript:alert(1)", "/manage/"),
    ],
)
def test_login_goes_back_only_to_a_page_of_this_site(client, staff, next_url, landing):
    token = _csrf_token(client.get("/account/login").get_data(as_text=True))
    data = {"csrf_token": token, "email": EMAIL, "password": PASSWORD}
    response = client.post("/account/login", query_string={"next": next_url}, data=data)
    assert response.headers["Location"] == landing


def test_the_dashboard_needs_a_login_and_comes_back_after_it(client, staff):
    response = client.get("/account/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/login?next=")
    login_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Please log in to see this page." in login_page
    assert _log_in(client, url=response.headers["Location"]).headers["Location"] == "/account/"


def test_logging_in_sets_an_httponly_samesite_lax_session_cookie(client, staff):
    response = _log_in(client)
    cookie = next(value for value in response.headers.getlist("Set-Cookie") if value.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_cookies_are_secure_when_the_site_is_served_over_https(database):
    from app import create_app
    from config import TestConfig

    app = create_app({"SECRET_KEY": TestConfig.SECRET_KEY, "TESTING": True, "ENGINE": database.engine, "HTTPS": True})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True


def test_a_login_without_the_csrf_token_is_refused(client, staff):
    response = client.post("/account/login", data={"email": EMAIL, "password": PASSWORD})
    assert response.status_code == 400
    assert "reload the page" in response.get_data(as_text=True)


def test_logins_are_rate_limited(client, staff):
    statuses = [_log_in(client, password=f"wrong {n}").status_code for n in range(11)]
    assert statuses == [400] * 10 + [429]


def test_logging_out_needs_a_post_with_the_csrf_token(client, staff):
    _log_in(client)
    assert client.get("/account/logout").status_code == 405
    assert client.post("/account/logout").status_code == 400
    assert client.get("/account/").status_code == 200
    dashboard = client.get("/account/").get_data(as_text=True)
    response = client.post("/account/logout", data={"csrf_token": _csrf_token(dashboard)})
    assert response.headers["Location"] == "/account/login"
    assert "You are logged out." in client.get("/account/login").get_data(as_text=True)
    assert client.get("/account/").status_code == 302


# Resetting a password


def _reset_link(session) -> str:
    [message] = _outbox(session)
    return re.search(r"http://localhost(/account/reset/\S+)", message.body).group(1)


def test_a_password_reset_works_end_to_end_through_the_outbox_and_only_once(client, staff, session):
    response = _post_form(client, "/account/reset", {"email": "STAFF@example.org"})
    assert "If an account exists for this email, we sent a link." in response.get_data(as_text=True)
    [message] = _outbox(session)
    assert (message.to_address, message.subject) == (EMAIL, "Reset your Amparo password")
    link = _reset_link(session)
    new_password = "a brand new passphrase"
    response = _post_form(client, link, {"password": new_password, "confirm": new_password})
    assert response.headers["Location"] == "/account/login"
    assert "Your password has been changed." in client.get("/account/login").get_data(as_text=True)
    assert _log_in(client).status_code == 400
    assert _log_in(client, password=new_password).status_code == 302
    used = client.get(link)
    assert used.status_code == 404
    assert "has already been used" in used.get_data(as_text=True)


def test_an_unknown_email_gets_the_same_reset_answer_and_no_mail(client, staff, session):
    known = _post_form(client, "/account/reset", {"email": EMAIL})
    assert len(_outbox(session)) == 1
    for message in _outbox(session):
        session.delete(message)
    session.commit()
    unknown = _post_form(client, "/account/reset", {"email": "nobody@example.org"})
    assert unknown.status_code == known.status_code == 200
    assert unknown.get_data() == known.get_data()
    assert _outbox(session) == []


def test_an_expired_reset_link_is_refused(client, staff, session):
    _post_form(client, "/account/reset", {"email": EMAIL})
    link = _reset_link(session)
    token = session.execute(select(PasswordResetToken)).scalar_one()
    token.expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    assert client.get(link).status_code == 404
    token = _csrf_token(client.get("/account/reset").get_data(as_text=True))
    response = client.post(link, data={"csrf_token": token, "password": "x" * 20, "confirm": "x" * 20})
    assert response.status_code == 404
    assert _log_in(client).status_code == 302  # the old password still works


def test_a_new_password_must_be_long_enough_and_typed_twice_the_same(client, staff, session):
    _post_form(client, "/account/reset", {"email": EMAIL})
    link = _reset_link(session)
    short = _post_form(client, link, {"password": "short", "confirm": "short"})
    assert short.status_code == 400
    assert "Use at least 12 characters." in short.get_data(as_text=True)
    different = _post_form(client, link, {"password": "a long enough one", "confirm": "another long one"})
    assert "The two passwords are not the same." in different.get_data(as_text=True)
    assert client.get(link).status_code == 200  # the link still works after a mistake


def test_a_password_reset_ends_the_other_links_and_the_other_sessions(app, client, staff, session):
    other_browser = app.test_client()
    _log_in(other_browser)
    for _ in range(2):
        _post_form(client, "/account/reset", {"email": EMAIL})
    first, second = (re.search(r"(/account/reset/\S+)", m.body).group(1) for m in _outbox(session))
    _post_form(client, second, {"password": "a brand new passphrase", "confirm": "a brand new passphrase"})
    assert client.get(first).status_code == 404
    assert other_browser.get("/account/").status_code == 302


# Mail


def test_the_console_mailer_keeps_the_message_and_never_logs_its_body(app, session, caplog):
    caplog.set_level(logging.INFO, logger=app.logger.name)
    with app.app_context():
        send_mail(session, to=EMAIL, subject="Reset", body="secret link https://example.org/account/reset/abc")
    assert EMAIL in caplog.text
    assert "secret link" not in caplog.text
    assert "/account/reset/abc" not in caplog.text
    [message] = _outbox(session)
    assert message.sent_at is None


def test_the_smtp_mailer_marks_what_it_sent_and_keeps_what_failed(app, session, caplog, monkeypatch):
    import smtplib

    sent = []

    class FakeSMTP:
        def __init__(self, host, port, timeout):
            if host == "down.example":
                raise OSError("connection refused")

        def __enter__(self):
            return self

        def __exit__(self, *_exc):
            return False

        def starttls(self, context):
            pass

        def send_message(self, email):
            sent.append(email)

    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="mail.example")
    with app.app_context():
        delivered = send_mail(session, to=EMAIL, subject="Hello", body="the body")
        app.config["MAIL_SERVER"] = "down.example"
        failed = send_mail(session, to=EMAIL, subject="Hello again", body="the other body")
    assert delivered.sent_at is not None
    assert failed.sent_at is None
    assert [email["To"] for email in sent] == [EMAIL]
    assert "connection refused" in caplog.text
    assert "the other body" not in caplog.text
