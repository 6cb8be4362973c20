"""``flask referrals purge``: erase client details a set time after referrals close."""

import click

referrals_cli = click.Group("referrals", help="Referrals: erase client details on schedule.")
