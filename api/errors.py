"""Error answers: JSON with a message under /api, a page in the seeker's language elsewhere.

Never a bare 500: an unexpected error is logged (without the person's data) and answered plainly.
"""

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, SecurityError

from web.translate import gettext as _


def api_error(status: int, message: str, **extra):
    """Return a JSON error response."""
    return jsonify({"error": {"status": status, "message": message, **extra}}), status


def register(app: Flask) -> None:
    """Install the error handlers."""

    @app.errorhandler(CSRFError)
    def csrf_error(_error: CSRFError):
        message = _(
            "This form was open too long or came from another site. Please go back, reload the page and try again."
        )
        return render_template("errors/error.html", status=400, message=message), 400

    @app.errorhandler(SecurityError)
    def untrusted_host(_error: SecurityError):
        # A Host header the site does not answer to: no page (its links would be built on that host).
        return _http_message(400), 400, {"Content-Type": "text/plain; charset=utf-8"}

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        code = error.code or 500
        if request.path.startswith("/api/"):
            return api_error(code, _http_message(code))
        template = "errors/404.html" if code == 404 else "errors/error.html"
        return render_template(template, status=code, message=_http_message(code)), code

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        app.logger.exception("Unhandled error on %s", request.endpoint)
        message = _("Something went wrong on our side. Please try again.")
        if request.path.startswith("/api/"):
            return api_error(500, message)
        return render_template("errors/500.html", status=500, message=message), 500


def _http_message(code: int | None) -> str:
    messages = {
        400: _("Something in this request is not right. Please go back and try again."),
        404: _("We could not find this page. It may have moved, or the listing may have been removed."),
        405: _("This method is not allowed here."),
        429: _("Too many requests. Please wait a moment and try again."),
    }
    return messages.get(code or 500, _("The request could not be handled."))
