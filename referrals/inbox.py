"""Provider pages (/manage/referrals): incoming referrals and their status; reports.

Only NGO staff see them, and only the items sent to their organizations; another
organization's item answers 404. Pages are noindex and never cached (web.security).
"""

from functools import wraps

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from models.db import get_session
from referrals.access import item_for_provider, organization_ids_of
from referrals.codes import format_code
from referrals.forms import ActionForm
from referrals.inbox_forms import InboxFilterForm, StatusForm
from referrals.notices import notify_status_change
from referrals.reports import referral_report, report_csv
from referrals.status import StatusError, incoming, incoming_details, mark_received, set_status
from referrals.words import CONTACT_LABELS, STATUS_LABELS
from web.urls import site_url

bp = Blueprint("inbox", __name__, url_prefix="/manage/referrals")


def providers_only(view):
    """Let in logged-in NGO staff; admins and caseworkers get 403."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if current_user.role != "ngo":
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def _labels() -> dict:
    return {"status_labels": STATUS_LABELS, "contact_labels": CONTACT_LABELS, "format_code": format_code}


@bp.get("/")
@providers_only
def index():
    """Referrals sent to the user's organizations, new ones on top; filter by status."""
    form = InboxFilterForm(formdata=request.args)
    status = form.status.data if form.status.data in STATUS_LABELS else None
    rows = incoming(
        get_session(), organization_ids=organization_ids_of(get_session(), user=current_user), status=status
    )
    return render_template("referrals/inbox.html", rows=rows, form=form, status=status, **_labels())


def _item_page(item, form: StatusForm, *, status: int = 200):
    details = incoming_details(get_session(), item=item)
    return render_template(
        "referrals/inbox_item.html", details=details, form=form, receive_form=ActionForm(), **_labels()
    ), status


def _own_item(item_id: str):
    item = item_for_provider(get_session(), user=current_user, item_id=item_id)
    if item is None:
        abort(404)
    return item


@bp.get("/<item_id>")
@providers_only
def show(item_id: str):
    """One incoming referral: what the client agreed to share, the caseworker's note, history, status form.

    Opening it changes nothing (a GET must not: a prefetch or a link preview would mark it seen).
    """
    item = _own_item(item_id)
    form = StatusForm(formdata=None, status=item.status if item.status != "sent" else "received")
    return _item_page(item, form)


@bp.post("/<item_id>/received")
@providers_only
def receive(item_id: str):
    """Mark a new referral received, so the caseworker knows it has been seen."""
    item = _own_item(item_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if mark_received(get_session(), user=current_user, item=item):
        flash(_("Marked as received, so the caseworker knows you have seen it."))
    return redirect(url_for("inbox.show", item_id=item.id))


@bp.post("/<item_id>")
@providers_only
def update(item_id: str):
    """Set the status of an incoming referral, with an optional note for the caseworker."""
    item = _own_item(item_id)
    form = StatusForm()
    if form.validate_on_submit():
        try:
            set_status(get_session(), user=current_user, item_id=item_id, status=form.status.data, note=form.note.data)
        except StatusError as error:
            getattr(form, error.field).errors.append(error.message)
        else:
            notify_status_change(get_session(), item=item, dashboard_url=site_url("referrals.dashboard"))
            flash(_("Status saved: %(status)s.", status=STATUS_LABELS[form.status.data]))
            return redirect(url_for("inbox.show", item_id=item_id))
    return _item_page(item, form, status=400)


def _report_organization() -> str:
    """Return the organization whose report is asked for (?organization=), the user's first by default."""
    organization_ids = organization_ids_of(get_session(), user=current_user)
    asked = request.args.get("organization")
    if asked in organization_ids:
        return asked
    return organization_ids[0] if organization_ids else ""


@bp.get("/report")
@providers_only
def report():
    """Anonymous counts of the referrals sent to the user's organization, per agency."""
    organization_id = _report_organization()
    return render_template(
        "referrals/report.html",
        report=referral_report(get_session(), provider_id=organization_id),
        csv_url=url_for("inbox.report_download", organization=organization_id or None),
        title=_("Referrals sent to your organization"),
    )


@bp.get("/report.csv")
@providers_only
def report_download():
    """The same report as a CSV file (counts only, no client fields)."""
    found = referral_report(get_session(), provider_id=_report_organization())
    return Response(
        report_csv(found),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="referrals-report.csv"'},
    )
