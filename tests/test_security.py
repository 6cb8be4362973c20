"""The holes an outside security review found (issue #12), each kept closed by a test."""

import re

import pytest
from sqlalchemy import select

from accounts.users import create_user
from models import Organization, OutboxMessage
from tests.conftest import REDIS_URL, assert_one_rate_limit

PASSWORD = "correct horse battery"
EMAIL = "staff@example.org"
SITE = "https://amparo.example.org"


def _csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def _post_form(client, url: str, data: dict, **kwargs):
    """Open the page, read its CSRF token, and send the form like a browser would."""
    token = _csrf_token(client.get(url, **kwargs).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data}, **kwargs)


def _outbox(session) -> list[OutboxMessage]:
    session.expire_all()
    return list(session.execute(select(OutboxMessage).order_by(OutboxMessage.created_at)).scalars())


@pytest.fixture
def staff(session):
    """An NGO staff account, owner of one organization."""
    organization = Organization(name="Dallas Legal Aid")
    session.add(organization)
    session.commit()
    return create_user(session, email=EMAIL, password=PASSWORD, role="ngo", organization_id=organization.id)


# 1. Links in emails, slips and QR codes come from AMPARO_SITE_URL, never from the Host header


def test_a_reset_request_with_a_forged_host_header_is_refused_and_sends_nothing(make_app, session, staff):
    client = make_app(SITE_URL=SITE).test_client()
    assert client.get("/account/reset", base_url="http://evil.example").status_code == 400
    response = client.post("/account/reset", data={"email": EMAIL}, base_url="http://evil.example")
    assert response.status_code == 400
    assert _outbox(session) == []


def test_reset_links_lead_to_the_site_url_whatever_host_the_request_named(make_app, session, staff):
    client = make_app(SITE_URL=SITE, TRUSTED_HOSTS=["localhost", "evil.example"]).test_client()
    _post_form(client, "/account/reset", {"email": EMAIL}, base_url="http://evil.example")
    [message] = _outbox(session)
    assert re.search(r"https://amparo\.example\.org/account/reset/\S+", message.body)
    assert "evil.example" not in message.body


def test_sign_up_notices_link_to_the_site_url(make_app, session, staff):
    client = make_app(SITE_URL=SITE, TRUSTED_HOSTS=["localhost", "evil.example"]).test_client()
    _post_form(client, "/account/register", {"email": EMAIL, "password": PASSWORD, "confirm": PASSWORD},
               base_url="http://evil.example")  # fmt: skip
    [message] = _outbox(session)
    assert f"{SITE}/account/login" in message.body
    assert f"{SITE}/account/reset" in message.body
    assert "evil.example" not in message.body


def test_the_site_answers_only_to_the_host_of_its_site_url(make_app):
    app = make_app(SITE_URL=SITE)
    assert "amparo.example.org" in app.config["TRUSTED_HOSTS"]
    assert "evil.example" not in app.config["TRUSTED_HOSTS"]
    assert app.test_client().get("/", base_url="https://amparo.example.org").status_code == 200


def test_production_refuses_to_start_without_a_site_url(database, monkeypatch):
    from app import create_app
    from config import TestConfig

    monkeypatch.delenv("AMPARO_SITE_URL", raising=False)
    settings = {"SECRET_KEY": "x" * 32, "REFERRAL_KEYS": TestConfig.REFERRAL_KEYS, "ENGINE": database.engine}
    with pytest.raises(RuntimeError, match="AMPARO_SITE_URL"):
        create_app(settings)
    assert create_app({**settings, "SITE_URL": SITE}).config["SITE_URL"] == SITE


def test_in_development_the_site_url_follows_where_make_run_serves(database, monkeypatch):
    from app import create_app

    monkeypatch.delenv("AMPARO_SITE_URL", raising=False)
    monkeypatch.setenv("PORT", "8123")
    app = create_app({"DEBUG": True, "SECRET_KEY": "x" * 32, "ENGINE": database.engine, "SITE_URL": None})
    assert app.config["SITE_URL"] == "http://127.0.0.1:8123"


# 8a. A blank need is a clear 400, not a 500


@pytest.mark.parametrize("url", ["/search?location=75201&need=%20", "/api/v1/search?location=75201&need=%09"])
def test_a_whitespace_need_is_a_clear_400(seeded_client, url):
    response = seeded_client.get(url)
    assert response.status_code == 400
    assert "Unknown need" in response.get_data(as_text=True)


# 9b. The language cookie is Secure under HTTPS


def test_the_language_cookie_is_secure_when_the_site_is_served_over_https(make_app):
    client = make_app(HTTPS=True).test_client()
    cookie = client.get("/language/es").headers["Set-Cookie"]
    assert cookie.startswith("lang=es")
    assert "Secure" in cookie


# 9c. The SQLite database is readable by its owner only


def test_the_instance_sqlite_database_is_readable_by_its_owner_only(tmp_path):
    from app import owner_only

    path = tmp_path / "amparo.sqlite3"
    owner_only(str(path))
    assert path.stat().st_mode & 0o777 == 0o600
    path.chmod(0o644)  # made before this fix
    owner_only(str(path))
    assert path.stat().st_mode & 0o777 == 0o600


# 6. Log-in is limited per account too, with back-off; a password reset clears it; the owner is told


def _log_in_from(client, ip: str, password: str, email: str = EMAIL):
    return _post_form(client, "/account/login", {"email": email, "password": password},
                      environ_base={"REMOTE_ADDR": ip})  # fmt: skip


def test_wrong_passwords_spread_over_many_addresses_still_lock_the_account(client, session, staff):
    for ip in ("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"):
        for attempt in range(10):
            assert _log_in_from(client, ip, f"wrong {attempt}").status_code in (400, 429)
    response = _log_in_from(client, "10.0.0.5", PASSWORD)
    assert response.status_code == 400, "the right password must wait too, or guessing is only slower"
    assert "Wrong email or password." in response.get_data(as_text=True)


def test_the_owner_is_told_once_by_email_and_an_unknown_email_answers_the_same(client, session, staff):
    for attempt in range(12):
        _log_in_from(client, f"10.0.1.{attempt}", f"wrong {attempt}")
    messages = [message for message in _outbox(session) if message.to_address == EMAIL]
    assert [message.subject for message in messages] == ["Failed log-ins to your Amparo account"]
    assert "http://localhost/account/reset" in messages[0].body
    assert PASSWORD not in messages[0].body
    known = _log_in_from(client, "10.0.2.1", "wrong again").get_data(as_text=True)
    unknown = _log_in_from(client, "10.0.2.2", "wrong", email="nobody@example.org").get_data(as_text=True)
    assert _errors(known) == _errors(unknown)


def _errors(html: str) -> list[str]:
    return re.findall(r'<p class="error" role="alert">([^<]*)</p>', html)


def test_the_wait_grows_with_each_failure_and_has_a_ceiling():
    from datetime import timedelta

    from accounts.users import LONGEST_LOGIN_WAIT, login_wait

    waits = [login_wait(failures) for failures in range(1, 30)]
    assert waits[:4] == [timedelta(0)] * 4
    assert waits[4:8] == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4), timedelta(minutes=8)]
    assert max(waits) == LONGEST_LOGIN_WAIT
    assert waits == sorted(waits)


def test_a_password_reset_clears_the_wait_and_a_right_password_after_the_wait_starts_over(client, session, staff):
    from datetime import timedelta

    from accounts.users import authenticate
    from models import User
    from models.base import utcnow

    for attempt in range(8):
        assert authenticate(session, email=EMAIL, password=f"wrong {attempt}") is None
    assert authenticate(session, email=EMAIL, password=PASSWORD) is None
    # The owner resets the password through the emailed link: the account takes it at once.
    _post_form(client, "/account/reset", {"email": EMAIL})
    link = re.search(r"http://localhost(/account/reset/\S+)", _outbox(session)[-1].body).group(1)
    new_password = "a brand new passphrase"
    assert _post_form(client, link, {"password": new_password, "confirm": new_password}).status_code == 302
    assert _log_in_from(client, "10.0.3.1", new_password).status_code == 302
    # Failures again; once the wait is over the right password works and the count starts over.
    for attempt in range(6):
        authenticate(session, email=EMAIL, password=f"wrong {attempt}")
    user = session.get(User, staff.id)
    assert user.failed_logins == 6
    user.login_blocked_until = utcnow() - timedelta(seconds=1)
    session.commit()
    assert authenticate(session, email=EMAIL, password=new_password) is not None
    assert (user.failed_logins, user.login_blocked_until) == (0, None)


# 7. Rate limits: shared storage across processes, proxies trusted only when configured

def _api_statuses(client, addresses: list[str]) -> list[int]:
    return [client.get("/api/v1/needs", headers={"X-Forwarded-For": ip}).status_code for ip in addresses]


def test_forwarded_addresses_are_ignored_unless_proxy_hops_are_set(make_app):
    direct = make_app(API_RATE_LIMIT="2 per minute").test_client()
    assert _api_statuses(direct, ["1.1.1.1", "2.2.2.2", "3.3.3.3"]) == [200, 200, 429]
    proxied = make_app(API_RATE_LIMIT="2 per minute", PROXY_HOPS=1).test_client()
    assert _api_statuses(proxied, ["1.1.1.1", "1.1.1.1", "1.1.1.1", "2.2.2.2"]) == [200, 200, 429, 200]


def test_the_limiter_storage_comes_from_the_settings(make_app):
    from extensions import limiter

    make_app(RATELIMIT_STORAGE_URI="memory://")
    assert type(limiter.storage).__name__ == "MemoryStorage"
    try:
        make_app(RATELIMIT_STORAGE_URI=REDIS_URL)  # lazy: no connection until a request counts
        assert type(limiter.storage).__name__ == "RedisStorage"
    finally:
        make_app()  # the limiter is shared by every app of the test session: back to memory


# The fixture two_app_processes is in tests/conftest.py (the results cache's test uses it too).


def test_two_app_processes_on_one_redis_share_a_rate_limit(two_app_processes):
    assert_one_rate_limit(*two_app_processes)


# 9a. gunicorn's access log carries no searched place, no token and no address


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_gunicorns_access_log_has_no_query_strings_tokens_or_addresses(database, tmp_path):
    import os
    import subprocess
    import sys
    import time
    import urllib.error
    import urllib.request
    from pathlib import Path

    from config import TestConfig

    root = Path(__file__).resolve().parent.parent
    port, log = _free_port(), tmp_path / "access.log"
    environment = {
        **os.environ,
        "DATABASE_URL": database.engine.url.render_as_string(hide_password=False),
        "AMPARO_SITE_URL": "http://127.0.0.1",
        "AMPARO_SECRET_KEY": "gunicorn-test-key",
        "AMPARO_REFERRAL_KEYS": TestConfig.REFERRAL_KEYS,
        "GUNICORN_WORKERS": "1",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
    }
    if database.schema:
        environment["AMPARO_DATABASE_SCHEMA"] = database.schema
    server = subprocess.Popen(  # noqa: S603  (fixed arguments)
        [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "--access-logfile", str(log)],
        cwd=root, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        paths = ["/search?location=1500+Marilla+St+Dallas&need=asylum", "/account/reset/SECRET-TOKEN-123",
                 "/api/v1/search?location=75201"]  # fmt: skip
        deadline = time.monotonic() + 120  # a loaded machine starts gunicorn slowly
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/privacy", timeout=30).close()  # noqa: S310
                break
            except OSError:  # not listening yet (URLError, ConnectionError and timeouts are OSErrors)
                time.sleep(0.5)
        for path in paths:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=60).close()  # noqa: S310
            except urllib.error.HTTPError:
                pass
        time.sleep(0.5)
    finally:
        server.terminate()
        server.wait(timeout=20)
    text = log.read_text()
    assert '"GET /search HTTP/1.1"' in text
    assert '"GET /account/reset/[token] HTTP/1.1"' in text
    for secret in ("Marilla", "location", "SECRET-TOKEN-123", "127.0.0.1", "75201"):
        assert secret not in text


@pytest.mark.parametrize("path", [
    "/api/hsds/taxonomies?search=a%00b", "/api/v1/search?location=Dallas%00&need=asylum", "/search?location=%00",
])
def test_a_nul_character_anywhere_in_the_query_is_a_clear_400_not_a_500(client, path):
    response = client.get(path)
    assert response.status_code == 400
    if path.startswith("/api/"):
        assert response.get_json()["error"]["message"]
    else:
        assert "not right" in response.get_data(as_text=True)


def test_a_nul_character_in_a_form_is_a_400(make_app):
    client = make_app(WTF_CSRF_ENABLED=False).test_client()  # past the CSRF check, which answers 400 too
    response = client.post("/account/login", data={"email": "a@b.test\x00", "password": "x"})
    assert response.status_code == 400
    assert "not right" in response.get_data(as_text=True)
