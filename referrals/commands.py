"""``flask referrals purge``: erase client details a set time after referrals close;
``flask referrals digest``: the caseworkers' daily email about their referrals.

Run both once a day from a scheduler (cron or a systemd timer); running purge twice does no harm,
and digest covers what happened since the last one it sent each caseworker.
"""

import click
from flask import current_app
from flask.cli import with_appcontext

from models.db import get_session
from referrals.notices import send_digests
from referrals.workflow import ABANDONED_AFTER_DAYS, purge

referrals_cli = click.Group("referrals", help="Referrals: erase client details, send daily digests.")


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


@referrals_cli.command("digest")
@with_appcontext
def digest_command() -> None:
    """Email each caseworker the day's status changes (if they chose a digest) and their stale referrals."""
    sent = send_digests(
        get_session(),
        stale_days=int(current_app.config["REFERRAL_STALE_DAYS"]),
        # No request here to build a link from: the site's address, as `flask listings remind` does.
        dashboard_url=current_app.config["SITE_URL"].rstrip("/") + "/work/dashboard",
    )
    click.echo(f"Digests sent: {sent}.")
