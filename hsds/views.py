"""/api/hsds: the directory as Open Referral HSDS 3.0 (read-only)."""

import json

from flask import Blueprint, Response, jsonify, request
from sqlalchemy import select
from sqlmodel import Session

from api.errors import api_error
from hsds import query
from hsds.serialize import Loader, taxonomy_json, term_json
from models import Location, Organization, Service, ServiceAtLocation, Taxonomy, TaxonomyTerm
from models.db import get_engine, get_session
from web.translate import gettext as _
from web.urls import site_url

bp = Blueprint("hsds", __name__, url_prefix="/api/hsds")

HSDS_PROFILE = "https://openreferral.org/"
NDJSON_CHUNK = 500


@bp.errorhandler(query.BadParameter)
def bad_parameter(error: query.BadParameter):
    return api_error(400, str(error))


@bp.get("/")
def index():
    """Say which HSDS version and profile this API speaks."""
    return jsonify(
        {"version": "3.0", "profile": HSDS_PROFILE, "openapi_url": site_url("hsds_docs.openapi")}
    )


@bp.get("/services")
def services():
    """List published services (one page, or every one as NDJSON)."""
    params = query.parse_params(request.args)
    select_services = query.services_query(params)
    if params.ndjson:
        ids = _ids(select_services, Service.id)
        return _ndjson(Service, ids, lambda session, rows: Loader(session).services(rows, full=True))
    rows, total = query.page_of(get_session(), select_services, params)
    if params.minimal:
        contents = [{"id": s.id, "last_modified": s.last_modified.isoformat()} for s in rows]
    else:
        contents = Loader(get_session()).services(rows, full=params.full)
    return jsonify(query.page_json(contents, total, params))


@bp.get("/services/<service_id>")
def service(service_id: str):
    """Return one fully nested service."""
    found = get_session().execute(query.services_query(query.Params()).where(Service.id == service_id)).scalar()
    if found is None:
        return api_error(404, _("No published service has this id."))
    return jsonify(Loader(get_session()).services([found], full=True)[0])


@bp.get("/organizations")
def organizations():
    """List published organizations."""
    params = query.parse_params(request.args)
    if params.ndjson:
        ids = _ids(query.organizations_query(params), Organization.id)
        return _ndjson(Organization, ids, lambda session, rows: Loader(session).organizations(
            rows, full=params.full, full_service=params.full_service))  # fmt: skip
    rows, total = query.page_of(get_session(), query.organizations_query(params), params)
    contents = Loader(get_session()).organizations(rows, full=params.full, full_service=params.full_service)
    return jsonify(query.page_json(contents, total, params))


@bp.get("/organizations/<organization_id>")
def organization(organization_id: str):
    """Return one fully nested organization."""
    params = query.parse_params(request.args)
    found = get_session().get(Organization, organization_id)
    if found is None or found.status != "published":
        return api_error(404, _("No published organization has this id."))
    return jsonify(Loader(get_session()).organizations([found], full=True, full_service=params.full_service)[0])


@bp.get("/service_at_locations")
def service_at_locations():
    """List services at their locations, near a postcode or a point when asked."""
    params = query.parse_params(request.args)
    session = get_session()
    selected, circle = query.service_at_locations_query(session, params)
    if circle:
        candidates = session.execute(selected.add_columns(Location)).all()
        kept = [sal for sal, location in candidates if query.within(circle, location)]
        if params.ndjson:
            return _ndjson_of_sals([sal.id for sal in kept], params)
        start = (params.page - 1) * params.per_page
        rows, total = kept[start : start + params.per_page], len(kept)
    elif params.ndjson:
        return _ndjson_of_sals(_ids(selected, ServiceAtLocation.id), params)
    else:
        rows, total = query.page_of(session, selected, params)
    contents = Loader(session).service_at_locations(rows, full=params.full)
    return jsonify(query.page_json(contents, total, params))


@bp.get("/service_at_locations/<sal_id>")
def service_at_location(sal_id: str):
    """Return one fully nested service at a location."""
    session = get_session()
    published = query.services_query(query.Params()).with_only_columns(Service.id).order_by(None)
    found = session.execute(
        select(ServiceAtLocation).where(ServiceAtLocation.id == sal_id, ServiceAtLocation.service_id.in_(published))
    ).scalar()
    if found is None:
        return api_error(404, _("No published service at location has this id."))
    return jsonify(Loader(session).service_at_locations([found], full=True)[0])


@bp.get("/taxonomies")
def taxonomies():
    """List the taxonomies."""
    params = query.parse_params(request.args)
    if params.ndjson:
        ids = _ids(query.taxonomies_query(params), Taxonomy.id)
        return _ndjson(Taxonomy, ids, lambda _session, rows: [taxonomy_json(t) for t in rows])
    rows, total = query.page_of(get_session(), query.taxonomies_query(params), params)
    return jsonify(query.page_json([taxonomy_json(t) for t in rows], total, params))


@bp.get("/taxonomies/<taxonomy_id>")
def taxonomy(taxonomy_id: str):
    """Return one taxonomy."""
    found = get_session().get(Taxonomy, taxonomy_id)
    if found is None:
        return api_error(404, _("No taxonomy has this id."))
    return jsonify(taxonomy_json(found))


@bp.get("/taxonomy_terms")
def taxonomy_terms():
    """List taxonomy terms."""
    params = query.parse_params(request.args)
    if params.ndjson:
        ids = _ids(query.terms_query(params), TaxonomyTerm.id)
        return _ndjson(TaxonomyTerm, ids, lambda _session, rows: [term_json(t) for t in rows])
    rows, total = query.page_of(get_session(), query.terms_query(params), params)
    return jsonify(query.page_json([term_json(t) for t in rows], total, params))


@bp.get("/taxonomy_terms/<term_id>")
def taxonomy_term(term_id: str):
    """Return one taxonomy term."""
    found = get_session().get(TaxonomyTerm, term_id)
    if found is None:
        return api_error(404, _("No taxonomy term has this id."))
    return jsonify(term_json(found))


def _ids(selected, id_column) -> list[str]:
    """Return the ids a list query selects, in its order."""
    return list(get_session().execute(selected.with_only_columns(id_column)).scalars())


def _ndjson_of_sals(ids: list[str], params: query.Params) -> Response:
    return _ndjson(ServiceAtLocation, ids, lambda session, rows: Loader(session).service_at_locations(
        rows, full=params.full))  # fmt: skip


def _ndjson(model, ids: list[str], render) -> Response:
    """Stream every listed record, one JSON object per line (``format=ndjson`` on every list endpoint).

    The stream outlives the request (and its session), so it reads through a session of its own.
    """
    engine = get_engine()

    def lines():
        with Session(engine) as session:
            for start in range(0, len(ids), NDJSON_CHUNK):
                chunk = ids[start : start + NDJSON_CHUNK]
                rows = {r.id: r for r in session.execute(select(model).where(model.id.in_(chunk))).scalars()}
                for item in render(session, [rows[i] for i in chunk if i in rows]):
                    yield json.dumps(item, ensure_ascii=False) + "\n"

    return Response(lines(), mimetype="application/x-ndjson")
