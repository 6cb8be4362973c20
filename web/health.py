"""Health routes for load balancers and uptime checks, public and never rate-limited.

``/healthz``: can this server take traffic (is the database reachable and fully migrated)?
``/livez``: is this process alive and answering? No database, no session, no cookie: a load balancer
may ask it every second, and a database outage does not make every worker look dead (restarting
them would not help). It is also the bare route the HTTP benchmark (bench/http_bench.py) compares
the search routes with.
"""

from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy.exc import SQLAlchemyError

from extensions import limiter
from models import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """Answer 200 when this server can take traffic, 503 (with the reason) when it cannot."""
    try:
        migrations = db.migration_state(db.get_engine())
    except SQLAlchemyError:
        current_app.logger.warning("Health check: the database cannot be reached")
        return jsonify({"status": "error", "database": "unreachable"}), 503
    if migrations != "current":  # "behind": run flask db-upgrade; "unknown": a newer release migrated it
        return jsonify({"status": "error", "database": "ok", "migrations": migrations}), 503
    return jsonify({"status": "ok", "database": "ok", "migrations": migrations})


@bp.get("/livez")
@limiter.exempt
def livez():
    """Answer 200 "ok" as long as this process serves requests (it touches nothing else)."""
    return Response("ok", mimetype="text/plain")
