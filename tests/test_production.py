"""Serving in production: compression, fingerprinted static files, warm-up, Last-Modified, /healthz."""

import gzip
import hashlib
import re
from datetime import timedelta

import brotli
import click
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, text
from sqlmodel import select

from accounts.users import create_user
from app import create_app
from config import TestConfig
from geo import gazetteer
from matching import needs
from models import Organization
from models.base import utcnow
from models.db import alembic_config, migration_heads
from tests.factories import make_service
from web import warmup

SEARCH = "/search?location=75201&need=immigration-legal"
PASSWORD = "correct horse battery"
STATIC_ROOT = "static/"


@pytest.fixture
def providers(session):
    """Enough Dallas services for a results page of a realistic size."""
    for number in range(12):
        make_service(
            session, name=f"Dallas Immigration Clinic {number}", needs=["asylum"],
            lat=32.79 + number / 1000, lon=-96.80, languages=["es", "en"], cost="free",
        )  # fmt: skip


def _static_urls(html: str) -> list[str]:
    return sorted(set(re.findall(r'(?:href|src)="(/static/[^"#]+)"', html)))


# Compression


@pytest.mark.parametrize(("encoding", "decompress"), [("gzip", gzip.decompress), ("br", brotli.decompress)])
def test_the_results_page_is_compressed_to_a_fraction_of_its_size(client, providers, encoding, decompress):
    plain = client.get(SEARCH)
    packed = client.get(SEARCH, headers={"Accept-Encoding": encoding})
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == encoding
    assert decompress(packed.data) == plain.data
    assert len(packed.data) < len(plain.data) / 4, (len(packed.data), len(plain.data))
    assert "Accept-Encoding" in packed.headers["Vary"]


def test_a_first_view_of_the_results_sends_at_most_20_kb(client, providers):
    """The page, its stylesheet, script, icons and favicon, as a phone's browser asks for them."""
    headers = {"Accept-Encoding": "gzip, deflate, br, zstd"}
    page = client.get(SEARCH, headers=headers)
    sizes = {SEARCH: len(page.data)}
    for url in _static_urls(brotli.decompress(page.data).decode()):
        response = client.get(url, headers=headers)
        sizes[url] = len(response.data)
        response.close()
    assert len(sizes) >= 4, sizes
    assert sum(sizes.values()) <= 20 * 1024, sizes


def test_brotli_is_preferred_when_the_browser_takes_both(client, providers):
    response = client.get(SEARCH, headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
    assert response.headers["Content-Encoding"] == "br"


def test_compressed_seeker_pages_keep_their_safety_headers(client, providers):
    response = client.get(SEARCH, headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Cache-Control"] == "no-store"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_api_answers_are_compressed_and_still_answer_304(client, providers):
    response = client.get("/api/v1/search?location=75201&need=immigration-legal", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert len(gzip.decompress(response.data)) > 4 * len(response.data)
    again = client.get(
        "/api/v1/search?location=75201&need=immigration-legal",
        headers={"Accept-Encoding": "gzip", "If-None-Match": response.headers["ETag"]},
    )
    assert again.status_code == 304


def test_small_answers_are_not_compressed(client):
    response = client.get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert len(response.data) < 500
    assert "Content-Encoding" not in response.headers


@pytest.mark.parametrize("filename", ["css/amparo.css", "js/amparo.js"])
def test_css_and_javascript_are_compressed(client, filename):
    response = client.get(f"/static/{filename}", headers={"Accept-Encoding": "br"})
    body = brotli.decompress(response.data)
    response.close()
    with open(STATIC_ROOT + filename, "rb") as original:
        assert body == original.read()


def test_pages_for_signed_in_staff_are_never_compressed(client, session):
    """They hold CSRF tokens and clients' details: compressing them beside typed text invites BREACH."""
    organization = Organization(name="Dallas Legal Aid")
    session.add(organization)
    session.commit()
    create_user(session, email="staff@example.org", password=PASSWORD, role="ngo", organization_id=organization.id)
    login = client.get("/account/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login).group(1)
    client.post("/account/login", data={"csrf_token": token, "email": "staff@example.org", "password": PASSWORD})
    response = client.get("/manage/", headers={"Accept-Encoding": "gzip, br"})
    assert response.status_code == 200
    assert len(response.data) > 500
    assert "Content-Encoding" not in response.headers
    # Static files hold no secret: compressed for staff too.
    css = client.get("/static/css/amparo.css", headers={"Accept-Encoding": "gzip, br"})
    css.close()
    assert css.headers["Content-Encoding"] == "br"


# Static files


def test_pages_link_static_files_by_their_content_hash(client, providers):
    urls = _static_urls(client.get(SEARCH).get_data(as_text=True))
    assert any(url.startswith("/static/css/amparo.css?v=") for url in urls), urls
    assert any(url.startswith("/static/js/amparo.js?v=") for url in urls), urls
    for url in urls:
        path, version = re.fullmatch(r"/static/([^?]+)\?v=([0-9a-f]{12})", url).groups()
        with open(STATIC_ROOT + path, "rb") as file:
            assert version == hashlib.sha256(file.read()).hexdigest()[:12]


def test_fingerprinted_static_files_are_kept_for_a_year(client, providers):
    for url in _static_urls(client.get(SEARCH).get_data(as_text=True)):
        response = client.get(url)
        response.close()
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable", url


@pytest.mark.parametrize("query", ["", "?v=000000000000"])
def test_static_files_without_their_current_hash_are_checked_again(client, query):
    response = client.get("/static/css/amparo.css" + query)
    response.close()
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"


@pytest.mark.parametrize("url", ["/", SEARCH, "/privacy", "/help/detained", "/api/v1/needs"])
def test_pages_and_api_answers_are_still_not_stored(client, providers, url):
    response = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert response.headers["Cache-Control"] == "no-store"


# Warm-up


def test_warm_up_loads_data_and_templates_when_the_app_is_built(database, providers, monkeypatch):
    from matching import engine

    gazetteer.get_gazetteer.cache_clear()
    needs.get_taxonomy.cache_clear()
    engine._statement.cache_clear()
    engine._counted_statement.cache_clear()
    app = _app(database.engine, WARM_UP=True)
    assert gazetteer.get_gazetteer.cache_info().currsize == 1
    assert needs.get_taxonomy.cache_info().currsize == 1
    # the common kinds of search, built and compiled: ranking alone, and ranking with the counts
    assert engine._statement.cache_info().currsize >= 12
    assert engine._counted_statement.cache_info().currsize >= 12

    def refuse(*_args, **_kwargs):
        raise AssertionError("loaded on a request, not at start")

    # The first search reads no data file and compiles no template.
    monkeypatch.setattr(gazetteer.Gazetteer, "load", refuse)
    monkeypatch.setattr(app.jinja_env.loader, "get_source", refuse)
    response = app.test_client().get(SEARCH)
    assert response.status_code == 200
    assert "Dallas Immigration Clinic" in response.get_data(as_text=True)


def test_the_test_suite_skips_the_warm_up(app):
    assert app.config["WARM_UP"] is False


def test_flask_commands_skip_the_warm_up(database, monkeypatch):
    """Migrations, seeding and cron jobs would wait seconds for data they do not use."""
    calls = []
    monkeypatch.setattr(warmup, "warm_up", calls.append)
    served = _app(database.engine, WARM_UP=True)
    assert calls == [served]
    with click.Context(click.Command("db-upgrade")):
        _app(database.engine, WARM_UP=True)
    assert calls == [served]


# Last-Modified on the API


def test_last_modified_costs_one_query(app, database, providers):
    statements = []
    event.listen(database.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    response = app.test_client().get("/api/v1/needs")
    assert response.headers["Last-Modified"]
    assert len([sql for sql in statements if "last_modified" in sql]) == 1, statements


def test_last_modified_is_the_newest_of_services_and_organizations(client, session, providers):
    later = (utcnow() + timedelta(days=2)).replace(microsecond=0)
    organization = session.exec(select(Organization)).first()
    organization.last_modified = later
    session.commit()
    response = client.get("/api/v1/needs")
    assert response.last_modified.replace(tzinfo=None) == later.replace(tzinfo=None)


def test_an_empty_directory_has_no_last_modified(client):
    response = client.get("/api/v1/needs")
    assert response.status_code == 200
    assert "Last-Modified" not in response.headers


# /healthz


def test_healthz_says_ok_when_the_database_is_migrated(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "migrations": "current"}
    assert "X-RateLimit-Limit" not in response.headers  # never rate-limited
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_answers_503_when_migrations_are_behind(client, session):
    (head,) = migration_heads()
    previous = ScriptDirectory.from_config(alembic_config(None)).get_revision(head).down_revision
    session.execute(text("UPDATE alembic_version SET version_num = :previous"), {"previous": previous})
    session.commit()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "error", "database": "ok", "migrations": "behind"}


def test_healthz_answers_503_when_a_newer_release_migrated_the_database(client, session):
    session.execute(text("UPDATE alembic_version SET version_num = 'f00dfeedf00d'"))
    session.commit()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "error", "database": "ok", "migrations": "unknown"}


def test_healthz_answers_503_when_the_database_cannot_be_reached(tmp_path):
    unreachable = create_engine(f"sqlite:///{tmp_path}/no-such-folder/amparo.sqlite3")
    response = _app(unreachable).test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "error", "database": "unreachable"}


# /livez


def test_livez_answers_ok_without_touching_the_database_or_setting_a_cookie(app, database):
    statements = []
    event.listen(database.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    response = app.test_client().get("/livez", headers={"Accept-Language": "es", "Cookie": "lang=fr"})
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok"
    assert response.mimetype == "text/plain"
    assert statements == []
    assert "Set-Cookie" not in response.headers
    assert "X-RateLimit-Limit" not in response.headers  # never rate-limited
    assert response.headers["Cache-Control"] == "no-store"


def test_livez_stays_ok_when_the_database_cannot_be_reached(tmp_path):
    unreachable = create_engine(f"sqlite:///{tmp_path}/no-such-folder/amparo.sqlite3")
    client = _app(unreachable).test_client()
    assert client.get("/healthz").status_code == 503
    response = client.get("/livez")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok"


def test_livez_is_never_rate_limited_even_under_a_default_limit(database):
    from extensions import limiter

    # The limiter is one object for every app of the process, and keeps the first default limits it is
    # given: put back what it had, or every later test in this worker would be limited to 1 a minute.
    saved = limiter.limit_manager._default_limits
    try:
        client = _app(database.engine, RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="1 per minute").test_client()
        assert client.get("/privacy").status_code == 200
        assert client.get("/privacy").status_code == 429  # the default limit is on
        assert [client.get("/livez").status_code for _ in range(5)] == [200] * 5
    finally:
        limiter.limit_manager.set_default_limits(saved)


def _app(engine, **overrides):
    config = {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()}
    return create_app({**config, "ENGINE": engine, **overrides})
