"""Logging without a person's data: request lines lose their query strings (places, needs)."""

import logging
import re

from flask import Flask

QUERY = re.compile(r"\?\S*")


class DropQueryStrings(logging.Filter):
    """Remove query strings from werkzeug's request lines ("GET /search?location=... HTTP/1.1")."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and isinstance(record.args, tuple):
            record.args = tuple(QUERY.sub("", arg) if isinstance(arg, str) else arg for arg in record.args)
        return True


def register(_app: Flask) -> None:
    """Install the filter on the development server's request log (gunicorn keeps no access log unless asked)."""
    werkzeug = logging.getLogger("werkzeug")
    if not any(isinstance(f, DropQueryStrings) for f in werkzeug.filters):
        werkzeug.addFilter(DropQueryStrings())
