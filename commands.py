"""Command-line tasks: ``flask db-upgrade``, ``flask seed``, ``flask reindex``, ``flask data audit``."""

from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlmodel import Session

from matching.index import rebuild_index
from models import db
from seed.load import PROVIDERS_FILE, load_providers, read_bundles


def register(app: Flask) -> None:
    """Attach the commands to the app."""
    app.cli.add_command(db_upgrade)
    app.cli.add_command(seed)
    app.cli.add_command(reindex)
    app.cli.add_command(data_cli)


@click.command("db-upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Create or update the database schema (Alembic migrations)."""
    db.upgrade(db.get_engine())
    click.echo("Database schema is up to date.")


@click.command("seed")
@click.option("--if-empty", is_flag=True, help="Do nothing when the directory already has organizations.")
@click.option(
    "--file",
    "path",
    type=click.Path(exists=True, dir_okay=False),
    default=str(PROVIDERS_FILE),
    show_default=True,
    help="A providers file in Amparo's bundle format.",
)
@with_appcontext
def seed(if_empty: bool, path: str) -> None:
    """Load the bundled real providers (safe to run again: adds only what is missing)."""
    engine = db.get_engine()
    db.upgrade(engine)
    with Session(engine) as session:
        if if_empty and _has_organizations(session):
            click.echo("The directory already has data; nothing to load.")
            return
        counts = load_providers(session, read_bundles(Path(path)))
        session.commit()
    click.echo(
        f"Added {counts['organizations']} organizations, {counts['locations']} locations and "
        f"{counts['services']} services; {counts['skipped']} were already there."
    )


@click.command("reindex")
@with_appcontext
def reindex() -> None:
    """Rebuild the search index from the directory's tables."""
    with Session(db.get_engine()) as session:
        rows = rebuild_index(session)
        session.commit()
    click.echo(f"Search index rebuilt: {rows} rows.")


@click.group("data")
def data_cli() -> None:
    """Check the directory's data."""


@data_cli.command("audit")
@click.option("--examples", default=5, show_default=True, help="Example service ids shown per check.")
@with_appcontext
def data_audit(examples: int) -> None:
    """Count services with data problems, each with example ids (see data/README.md)."""
    from seed.audit import audit

    with Session(db.get_engine()) as session:
        checks = audit(session)
    for check in checks:
        click.echo(check.line(examples))


def _has_organizations(session: Session) -> bool:
    from sqlalchemy import select

    from models import Organization

    return session.execute(select(Organization.id).limit(1)).first() is not None
