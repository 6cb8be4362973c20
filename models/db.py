"""Database plumbing: the engine (built in the app factory), one session per request, migrations."""

from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app, g
from sqlalchemy import Engine, event, inspect
from sqlmodel import Session, create_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def normalize_url(url: str) -> str:
    """Use the psycopg 3 driver for plain postgres:// and postgresql:// URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def make_engine(url: str, *, schema: str | None = None) -> Engine:
    """Build an engine for SQLite or PostgreSQL; ``schema`` pins PostgreSQL's search_path."""
    if url.startswith("sqlite"):
        # hide_parameters: SQL errors must not carry a person's search into the logs.
        engine = create_engine(url, connect_args={"check_same_thread": False}, hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    url = normalize_url(url)
    # No parallel plans: a search's queries take a few milliseconds, and starting parallel workers
    # cost more than it saved (at 1M services a 2 ms scan took 25 ms behind a Gather).
    options = ["-cmax_parallel_workers_per_gather=0"]
    if schema:
        options.append(f"-csearch_path={schema}")
    return create_engine(url, connect_args={"options": " ".join(options)}, pool_pre_ping=True, hide_parameters=True)


def init_app(app: Flask, engine: Engine) -> None:
    """Attach the engine to the app and close each request's session at teardown."""
    app.extensions["amparo.engine"] = engine
    app.teardown_appcontext(close_session)


def get_engine() -> Engine:
    """Return the current app's engine."""
    return current_app.extensions["amparo.engine"]


def get_session() -> Session:
    """Return this request's session, opening it on first use."""
    if "db_session" not in g:
        g.db_session = Session(get_engine(), expire_on_commit=False)
    return g.db_session


def close_session(_exc: BaseException | None = None) -> None:
    """Close this request's session, rolling back anything left uncommitted."""
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def alembic_config(engine: Engine) -> AlembicConfig:
    """Return an Alembic configuration that runs our migrations on ``engine``."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> None:
    """Apply every pending migration."""
    command.upgrade(alembic_config(engine), "head")


def is_migrated(engine: Engine) -> bool:
    """Tell whether the schema exists (the first start has run)."""
    return inspect(engine).has_table("alembic_version")


@lru_cache(maxsize=1)
def _migration_script() -> tuple[frozenset[str], frozenset[str]]:
    """Return (head revisions, every revision) of the migrations shipped with this code, read once."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    script = ScriptDirectory.from_config(config)
    return frozenset(script.get_heads()), frozenset(rev.revision for rev in script.walk_revisions())


def migration_heads() -> frozenset[str]:
    """Return the head revisions of the migrations shipped with this code."""
    return _migration_script()[0]


def migration_state(engine: Engine) -> str:
    """Compare the database with this code's migrations: "current", "behind" (run flask db-upgrade) or
    "unknown" (migrated by a newer release). Raises SQLAlchemyError when the database cannot be reached.
    """
    with engine.connect() as connection:
        revisions = frozenset(MigrationContext.configure(connection).get_current_heads())
    heads, known = _migration_script()
    if revisions == heads:
        return "current"
    return "behind" if revisions <= known else "unknown"
