"""Open Referral HSDS 3.0: the read-only API, our OpenAPI document, import and export.

``register`` mounts the blueprints and gives every JSON API (/api/v1 and /api/hsds) the same
manners: weak ETags and Last-Modified with 304 answers, CORS for GET, and one rate limit.
"""

import hashlib
from functools import cache

from flask import Flask, Response, current_app, g, request
from sqlalchemy import func, select, union_all

from extensions import limiter

API_BLUEPRINTS = ("api", "hsds", "hsds_docs")


def _api_rate_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


# One Limit object shared by the API blueprints (made once, so that building several apps adds it once).
_api_limit = limiter.shared_limit(_api_rate_limit, scope="api")


def register(app: Flask) -> None:
    """Mount the HSDS API and the API docs, and install the API manners."""
    from api.views import bp as api_bp
    from hsds.openapi import bp as docs_bp
    from hsds.views import bp as hsds_bp

    for blueprint in (api_bp, hsds_bp, docs_bp):
        _api_limit(blueprint)
    app.register_blueprint(hsds_bp)
    app.register_blueprint(docs_bp)
    app.after_request(api_manners)


@cache
def _newest_change():
    """Build the query once: building it took longer than running it (issue #14)."""
    from models import Organization, Service

    newest = union_all(select(func.max(Service.last_modified)), select(func.max(Organization.last_modified)))
    return select(func.max(newest.subquery().c[0]))


def directory_last_modified():
    """Return when any published organization or service last changed (None for an empty directory).

    One round trip: the newest of both tables, each read from the end of its last_modified index. A
    search already read the directory's version: the answer is then kept for that version (every
    change to a listing bumps it), and a search answered from the results cache reads nothing more.
    """
    from models.db import get_session

    session = get_session()
    if g.get("index_version") is None:
        return session.execute(_newest_change()).scalar()
    memo = current_app.extensions["amparo.facts"]
    read = memo.read(
        g.index_version, "last_modified", [None], lambda _: {None: session.execute(_newest_change()).scalar()}
    )
    return read[None]


def api_manners(response: Response) -> Response:
    """Add CORS, ETag and Last-Modified to API answers to GET, and answer 304 when nothing changed."""
    if request.blueprint not in API_BLUEPRINTS or request.method not in ("GET", "HEAD"):
        return response
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.vary.add("Accept-Language")
    if response.status_code != 200:
        return response
    modified = directory_last_modified()
    if modified is not None:
        response.last_modified = modified.replace(microsecond=0)
    if response.is_streamed:
        return response
    response.set_etag(hashlib.sha256(response.get_data()).hexdigest()[:32], weak=True)
    return response.make_conditional(request)
