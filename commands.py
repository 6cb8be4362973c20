"""Command-line tasks: ``flask db-upgrade``, ``flask seed``, ``flask reindex``, ``flask data audit``."""

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlmodel import Session

from matching.bulk_index import count_services, rebuild_index_in_batches
from models import db
from seed.bulk import Progress, is_postgres, no_progress
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
    "--refresh",
    is_flag=True,
    help="Also reload seeded organizations nobody has touched from the file, and remove those it no longer has.",
)
@click.option(
    "--file",
    "path",
    type=click.Path(exists=True, dir_okay=False),
    default=str(PROVIDERS_FILE),
    show_default=True,
    help="A providers file in Amparo's bundle format.",
)
@click.option("--quiet", is_flag=True, help="No progress bar (there is none either when the output is not a terminal).")
@with_appcontext
def seed(if_empty: bool, refresh: bool, path: str, quiet: bool) -> None:
    """Load the bundled real providers (safe to run again: adds only what is missing)."""
    engine = db.get_engine()
    db.upgrade(engine)
    with Session(engine) as session:
        if if_empty and _has_organizations(session):
            click.echo("The directory already has data; nothing to load.")
            return
        if refresh:
            from seed.refresh import refresh_providers

            done = refresh_providers(session, list(read_bundles(Path(path))))
            session.commit()
            click.echo(
                f"Reloaded {done['refreshed']} untouched organizations, added {done['added']}, removed "
                f"{done['removed']} the file no longer has; kept {done['kept']} that were edited or are in use."
            )
            return
        total = sum(1 for _ in read_bundles(Path(path)))
        with progress_bar(total, "Loading providers", quiet=quiet) as progress:
            counts = load_providers(session, read_bundles(Path(path)), commit_batches=True, progress=progress)
        session.commit()
    click.echo(
        f"Added {counts['organizations']} organizations, {counts['locations']} locations and "
        f"{counts['services']} services; {counts['skipped']} were already there."
    )


@click.command("reindex")
@click.option("--quiet", is_flag=True, help="No progress bar (there is none either when the output is not a terminal).")
@with_appcontext
def reindex(quiet: bool) -> None:
    """Rebuild the search index from the directory's tables."""
    with Session(db.get_engine()) as session:
        with progress_bar(count_services(session), "Indexing services", quiet=quiet) as progress:
            # PostgreSQL swaps the index in one transaction; SQLite commits per batch to keep its WAL small.
            rows = rebuild_index_in_batches(session, commit_batches=not is_postgres(session), progress=progress)
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


@contextmanager
def progress_bar(length: int, label: str, *, quiet: bool = False) -> Iterator[Progress]:
    """Yield a callback that advances a progress bar on the terminal; silent with --quiet or in a pipe."""
    if quiet or not sys.stdout.isatty():
        yield no_progress
        return
    with click.progressbar(length=length, label=label, file=sys.stdout) as bar:
        yield bar.update


def _has_organizations(session: Session) -> bool:
    from sqlalchemy import select

    from models import Organization

    return session.execute(select(Organization.id).limit(1)).first() is not None
