"""Caseworker pages (/work): workspace, saved lists, referrals, dashboard."""

from flask import Blueprint

bp = Blueprint("referrals", __name__, url_prefix="/work")
