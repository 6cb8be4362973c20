"""/api/v1: search and the need taxonomy."""

from flask import Blueprint, current_app, jsonify, request

from api.errors import api_error
from api.forms import SearchForm
from matching.needs import get_taxonomy
from web.guidance import detention_steps, serialize_steps
from web.search import SearchProblem, run_search
from web.translate import gettext
from web.words import lang

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.get("/search")
def search():
    """Search services near a place, for a need, with filters."""
    form = SearchForm(formdata=request.args)
    if not form.validate():
        return api_error(
            400, _first_error(form), fields={name: [str(e) for e in errs] for name, errs in form.errors.items()}
        )
    try:
        return jsonify(run_search(form, current_app.config))
    except SearchProblem as problem:
        return api_error(problem.status, problem.message, suggestions=problem.suggestions)


@bp.get("/needs")
def needs():
    """Return the need taxonomy with labels in the requested language."""
    return jsonify({"language": lang(), "needs": get_taxonomy().tree(gettext)})


@bp.get("/guidance/detained")
def detained_guidance():
    """Return what to do now when someone was detained, from official sources, in the requested language."""
    return jsonify({"language": lang(), "code": "detained", "steps": serialize_steps(detention_steps())})


def _first_error(form: SearchForm) -> str:
    for name, errors in form.errors.items():
        return f"{form[name].label.text}: {errors[0]}"
    return ""
