"""Test fixtures: a fresh app and database per test, and one seeded database per session.

Runs on SQLite by default, and on PostgreSQL when DATABASE_URL points at it: each database
is then a schema of its own, dropped at the end.
"""

import os
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session

from app import create_app
from config import TestConfig
from models import db

POSTGRES_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRES = POSTGRES_URL.startswith(("postgresql", "postgres:"))

if os.environ.get("AMPARO_REQUIRE_POSTGRES") and not ON_POSTGRES:
    raise RuntimeError("AMPARO_REQUIRE_POSTGRES is set but DATABASE_URL is not a PostgreSQL URL")


class _Template:
    """One migrated database per test process, copied for each test that asks for a fresh one.

    Running every migration takes about 0.3 s on SQLite and 0.5 s on PostgreSQL, and most tests want a
    fresh database: copied, it takes a few milliseconds. SQLite copies the file; PostgreSQL replays
    pg_dump's script of the template schema under the new name. Tests that downgrade and upgrade again
    (tests/test_spatial_index.py, tests/test_migrations.py) still run the migrations themselves.
    """

    def __init__(self):
        self._made = False
        self.path = None  # SQLite: the migrated file
        self.script = None  # PostgreSQL: the template schema's SQL, with SCHEMA_MARK for its name

    SCHEMA_MARK = "amparo_template_schema_mark"

    def _make(self):
        import tempfile

        self._made = True
        if not ON_POSTGRES:
            import atexit
            import shutil

            folder = tempfile.mkdtemp(prefix="amparo-template-")
            atexit.register(shutil.rmtree, folder, True)
            self.path = os.path.join(folder, "template.sqlite3")
            engine = db.make_engine(f"sqlite:///{self.path}")
            db.upgrade(engine)
            with engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            engine.dispose()
            return
        schema = f"{self.SCHEMA_MARK}_{uuid.uuid4().hex[:8]}"
        url = db.normalize_url(POSTGRES_URL)
        admin = create_engine(url)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine = db.make_engine(url, schema=schema)
        db.upgrade(engine)
        engine.dispose()
        try:
            self.script = _dump_schema(admin.url, schema).replace(schema, self.SCHEMA_MARK)
        finally:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()

    def copy_to(self, target) -> bool:
        """Fill a new database from the template: a SQLite path or a PostgreSQL schema name (just created)."""
        if not self._made:
            self._make()
        if self.path:
            import shutil

            shutil.copyfile(self.path, target)
            return True
        if self.script:
            admin = create_engine(db.normalize_url(POSTGRES_URL))
            with admin.connect() as conn:
                conn.exec_driver_sql(self.script.replace(self.SCHEMA_MARK, target))
                conn.commit()
            admin.dispose()
            return True
        return False


def _dump_schema(url, schema: str) -> str | None:
    """Return pg_dump's SQL for one schema (its tables, indexes and rows), or None without pg_dump."""
    import shutil
    import subprocess

    if not shutil.which("pg_dump"):
        return None
    environment = {**os.environ, "PGPASSWORD": url.password or ""}
    command = ["pg_dump", "--no-owner", "--no-privileges", "--inserts", f"--schema={schema}",
               "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres",
               url.database]
    dumped = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)  # noqa: S603
    if dumped.returncode != 0:
        return None
    # psql's own commands (\restrict, \unrestrict) are not SQL; the first SET lines reset search_path.
    return "\n".join(line for line in dumped.stdout.splitlines() if not line.startswith("\\"))


_TEMPLATE = _Template()


class _Database:
    """A throwaway database: a SQLite file, or a PostgreSQL schema, migrated to the head."""

    def __init__(self, tmp_dir):
        if ON_POSTGRES:
            self.url = db.normalize_url(POSTGRES_URL)
            self.schema = "t_" + uuid.uuid4().hex[:16]
            if not _TEMPLATE.copy_to(self.schema):
                admin = create_engine(self.url)
                with admin.begin() as conn:
                    conn.execute(text(f'CREATE SCHEMA "{self.schema}"'))
                admin.dispose()
        else:
            self.url = f"sqlite:///{tmp_dir}/amparo-test.sqlite3"
            self.schema = None
            _TEMPLATE.copy_to(f"{tmp_dir}/amparo-test.sqlite3")
        self.engine = db.make_engine(self.url, schema=self.schema)
        if not db.is_migrated(self.engine):
            db.upgrade(self.engine)

    def drop(self):
        self.engine.dispose()
        if self.schema:
            admin = create_engine(self.url)
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{self.schema}" CASCADE'))
            admin.dispose()


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing():
    """Hash passwords with argon2id at its lowest cost in tests: the real cost (~0.1 s a hash) is the
    point in production and would make the role × route matrix, which creates users per test, take minutes.
    """
    from argon2 import PasswordHasher

    from accounts import users

    production, users._hasher = users._hasher, PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    users._hasher = production


def _make_app(database: _Database, **overrides):
    config = {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()}
    config.update(ENGINE=database.engine, **overrides)
    return create_app(config)


@pytest.fixture
def database(tmp_path):
    """A fresh, migrated, empty database."""
    found = _Database(tmp_path)
    yield found
    found.drop()


@pytest.fixture
def app(database):
    """An app on a fresh, empty database, with fresh rate-limit counters."""
    from extensions import limiter

    found = _make_app(database)
    with found.app_context():
        limiter.reset()
    return found


@pytest.fixture
def make_app(database):
    """Build an app on the test's database with some settings changed (e.g. LANGUAGES)."""
    return lambda **overrides: _make_app(database, **overrides)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def session(database):
    """A session on the fresh database."""
    with Session(database.engine, expire_on_commit=False) as found:
        yield found


@pytest.fixture(scope="session")
def seeded_database(tmp_path_factory):
    """One database per test session, loaded with the bundled real providers (read-only!)."""
    from seed.load import load_providers, read_bundles

    found = _Database(tmp_path_factory.mktemp("seeded"))
    with Session(found.engine) as session:
        load_providers(session, read_bundles())
        session.commit()
    yield found
    found.drop()


@pytest.fixture(scope="session")
def seeded_app(seeded_database):
    """An app on the seeded database. Tests must not change its data."""
    return _make_app(seeded_database)


@pytest.fixture
def seeded_client(seeded_app):
    return seeded_app.test_client()


@pytest.fixture
def seeded_session(seeded_database):
    with Session(seeded_database.engine, expire_on_commit=False) as found:
        yield found
        found.rollback()


# Redis, for what several app processes share (rate limits, the results cache). .ci/run starts it and
# sets AMPARO_REQUIRE_REDIS, so that there a missing Redis fails the tests that need it instead of skipping.
REDIS_URL = "redis://127.0.0.1:6379/0"


def redis_is_up() -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


def require_redis() -> None:
    """Skip the test when Redis does not answer, or fail it when AMPARO_REQUIRE_REDIS is set."""
    if not redis_is_up():
        if os.environ.get("AMPARO_REQUIRE_REDIS"):
            pytest.fail("AMPARO_REQUIRE_REDIS is set but Redis does not answer on 127.0.0.1:6379")
        pytest.skip("Redis does not answer on 127.0.0.1:6379 (.ci/run starts it)")


SERVE = """
import sys
from werkzeug.serving import make_server
from app import create_app
server = make_server("127.0.0.1", 0, create_app(), threaded=True)
print(server.server_port, flush=True)
server.serve_forever()
"""


@pytest.fixture
def two_app_processes(database, tmp_path):
    """Two app processes (like two gunicorn workers) on the test's database, sharing one Redis.

    They share it for their rate limits (6 per minute on the API) and their results cache, which says
    "hit" or "miss" in a Server-Timing header. Keys have a prefix of their own: other runs share this Redis.
    """
    import subprocess
    import sys

    require_redis()
    environment = {
        **os.environ,
        "DATABASE_URL": str(database.engine.url.render_as_string(hide_password=False)),
        "AMPARO_DATABASE_SCHEMA": database.schema or "",
        "AMPARO_SITE_URL": "http://127.0.0.1",
        "AMPARO_SECRET_KEY": "two-processes-" + uuid.uuid4().hex,
        "AMPARO_REFERRAL_KEYS": TestConfig.REFERRAL_KEYS,
        "AMPARO_RATELIMIT_STORAGE_URI": REDIS_URL,
        "AMPARO_RATELIMIT_KEY_PREFIX": "amparo-test-" + uuid.uuid4().hex,
        "AMPARO_API_RATE_LIMIT": "6 per minute",
        "AMPARO_CACHE_URL": REDIS_URL,
        "AMPARO_CACHE_KEY_PREFIX": f"amparo-test-{uuid.uuid4().hex}:",
        "AMPARO_CACHE_SERVER_TIMING": "true",
    }
    if not database.schema:
        del environment["AMPARO_DATABASE_SCHEMA"]
    processes = [
        subprocess.Popen([sys.executable, "-c", SERVE], env=environment, stdout=subprocess.PIPE, text=True)  # noqa: S603
        for _ in range(2)
    ]
    try:
        yield [f"http://127.0.0.1:{process.stdout.readline().strip()}" for process in processes]
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)
            process.stdout.close()


def assert_one_rate_limit(first: str, second: str) -> None:
    """Check that two app processes count one rate limit: 6 API requests a minute between them."""
    import urllib.error
    import urllib.request

    def status(base: str) -> int:
        try:
            with urllib.request.urlopen(f"{base}/api/v1/needs", timeout=60) as response:  # noqa: S310  (a local test server)
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    statuses = [status(base) for base in (first, second) * 4]
    # 6 per minute in all: with memory:// each process would allow 6, and all 8 would pass.
    assert statuses == [200] * 6 + [429, 429]
