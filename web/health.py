"""``/healthz`` for load balancers and uptime checks: is the database reachable and fully migrated?

Public and never rate-limited; it tells nothing about the directory or its visitors.
"""

from flask import Blueprint, current_app, jsonify
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
