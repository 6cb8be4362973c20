"""Public referral pages: the printable slip and the status lookup by code (no account)."""

from flask import Blueprint

bp = Blueprint("referral_public", __name__, url_prefix="/referral")
