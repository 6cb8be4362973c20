"""A client's details are nowhere but encrypted: not in the database file, a dump, the logs, emails or URLs.

And they go when a caseworker erases them or the purge runs, while the anonymous counts stay.
"""

import http.cookiejar
import logging
import re
import subprocess
import threading
import urllib.parse
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from werkzeug.serving import make_server

from accounts.users import create_user
from models import Organization, OutboxMessage, Referral, ReferralEvent, ReferralItem
from models.base import utcnow
from referrals.crypto import encrypt
from referrals.workflow import ABANDONED_AFTER_DAYS, purge, status_counts
from tests.conftest import ON_POSTGRES
from tests.factories import make_service

PASSWORD = "correct horse battery"
ALIAS = "Zorbalina"
NOTE = "Zorbanote: prefers mornings, bring the letter."
EVENT_NOTE = "Zorbaevent left a message"
EMAIL = "zorbalina.client@example.net"
PHONES = ["+1 555 013 7789", "(555) 013-7789"]
# Every way the phone number could show up if it leaked.
PHONE_SHAPES = ["555 013 7789", "5550137789", "555-013-7789", "(555) 013-7789", "555.013.7789", "0137789", "013-7789"]
SECRETS = [ALIAS, "Zorbanote", "Zorbaevent", EMAIL, "zorbalina.client", *PHONE_SHAPES]


class Browser:
    """Sends requests like a person's browser, through the test client or over HTTP to a live server."""

    def __init__(self, client=None, base_url: str | None = None):
        self.client = client
        self.base_url = base_url
        self.redirects: list[str] = []
        if base_url:
            self.jar = http.cookiejar.CookieJar()
            self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())

    def get(self, path: str) -> tuple[int, str]:
        if self.client is not None:
            response = self.client.get(path)
            return self._seen(response.status_code, response.headers.get("Location"), response.get_data(as_text=True))
        return self._http(urllib.request.Request(self.base_url + path))  # noqa: S310  (http://127.0.0.1 only)

    def post(self, path: str, data: dict) -> tuple[int, str]:
        if self.client is not None:
            response = self.client.post(path, data=data)
            return self._seen(response.status_code, response.headers.get("Location"), response.get_data(as_text=True))
        body = urllib.parse.urlencode(data, doseq=True).encode()
        return self._http(urllib.request.Request(self.base_url + path, data=body, method="POST"))  # noqa: S310  (local)

    def _http(self, request) -> tuple[int, str]:
        try:
            with self.opener.open(request, timeout=10) as response:
                return self._seen(response.status, response.headers.get("Location"), response.read().decode())
        except urllib.error.HTTPError as error:
            return self._seen(error.code, error.headers.get("Location"), error.read().decode())

    def _seen(self, status: int, location: str | None, body: str) -> tuple[int, str]:
        if location:
            self.redirects.append(location)
        return status, body

    def csrf(self, path: str = "/account/login") -> str:
        _status, html = self.get(path)
        return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture
def world(app, session):
    """A provider with a staff member, and agency A with a caseworker."""
    with app.app_context():
        alpha = make_service(session, name="Alpha Legal", needs=["asylum"], lat=32.79, lon=-96.80)
    agency = Organization(name="Agency A")
    session.add(agency)
    session.commit()
    create_user(session, email="ngo@example.org", password=PASSWORD, role="ngo", organization_id=alpha.organization_id)
    create_user(session, email="cwa@example.org", password=PASSWORD, role="caseworker", organization_id=agency.id)
    session.commit()
    return {"alpha": alpha, "agency": agency}


def _journey(browser: Browser, world) -> None:
    """Log in as the caseworker and make three referrals through the real form: phone twice, email once."""
    status, _html = browser.post(
        "/account/login", {"csrf_token": browser.csrf(), "email": "cwa@example.org", "password": PASSWORD}
    )
    assert status == 302
    new = f"/work/referrals/new?service={world['alpha'].id}"
    contacts = [
        {"contact_preference": "phone", "phone": PHONES[0]},
        {"contact_preference": "text", "phone": PHONES[1]},
        {"contact_preference": "email", "email": EMAIL},
    ]
    for contact in contacts:
        data = {
            "csrf_token": browser.csrf(new),
            "services": [world["alpha"].id],
            "needs": ["asylum"],
            "language": "es",
            "alias": ALIAS,
            "consent": "y",
            "note": NOTE,
            **contact,
        }
        status, html = browser.post("/work/referrals/new", data)
        assert status == 302, html
    # One refused form too: what was typed comes back in the page, and must not leak anywhere else.
    status, _html = browser.post(
        "/work/referrals/new",
        {
            "csrf_token": browser.csrf(new),
            "services": [world["alpha"].id],
            "needs": ["asylum"],
            "alias": ALIAS,
            "contact_preference": "client-calls",
            "phone": PHONES[0],
            "note": NOTE,
        },
    )
    assert status == 400


def _add_provider_note(app, session) -> None:
    """A provider's status note (client data too), as the inbox stores it."""
    item = session.execute(select(ReferralItem)).scalars().first()
    with app.app_context():
        session.add(ReferralEvent(referral_item_id=item.id, status="contacted", note_enc=encrypt(EVENT_NOTE)))
    session.commit()


def _leaks(haystack: str) -> list[str]:
    lowered = haystack.lower()
    return [secret for secret in SECRETS if secret.lower() in lowered]


def test_the_sqlite_file_holds_no_client_detail(app, client, session, database, world):
    if ON_POSTGRES:
        pytest.skip("the raw-file check is for SQLite; PostgreSQL is checked with pg_dump")
    _journey(Browser(client), world)
    _add_provider_note(app, session)
    assert session.execute(select(func.count(Referral.id))).scalar_one() == 3
    session.close()
    with database.engine.connect() as connection:
        connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    path = Path(database.engine.url.database)
    raw = b"".join(p.read_bytes() for p in [path, Path(f"{path}-wal")] if p.exists())
    assert b"Alpha Legal" in raw  # the search does see real text in the file
    assert _leaks(raw.decode("latin-1")) == []


def test_a_postgresql_dump_holds_no_client_detail(app, client, session, database, world):
    if not ON_POSTGRES:
        pytest.skip("pg_dump needs PostgreSQL")
    _journey(Browser(client), world)
    _add_provider_note(app, session)
    url = database.engine.url
    dump = subprocess.run(  # noqa: S603  (fixed arguments, a test database)
        [
            "/usr/bin/pg_dump",
            "-h",
            url.host or "127.0.0.1",
            "-U",
            url.username or "postgres",
            "-n",
            database.schema,
            url.database or "test",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    assert "Alpha Legal" in dump
    assert _leaks(dump) == []


@pytest.fixture
def live_url(app):
    """The app on a real HTTP server on 127.0.0.1, so werkzeug writes its request log lines."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


def test_logs_emails_and_redirects_hold_no_client_detail(app, session, world, live_url, caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("werkzeug", "sqlalchemy.engine", "app"):
        caplog.set_level(logging.DEBUG, logger=name)
    browser = Browser(base_url=live_url)
    _journey(browser, world)
    request_lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any("POST /work/referrals/new" in line for line in request_lines)  # the request log was captured
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.args!r}" for r in caplog.records)
    assert _leaks(logged) == []
    assert browser.redirects
    assert all(_leaks(location) == [] for location in browser.redirects)
    session.expire_all()
    mails = session.execute(select(OutboxMessage)).scalars().all()
    assert [mail.to_address for mail in mails] == ["ngo@example.org"] * 3
    for mail in mails:
        assert _leaks(mail.subject + mail.body) == []
        assert "asylum" not in mail.body.lower()


def test_the_agency_sees_the_details_decrypted_until_they_are_erased(app, client, session, world):
    browser = Browser(client)
    _journey(browser, world)
    _add_provider_note(app, session)
    _status, dashboard = browser.get("/work/dashboard")
    assert dashboard.count(ALIAS) == 3
    referral_path = next(location for location in browser.redirects if "/work/referrals/" in location)
    _status, page = browser.get(referral_path)
    assert ALIAS in page
    assert NOTE in page
    status, _html = browser.post(f"{referral_path}/erase", {"csrf_token": browser.csrf(referral_path), "confirm": "y"})
    assert status == 302
    _status, page = browser.get(referral_path)
    assert ALIAS not in page
    assert "Zorbanote" not in page
    assert "Zorbaevent" not in page
    assert "details were erased" in page
    _status, dashboard = browser.get("/work/dashboard")
    assert dashboard.count(ALIAS) == 2


def test_erasing_now_clears_every_client_field_and_keeps_the_counts(app, client, session, world):
    browser = Browser(client)
    _journey(browser, world)
    _add_provider_note(app, session)
    before = status_counts(session, agency_id=world["agency"].id)
    for referral_path in [loc for loc in browser.redirects if re.fullmatch(r"/work/referrals/[0-9a-f-]+", loc)]:
        browser.post(f"{referral_path}/erase", {"csrf_token": browser.csrf(referral_path), "confirm": "y"})
    session.expire_all()
    for referral in session.execute(select(Referral)).scalars():
        assert (referral.client_alias_enc, referral.client_phone_enc, referral.client_email_enc, referral.note_enc) == (
            None,
            None,
            None,
            None,
        )
        assert referral.client_erased_at is not None
        assert referral.needs == "asylum"
    assert session.execute(select(ReferralEvent.note_enc).where(ReferralEvent.note_enc.is_not(None))).first() is None
    assert status_counts(session, agency_id=world["agency"].id) == before == {"sent": 3}


def test_the_purge_erases_old_closed_and_abandoned_referrals_only_and_keeps_the_counts(app, client, session, world):
    _journey(Browser(client), world)
    _add_provider_note(app, session)
    old_closed, recent_closed, abandoned = session.execute(select(Referral).order_by(Referral.id)).scalars().all()
    now = utcnow()
    old_closed.closed_at = now - timedelta(days=91)
    recent_closed.closed_at = now - timedelta(days=10)
    abandoned.created_at = now - timedelta(days=ABANDONED_AFTER_DAYS + 5)
    for item in session.execute(select(ReferralItem).where(ReferralItem.referral_id == abandoned.id)).scalars():
        item.status_at = abandoned.created_at
    session.commit()
    counts = status_counts(session, agency_id=world["agency"].id)
    result = app.test_cli_runner().invoke(args=["referrals", "purge"])
    assert result.exit_code == 0, result.output
    assert "erased from 2 referral(s)" in result.output
    session.expire_all()
    assert session.get(Referral, old_closed.id).client_alias_enc is None
    assert session.get(Referral, abandoned.id).client_alias_enc is None
    assert session.get(Referral, recent_closed.id).client_alias_enc is not None
    assert status_counts(session, agency_id=world["agency"].id) == counts
    assert session.execute(select(func.count(ReferralItem.id))).scalar_one() == 3
    again = app.test_cli_runner().invoke(args=["referrals", "purge"])
    assert "erased from 0 referral(s)" in again.output
    shorter = app.test_cli_runner().invoke(args=["referrals", "purge", "--days", "5"])
    assert "erased from 1 referral(s)" in shorter.output
    session.expire_all()
    assert session.get(Referral, recent_closed.id).client_alias_enc is None


def test_the_purge_also_erases_a_provider_note_added_after_erasure(app, session, world):
    referral = Referral(code="ZZZZ2222", agency_id=world["agency"].id, needs="asylum")
    session.add(referral)
    session.flush()
    item = ReferralItem(
        referral_id=referral.id, service_id=world["alpha"].id, provider_id=world["alpha"].organization_id
    )
    session.add(item)
    session.flush()
    with app.app_context():
        session.add(ReferralEvent(referral_item_id=item.id, status="helped", note_enc=encrypt(EVENT_NOTE)))
    referral.closed_at = utcnow() - timedelta(days=200)
    referral.client_erased_at = utcnow() - timedelta(days=100)
    session.commit()
    assert purge(session, days=90) == 1
    assert session.execute(select(ReferralEvent.note_enc).where(ReferralEvent.note_enc.is_not(None))).first() is None
    assert purge(session, days=90) == 0
