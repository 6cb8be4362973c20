"""The referral slip a client carries (printable, in the client's language) and the public status lookup by code."""

from flask import Blueprint

bp = Blueprint("slip", __name__)
