"""Caseworker pages (/work): workspace search, saved lists, referrals, dashboard, agency report.

Only caseworkers of an agency come in (others get 403; anonymous people the login page). A
referral of another agency, or a list of another person, answers 404. Client fields travel only
in POST bodies and on the referral page: never in a URL, a flash message or a log line.
"""

from functools import wraps

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    get_flashed_messages,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from api.forms import SearchForm
from finder.views import active_filters
from matching.needs import get_taxonomy
from models.db import get_session
from referrals import invite, lists, notices, reach, workflow
from referrals.access import agency_id_of, referral_for_caseworker
from referrals.codes import format_code
from referrals.forms import (
    ActionForm,
    AddToListForm,
    EmailChoiceForm,
    EraseForm,
    ListNameForm,
    ReferralForm,
    ServiceForm,
    TrackedStatusForm,
)
from referrals.reports import referral_report, report_csv
from referrals.words import CONTACT_LABELS, STATUS_LABELS
from web.search import SearchProblem, run_search
from web.urls import same_site_path, site_url

bp = Blueprint("referrals", __name__, url_prefix="/work")


def caseworkers_only(view):
    """Let in logged-in caseworkers of an agency (their agency id on ``g.agency_id``); others get 403."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if current_user.role != "caseworker":
            abort(403)
        g.agency_id = agency_id_of(get_session(), user=current_user)
        if g.agency_id is None:
            return render_template("referrals/work_no_agency.html"), 403
        return view(*args, **kwargs)

    return wrapped


def _page(template: str, status: int = 200, **context):
    """Render a caseworker page with the flashed notices and the shared words."""
    context.setdefault("notices", get_flashed_messages())
    return render_template(
        f"referrals/{template}",
        status_labels=STATUS_LABELS,
        contact_labels=CONTACT_LABELS,
        format_code=format_code,
        **context,
    ), status


# Workspace search


@bp.get("/")
@caseworkers_only
def workspace():
    """Search like a seeker, in a denser table, with "Save to list" and "Refer" on every result."""
    form = SearchForm(formdata=request.args if request.args.get("location") is not None else None)
    saved_lists = lists.lists_of(get_session(), user=current_user)
    context = {"form": form, "saved_lists": saved_lists, "add_form": AddToListForm(), "results": None, "problem": None}
    if form.location.data is None:
        return _page("work_search.html", **context)
    if not form.validate():
        return _page("work_search.html", 400, **context)
    try:
        context["results"] = results = run_search(form, current_app.config)
    except SearchProblem as problem:
        return _page("work_search.html", problem.status, **{**context, "problem": problem})
    rows = results.get("results") or results.get("area_options") or []
    receiving = reach.receiving_services(get_session(), service_ids=[row["service_id"] for row in rows])
    return _page("work_search.html", active_filters=active_filters(form), receiving=receiving, **context)


# Saved lists


def _own_list(list_id: str):
    saved = lists.list_of_user(get_session(), user=current_user, list_id=list_id)
    if saved is None:
        abort(404)
    return saved


@bp.route("/lists", methods=["GET", "POST"])
@caseworkers_only
def saved_lists():
    """The caseworker's lists, and a form to make a new one."""
    form = ListNameForm()
    if form.validate_on_submit():
        try:
            saved = lists.create_list(get_session(), user=current_user, name=form.name.data)
        except lists.ListError as error:
            form.name.errors.append(error.message)
        else:
            return redirect(url_for(".saved_list", list_id=saved.id))
    mine = lists.lists_of(get_session(), user=current_user)
    return _page("work_lists.html", 400 if form.errors else 200, form=form, saved_lists=mine)


@bp.get("/lists/<list_id>")
@caseworkers_only
def saved_list(list_id: str):
    """One list: its services, to remove or to refer a client to several at once."""
    saved = _own_list(list_id)
    return _list_page(saved, ListNameForm(name=saved.name))


def _list_page(saved, rename_form: ListNameForm, status: int = 200):
    return _page(
        "work_list.html",
        status,
        saved=saved,
        entries=lists.services_on(get_session(), saved=saved),
        rename_form=rename_form,
        action_form=ActionForm(),
    )


@bp.post("/lists/<list_id>/rename")
@caseworkers_only
def rename_list(list_id: str):
    """Rename a list."""
    saved = _own_list(list_id)
    form = ListNameForm()
    if form.validate_on_submit():
        try:
            lists.rename_list(get_session(), saved=saved, name=form.name.data)
        except lists.ListError as error:
            form.name.errors.append(error.message)
        else:
            flash(_("List renamed."))
            return redirect(url_for(".saved_list", list_id=saved.id))
    return _list_page(saved, form, 400)


@bp.post("/lists/<list_id>/delete")
@caseworkers_only
def delete_list(list_id: str):
    """Delete a list (the services stay in the directory)."""
    saved = _own_list(list_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    lists.delete_list(get_session(), saved=saved)
    flash(_("List deleted."))
    return redirect(url_for(".saved_lists"))


@bp.post("/lists/add")
@caseworkers_only
def add_to_list():
    """Save a service to a list (a new one when none is chosen), then go back to the search."""
    form = AddToListForm()
    back = same_site_path(form.next.data, default=url_for(".workspace"))
    if not form.validate_on_submit():
        abort(400)
    if form.list_id.data:
        _own_list(form.list_id.data)  # someone else's list answers 404, as everywhere
    try:
        saved = lists.add_to_list(
            get_session(), user=current_user, list_id=form.list_id.data, service_id=form.service_id.data
        )
    except lists.ListError as error:
        flash(error.message)
        return redirect(back)
    flash(_("Saved to the list “%(name)s”.", name=saved.name))
    return redirect(back)


@bp.post("/lists/<list_id>/remove")
@caseworkers_only
def remove_from_list(list_id: str):
    """Take a service off a list."""
    saved = _own_list(list_id)
    form = ServiceForm()
    if not form.validate_on_submit():
        abort(400)
    lists.remove_from_list(get_session(), saved=saved, service_id=form.service_id.data)
    flash(_("Removed from the list."))
    return redirect(url_for(".saved_list", list_id=saved.id))


# Referrals


@bp.route("/referrals/new", methods=["GET", "POST"])
@caseworkers_only
def new_referral():
    """Refer a client to one or more services: the form, then the referral page."""
    form = ReferralForm()
    if request.method == "GET":
        form.services.data = request.args.getlist("service")
        # The need searched for in the workspace comes along, checked (and its group shown open).
        form.needs.data = [code for code in request.args.getlist("need") if code in get_taxonomy()]
    elif form.validate_on_submit():
        try:
            referral = workflow.create_referral(
                get_session(),
                caseworker=current_user,
                agency_id=g.agency_id,
                service_ids=form.services.data,
                needs=form.needs.data,
                language=form.language.data,
                contact_preference=form.contact_preference.data,
                client=_client_details(form),
            )
        except workflow.ReferralError as error:
            form[error.field or "services"].errors.append(error.message)
        else:
            _tell_providers(referral)
            return redirect(url_for(".referral", referral_id=referral.id))
    chosen = workflow.chosen_services(get_session(), service_ids=form.services.data or [])
    receiving = reach.receiving_services(get_session(), service_ids=[service.id for service, _o in chosen])
    return _page("work_referral_new.html", 400 if form.errors else 200, form=form, chosen=chosen, receiving=receiving)


def _tell_providers(referral) -> None:
    """Email the providers on Amparo, and tell the caseworker which ones they must call."""
    told = workflow.notify_providers(get_session(), referral=referral, inbox_url=site_url("inbox.index"))
    tracked = workflow.tracked_items(get_session(), referral=referral)
    if told:
        flash(_("Referral sent. The providers on Amparo have been told by email (without the client's details)."))
    if tracked:
        flash(_("Not on Amparo yet: call them; the slip gives your client the details. You set their status here."))


def _client_details(form: ReferralForm) -> workflow.ClientDetails:
    return workflow.ClientDetails(
        alias=(form.alias.data or "").strip(),
        phone=(form.phone.data or "").strip(),
        email=(form.email.data or "").strip(),
        consent=bool(form.consent.data),
        note=(form.note.data or "").strip(),
    )


def _own_referral(referral_id: str):
    referral = referral_for_caseworker(get_session(), user=current_user, referral_id=referral_id)
    if referral is None:
        abort(404)
    return referral


@bp.get("/referrals/<referral_id>")
@caseworkers_only
def referral(referral_id: str):
    """One referral: the client's details, each provider's status and history, the slip, erase and close."""
    return _referral_page(_own_referral(referral_id))


def _referral_page(referral, status: int = 200, erase_form: EraseForm | None = None):
    view = workflow.referral_detail(
        get_session(), referral=referral, stale_days=current_app.config["REFERRAL_STALE_DAYS"]
    )
    return _page(
        "work_referral.html",
        status,
        view=view,
        slip_url=url_for("slip.print_slip", referral_id=referral.id),
        action_form=ActionForm(),
        erase_form=erase_form or EraseForm(),
        caseworker_statuses=workflow.CASEWORKER_STATUSES,
        invitations=invite.invitation_view(get_session(), items=[entry.item for entry in view.items]),
    )


@bp.post("/referrals/<referral_id>/items/<item_id>/invite")
@caseworkers_only
def invite_provider(referral_id: str, item_id: str):
    """Email a provider not on Amparo (its public email only, no client data) an invitation to join."""
    referral = _own_referral(referral_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        provider = invite.invite_provider(get_session(), caseworker=current_user, referral=referral, item_id=item_id)
    except LookupError:
        abort(404)
    except invite.NoPublicEmail:
        flash(_("No public email listed: invite them by phone."))
        return _referral_page(referral, 400)
    except invite.AlreadyInvited as already:
        flash(_("An invitation was already sent on %(date)s.", date=already.at.date().isoformat()))
        return redirect(url_for(".referral", referral_id=referral.id))
    flash(_("Invitation sent to %(organization)s.", organization=provider.name))
    return redirect(url_for(".referral", referral_id=referral.id))


@bp.post("/referrals/<referral_id>/items/<item_id>/status")
@caseworkers_only
def tracked_status(referral_id: str, item_id: str):
    """Set the status of a provider the caseworker follows up themselves (not on Amparo)."""
    referral = _own_referral(referral_id)
    form = TrackedStatusForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        workflow.set_tracked_status(
            get_session(), caseworker=current_user, referral=referral, item_id=item_id, status=form.status.data
        )
    except LookupError:
        abort(404)
    except workflow.ReferralError as error:
        flash(error.message)
        return _referral_page(referral, 400)
    flash(_("Status saved: %(status)s.", status=STATUS_LABELS[form.status.data]))
    return redirect(url_for(".referral", referral_id=referral.id))


@bp.post("/referrals/<referral_id>/erase")
@caseworkers_only
def erase(referral_id: str):
    """Erase the client's details at once (the box must be checked); statuses and dates stay."""
    referral = _own_referral(referral_id)
    form = EraseForm()
    if not form.validate_on_submit():
        return _referral_page(referral, 400, form)
    workflow.erase_now(get_session(), referral=referral)
    flash(_("The client's details are erased."))
    return redirect(url_for(".referral", referral_id=referral.id))


@bp.post("/referrals/<referral_id>/close")
@caseworkers_only
def close(referral_id: str):
    """Close a referral: no more follow-up; the client's details are erased after the retention time."""
    referral = _own_referral(referral_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    workflow.close_referral(get_session(), referral=referral)
    flash(_("Referral closed."))
    return redirect(url_for(".referral", referral_id=referral.id))


@bp.get("/dashboard")
@caseworkers_only
def dashboard():
    """The agency's referrals, newest first, with those waiting too long for an update marked."""
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    views, total = workflow.dashboard(
        get_session(), agency_id=g.agency_id, stale_days=current_app.config["REFERRAL_STALE_DAYS"], page=page
    )
    pages = max((total + workflow.DASHBOARD_PAGE_SIZE - 1) // workflow.DASHBOARD_PAGE_SIZE, 1)
    email_form = EmailChoiceForm(formdata=None, referral_emails=current_user.referral_emails)
    return _page("work_dashboard.html", views=views, total=total, page=page, pages=pages, email_form=email_form)


@bp.post("/emails")
@caseworkers_only
def email_choice():
    """Choose an email for each status change, or one a day."""
    form = EmailChoiceForm()
    if not form.validate_on_submit() or form.referral_emails.data not in notices.EMAIL_CHOICES:
        abort(400)
    notices.set_email_choice(get_session(), user=current_user, choice=form.referral_emails.data)
    flash(_("Saved. You will get an email for each change.") if form.referral_emails.data == "each"
          else _("Saved. You will get one email a day."))  # fmt: skip
    return redirect(url_for(".dashboard"))


@bp.get("/reports")
@caseworkers_only
def report():
    """Anonymous counts of the agency's referrals, per provider (no client fields)."""
    return render_template(
        "referrals/report.html",
        report=referral_report(get_session(), agency_id=g.agency_id),
        csv_url=url_for(".report_download"),
        title=_("Your agency's referrals"),
        nav="referrals/work_nav.html",
    )


@bp.get("/reports.csv")
@caseworkers_only
def report_download():
    """The same report as a CSV file."""
    found = referral_report(get_session(), agency_id=g.agency_id)
    return Response(
        report_csv(found),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="agency-referrals-report.csv"'},
    )
