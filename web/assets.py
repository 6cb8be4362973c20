"""How pages and files travel: compressed, and static files under fingerprinted URLs.

``url_for("static", filename=...)`` adds ``?v=<content hash>``; a request that carries the file's
current hash may be cached for a year (the URL changes when the file does). Anything else keeps
Flask's ``no-cache``. Pages keep their own rules (web.security: ``no-store``).
"""

import hashlib
from pathlib import Path

from flask import Flask, current_app, has_request_context, request, url_for
from flask.wrappers import Response
from flask_login import current_user

from extensions import compress

IMMUTABLE = "public, max-age=31536000, immutable"


def fingerprints(folder: str | None) -> dict[str, str]:
    """Return a short content hash for every file under the static folder, by its URL path."""
    if not folder or not Path(folder).is_dir():
        return {}
    root = Path(folder)
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def add_fingerprint(endpoint: str, values: dict) -> None:
    """Give static URLs their file's hash (not in debug, where files change while the server runs)."""
    if endpoint != "static" or "v" in values or current_app.debug:
        return
    version = current_app.extensions["amparo.static_versions"].get(values.get("filename", ""))
    if version:
        values["v"] = version


def static_url(filename: str) -> str:
    """Return ``url_for("static", filename=filename)``, built once per request and file.

    A results page links the icon sprite some forty times; building the same URL again each time
    was a tenth of the page (issue #14). Templates call it as ``static_url('icons.svg')``.
    """
    if not has_request_context():
        return url_for("static", filename=filename)
    built = request.environ.setdefault("amparo.static_urls", {})  # this request's, whatever the app context
    if filename not in built:
        built[filename] = url_for("static", filename=filename)
    return built[filename]


def cache_fingerprinted(response: Response) -> Response:
    """Let browsers keep a static file for a year when its URL carries its current hash."""
    if request.endpoint != "static" or response.status_code not in (200, 304):
        return response
    filename = (request.view_args or {}).get("filename", "")
    version = current_app.extensions["amparo.static_versions"].get(filename)
    if version and request.args.get("v") == version:
        response.headers["Cache-Control"] = IMMUTABLE
    return response


def compress_response(response: Response) -> Response:
    """Compress text answers (Flask-Compress), except pages for signed-in staff.

    Staff pages carry CSRF tokens and clients' details next to text a visitor may have typed:
    compressing those would let an observer guess secrets from sizes (the BREACH attack).
    Static files hold no secret: they are compressed for everyone.
    """
    if request.endpoint == "static":
        if response.status_code == 200 and response.mimetype in current_app.config["COMPRESS_MIMETYPES"]:
            # Read the (small) file so it is compressed whole, with a Content-Length; the file is closed
            # with the response. Streams are never compressed (COMPRESS_STREAMS off).
            response.direct_passthrough = False
            response.make_sequence()
    elif current_user and current_user.is_authenticated:
        return response
    return compress.after_request(response)


def register(app: Flask) -> None:
    """Hash the static files, fingerprint their URLs, and compress answers."""
    app.extensions["amparo.static_versions"] = fingerprints(app.static_folder)
    app.url_defaults(add_fingerprint)
    app.jinja_env.globals["static_url"] = static_url
    compress.init_app(app)
    # Registered before the security headers and the API's ETags, so it runs after them: it compresses
    # the final body.
    app.after_request(compress_response)
    app.after_request(cache_fingerprinted)
