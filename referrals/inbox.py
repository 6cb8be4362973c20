"""Provider pages (/manage/referrals): incoming referrals and their status; reports."""

from flask import Blueprint

bp = Blueprint("inbox", __name__, url_prefix="/manage/referrals")
