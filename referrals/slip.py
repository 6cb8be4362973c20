"""The referral slip a client carries (printable, in the client's language) and the public status lookup by code.

The slip names no one: it carries the code, the providers' public details (never a
confidential address), what to bring, next steps and a QR code to each provider's page. The
status lookup takes the code in a POST body (never in a URL or a log) and answers statuses only.
"""

from dataclasses import dataclass

import segno
from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_babel import force_locale
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select

from extensions import limiter
from finder.listing import Listing, load_listing
from matching.engine import DAY_CODES, hours_on
from matching.index import compact_hours
from models import Organization, ReferralItem, Service
from models.db import get_session
from referrals.access import referral_for_caseworker
from referrals.codes import format_code, normalize_code
from referrals.inbox_forms import NOT_FOUND, CodeForm
from referrals.status import status_by_code
from referrals.words import STATUS_LABELS
from web.languages import BY_CODE, site_code
from web.urls import public_url
from web.words import day_names, hours_text, labelled_hours

bp = Blueprint("slip", __name__)

# Rate limit of status lookups, per IP address (counted in memory only): enough for a person, not for guessing.
STATUS_RATE_LIMIT = "20 per hour"


@dataclass
class SlipService:
    """One service on a slip: its public listing (None if it is no longer published) and its QR code."""

    service_name: str
    provider_name: str
    listing: Listing | None
    hours: list[tuple[str, list[tuple[str, str]]]]  # (whose hours, open days), the service's and each site's
    page_url: str
    qr: Markup


def qr_svg(url: str) -> Markup:
    """Return an inline SVG QR code for ``url``, drawn on the server (no script, no outside request)."""
    svg = segno.make(url, error="m").svg_inline(scale=1, border=2, omitsize=True)
    # The QR repeats the address printed beside it, so screen readers skip it.
    return Markup(svg.replace("<svg ", '<svg aria-hidden="true" focusable="false" ', 1))  # noqa: S704  (segno's own SVG, no user text)


def open_hours(schedules: list) -> list[tuple[str, str]]:
    """Return (day name, hours) for the days a service is open (closed days would crowd a one-page slip)."""
    hours = compact_hours(schedules)
    if not hours:
        return []
    names = day_names()
    return [(names[day], hours_text(spans)) for day in DAY_CODES if (spans := hours_on(hours, day))]


def slip_services(session, *, referral_id: str) -> list[SlipService]:
    """Return what the slip prints about each service of a referral."""
    rows = session.execute(
        select(ReferralItem.service_id, Service.name, Organization.name)
        .join(Service, Service.id == ReferralItem.service_id)
        .join(Organization, Organization.id == ReferralItem.provider_id)
        .where(ReferralItem.referral_id == referral_id)
        .order_by(Organization.name, Service.name)
    ).all()
    found = []
    for service_id, service_name, provider_name in rows:
        listing = load_listing(session, service_id)
        hours = labelled_hours(listing, days=open_hours) if listing else []
        page_url = public_url(url_for("finder.provider", service_id=service_id))
        found.append(SlipService(service_name, provider_name, listing, hours, page_url, qr_svg(page_url)))
    return found


def slip_language(referral_language: str) -> str:
    """Return the slip's language: ?lang= if offered, else the client's language if the site speaks it, else English."""
    for candidate in (request.args.get("lang"), referral_language):
        code = site_code(candidate)
        if code in current_app.config["LANGUAGES"]:
            return BY_CODE[code].locale
    return "en"


@bp.get("/work/referrals/<referral_id>/slip")
@login_required
def print_slip(referral_id: str):
    """The printable slip, in the client's language."""
    session = get_session()
    referral = referral_for_caseworker(session, user=current_user, referral_id=referral_id)
    if referral is None:
        abort(404)
    with force_locale(slip_language(referral.language)):
        return render_template(
            "referrals/slip.html",
            referral=referral,
            code=format_code(referral.code),
            services=slip_services(session, referral_id=referral.id),
            status_url=public_url(url_for("slip.status")),
        )


@bp.route("/referral/status", methods=["GET", "POST"])
@limiter.limit(STATUS_RATE_LIMIT, methods=["POST"])
def status():
    """Check a referral's status with the code alone: services, providers and statuses, nothing else."""
    form = CodeForm()
    lines = None
    if form.validate_on_submit():
        code = normalize_code(form.code.data)
        lines = status_by_code(get_session(), code=code) if code else None
        if lines is None:
            form.code.errors.append(str(NOT_FOUND))
    answer = 400 if form.errors else 200
    return render_template("referrals/status.html", form=form, lines=lines, status_labels=STATUS_LABELS), answer
