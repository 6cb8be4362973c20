"""Logging without a person's data: request lines lose their query strings (places, needs) and the
one-time tokens in their paths (password-reset and invitation links). gunicorn.conf.py uses the same rules.
"""

import logging
import re

from flask import Flask

QUERY = re.compile(r"\?\S*")
# Paths whose last part is a secret: whoever reads the log could use the link.
TOKEN_PATH = re.compile(r"(/account/(?:reset|invitations)/)[^/?\s]+")


def safe_path(path: str) -> str:
    """Return a request path (or request line) without its query string and without one-time tokens."""
    return TOKEN_PATH.sub(r"\1[token]", QUERY.sub("", path))


class DropQueryStrings(logging.Filter):
    """Remove query strings and tokens from werkzeug's request lines ("GET /search?location=... HTTP/1.1")."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and isinstance(record.args, tuple):
            record.args = tuple(safe_path(arg) if isinstance(arg, str) else arg for arg in record.args)
        return True


def register(_app: Flask) -> None:
    """Install the filter on the development server's request log (gunicorn keeps no access log unless asked)."""
    werkzeug = logging.getLogger("werkzeug")
    if not any(isinstance(f, DropQueryStrings) for f in werkzeug.filters):
        werkzeug.addFilter(DropQueryStrings())
