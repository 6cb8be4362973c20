"""``flask referrals purge``: erase client details a set time after referrals close.

Run it once a day from a scheduler (cron or a systemd timer); running it twice does no harm.
"""

import click
from flask import current_app
from flask.cli import with_appcontext

from models.db import get_session
from referrals.workflow import ABANDONED_AFTER_DAYS, purge

referrals_cli = click.Group("referrals", help="Referrals: erase client details on schedule.")


@referrals_cli.command("purge")
@click.option(
    "--days",
    type=click.IntRange(min=0),
    default=None,
    help="Erase client details of referrals closed more than this many days ago (default: REFERRAL_RETENTION_DAYS).",
)
@with_appcontext
def purge_command(days: int | None) -> None:
    """Erase client details of referrals closed long enough ago, and of referrals untouched for a year."""
    if days is None:
        days = int(current_app.config["REFERRAL_RETENTION_DAYS"])
    erased = purge(get_session(), days=days)
    click.echo(
        f"Client details erased from {erased} referral(s) closed more than {days} days ago "
        f"or without any update for {ABANDONED_AFTER_DAYS} days."
    )
