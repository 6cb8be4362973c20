"""Pages for people looking for help. Every page works without JavaScript and sets no cookie,
except the language cookie when a person picks a language, and the report form's CSRF cookie."""

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for

from api.forms import SearchForm
from extensions import limiter
from finder.forms import ReportForm, TranslationReportForm
from finder.listing import load_listing
from finder.reports import file_report, page_path
from models.db import get_session
from web.guidance import DETENTION_NEED, detention_steps, serialize_steps
from web.languages import site_code
from web.search import SearchProblem, run_search
from web.urls import same_site_path
from web.words import labelled_hours

bp = Blueprint("finder", __name__)


@bp.get("/")
def start():
    """The start page: where are you, what do you need."""
    return render_template("finder/start.html", form=SearchForm(formdata=request.args or None))


@bp.get("/search")
def search():
    """The results page; the same parameters as /api/v1/search."""
    form = SearchForm(formdata=request.args)
    if not form.validate():
        return render_template("finder/start.html", form=form), 400
    try:
        results = run_search(form, current_app.config)
    except SearchProblem as problem:
        return render_template(
            "finder/results.html", form=form, problem=problem, results=None, active_filters=0
        ), problem.status
    return render_template(
        "finder/results.html",
        form=form,
        results=results,
        problem=None,
        show_map=request.args.get("view") == "map",
        active_filters=active_filters(form),
    )


def active_filters(form: SearchForm) -> int:
    """Count the filters a person has turned on."""
    default_radius = current_app.config["SEARCH_DEFAULT_RADIUS_KM"]
    values = [
        form.language.data,
        form.cost.data,
        form.credential.data,
        form.delivery.data,
        form.accepting.data,
        form.open_now.data,
        form.radius_km.data not in (None, default_radius) or form.radius_mi.data is not None,
    ]
    return sum(1 for value in values if value)


@bp.get("/provider/<service_id>")
def provider(service_id: str):
    """Everything a person needs to act on one listing."""
    listing = load_listing(get_session(), service_id)
    if listing is None:
        abort(404)
    return render_template("finder/provider.html", listing=listing, hours=labelled_hours(listing))


@bp.route("/provider/<service_id>/report", methods=["GET", "POST"])
@limiter.limit("5 per hour; 20 per day", methods=["POST"])
def report(service_id: str):
    """Report a problem with a listing: no account, no personal data."""
    listing = load_listing(get_session(), service_id)
    if listing is None:
        abort(404)
    form = ReportForm()
    if form.validate_on_submit():
        file_report(get_session(), service_id=service_id, kind=form.kind.data, message=form.message.data or "")
        return render_template("finder/report_thanks.html", listing=listing)
    return render_template("finder/report.html", listing=listing, form=form), 400 if form.errors else 200


@bp.route("/report/translation", methods=["GET", "POST"])
@limiter.limit("5 per hour; 20 per day", methods=["POST"])
def report_translation():
    """Report a translation problem on any page: no account; the page's path and the language come along."""
    form = TranslationReportForm(page=request.args.get("page"), language=request.args.get("lang"))
    if form.validate_on_submit():
        file_report(
            get_session(),
            service_id=None,
            kind="translation",
            message=form.message.data,
            page=form.page.data,
            language=site_code(form.language.data),
        )
        return render_template("finder/report_thanks.html", listing=None, page=page_path(form.page.data))
    back = page_path(form.page.data)
    return render_template("finder/report_translation.html", form=form, back=back), 400 if form.errors else 200


@bp.get("/my-list")
def my_list():
    """Saved providers: kept in this browser only (localStorage), never on our server."""
    return render_template("finder/my_list.html")


@bp.get("/privacy")
def privacy():
    return render_template("pages/privacy.html")


@bp.get("/help/credentials")
def credentials():
    return render_template("pages/credentials.html")


@bp.get("/help/detained")
def detained():
    """What to do now when someone was detained by immigration: official steps, then help near you."""
    steps = serialize_steps(detention_steps())
    sources = list({source["url"]: source for step in steps for source in step["sources"]}.values())
    return render_template("pages/detained.html", steps=steps, sources=sources, need=DETENTION_NEED)


@bp.get("/language/<code>")
def choose_language(code: str):
    """Remember the language a person picked (the only cookie a seeker gets), then go back."""
    code = site_code(code)
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    response = redirect(same_site_path(request.args.get("next"), default=url_for("finder.start")))
    # Not HttpOnly: Quick exit deletes it in the browser when a person asked it to (it holds only a language code).
    secure = request.is_secure or bool(current_app.config["HTTPS"])  # behind a proxy the request itself may be http
    response.set_cookie("lang", code, max_age=365 * 24 * 3600, samesite="Lax", httponly=False, secure=secure)
    return response
