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
        report = export_package(session, Path(path))
    click.echo(f"{path}:")
    click.echo(report.text())


@hsds_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=True, file_okay=True))
@click.option(
    "--skip-bad-rows",
    is_flag=True,
    help="Import the good rows; reject the bad ones and the rows that depend on them (default: import nothing).",
)
@click.option(
    "--rejects",
    type=click.Path(dir_okay=False, writable=True),
    help="Where to write the rejected rows as CSV (default: PATH-rejects.csv beside the input).",
)
def import_command(path: str, skip_bad_rows: bool, rejects: str | None) -> None:
    """Import an HSDS package (folder or .zip, any HSDS version) or a JSON/NDJSON file of services."""
    from hsds.importer import TABLES, import_path

    source = Path(path)
    rejects_path = Path(rejects) if rejects else source.parent / f"{source.name}-rejects.csv"
    max_bytes = int(current_app.config["HSDS_IMPORT_MAX_BYTES"])
    max_total = int(current_app.config["HSDS_IMPORT_MAX_TOTAL_BYTES"])
    with Session(db.get_engine()) as session, click.progressbar(length=len(TABLES), label="Importing") as bar:
        report = import_path(
            session,
            source,
            max_bytes=max_bytes,
            max_total=max_total,
            skip_bad_rows=skip_bad_rows,
            rejects_path=rejects_path if skip_bad_rows else None,
            progress=bar.update,
        )
    click.echo(report.text())
    if skip_bad_rows and report.errors:
        click.echo(f"Rejected rows written to {rejects_path}")
    if not report.ok:
        raise click.exceptions.Exit(1)
