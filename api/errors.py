"""Error answers: JSON with a message under /api, a plain page elsewhere; never a bare 500."""

from flask import Flask, jsonify, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException


def api_error(status: int, message: str, **extra):
    """Return a JSON error response."""
    return jsonify({"error": {"status": status, "message": message, **extra}}), status


def register(app: Flask) -> None:
    """Install the error handlers."""

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if request.path.startswith("/api/"):
            return api_error(error.code or 500, _http_message(error.code))
        return error

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        app.logger.exception("Unhandled error on %s", request.endpoint)
        if request.path.startswith("/api/"):
            return api_error(500, _("Something went wrong on our side. Please try again."))
        return _("Something went wrong on our side. Please try again."), 500


def _http_message(code: int | None) -> str:
    messages = {
        404: _("Not found."),
        405: _("This method is not allowed here."),
        429: _("Too many requests. Please wait a moment and try again."),
    }
    return messages.get(code or 500, _("The request could not be handled."))
