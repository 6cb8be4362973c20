"""``flask listings``: reminders to owners of listings nobody has confirmed for six months."""

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlmodel import Session

from accounts.mailer import send_mail
from finder.listing import STALE_AFTER
from listings.staleness import stale_services
from models import ListingReminder, Membership, User
from models.base import today
from models.db import get_session

listings_cli = click.Group("listings", help="Manage listings.")


def queue_reminders(session: Session, *, manage_url: str) -> int:
    """Queue one email per owner of stale listings, at most once a day; return how many were queued."""
    names_by_owner: dict[str, list[str]] = {}
    for service, organization in stale_services(session, stale_after=STALE_AFTER):
        owners = session.execute(
            select(User.id)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.organization_id == organization.id, Membership.role == "owner", User.is_active)
        ).scalars()
        for owner_id in owners:
            names_by_owner.setdefault(owner_id, []).append(f"{organization.name}: {service.name}")
    queued = 0
    for owner_id, names in names_by_owner.items():
        already = select(ListingReminder.id).where(
            ListingReminder.user_id == owner_id, ListingReminder.sent_on == today()
        )
        if session.execute(already).first() is not None:
            continue
        session.add(ListingReminder(user_id=owner_id, sent_on=today()))
        body = _(
            "Nobody has confirmed these listings on Amparo for six months:\n\n%(names)s\n\n"
            "Please check them and press 'Confirm this listing is still correct':\n%(link)s",
            names="\n".join(f"- {name}" for name in names),
            link=manage_url,
        )
        owner = session.get(User, owner_id)
        send_mail(session, to=owner.email, subject=_("Are your Amparo listings still correct?"), body=body)
        queued += 1
    return queued


@listings_cli.command("remind")
@with_appcontext
def remind() -> None:
    """Email the owners of listings not confirmed for six months (once a day at most)."""
    manage_url = current_app.config["SITE_URL"].rstrip("/") + "/manage/"
    with force_locale("en"):  # no request, so no browser language to follow
        queued = queue_reminders(get_session(), manage_url=manage_url)
    click.echo(f"{queued} reminder(s) queued.")
