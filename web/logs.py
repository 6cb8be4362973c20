"""Logging without a person's data or secrets: request lines lose their query strings (places, needs)
and the tokens in invitation and password-reset links."""

import logging
import re

from flask import Flask

QUERY = re.compile(r"\?\S*")
# A token in a path is a key: whoever reads it in a log could accept the invitation or reset the password.
TOKEN_PATHS = re.compile(r"(/account/(?:invitations|reset)/)[^/\s?]+")


def scrub(text: str) -> str:
    """Return a request line without its query string and without the token of a link sent by email."""
    return TOKEN_PATHS.sub(r"\1…", QUERY.sub("", text))


class DropQueryStrings(logging.Filter):
    """Remove query strings and link tokens from werkzeug's request lines ("GET /search?location=... HTTP/1.1")."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and isinstance(record.args, tuple):
            record.args = tuple(scrub(arg) if isinstance(arg, str) else arg for arg in record.args)
        return True


def register(_app: Flask) -> None:
    """Install the filter on the development server's request log (gunicorn keeps no access log unless asked)."""
    werkzeug = logging.getLogger("werkzeug")
    if not any(isinstance(f, DropQueryStrings) for f in werkzeug.filters):
        werkzeug.addFilter(DropQueryStrings())
