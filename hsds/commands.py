"""``flask hsds export PATH`` and ``flask hsds import PATH``."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlmodel import Session

from models import db

hsds_cli = AppGroup("hsds", help="Open Referral HSDS 3.0 data packages.")


@hsds_cli.command("export")
@click.argument("path", type=click.Path(dir_okay=True, file_okay=True))
def export_command(path: str) -> None:
    """Write the published directory as an HSDS data package (a folder, or a .zip)."""
    from hsds.export import export_package

    with Session(db.get_engine()) as session:
        counts = export_package(session, Path(path))
    click.echo("Wrote " + ", ".join(f"{n} {name}" for name, n in counts.items() if n) + f" to {path}.")


@hsds_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=True, file_okay=True))
def import_command(path: str) -> None:
    """Import an HSDS data package (folder or .zip) or a JSON/NDJSON file of services, all or nothing."""
    from hsds.importer import import_path

    with Session(db.get_engine()) as session:
        report = import_path(session, Path(path), max_bytes=int(current_app.config["HSDS_IMPORT_MAX_BYTES"]))
    click.echo(report.text())
    if not report.ok:
        raise click.exceptions.Exit(1)
