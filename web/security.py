"""Response headers that keep seekers safe (a strict CSP, no referrer, no caching of searches), and no NUL."""

from flask import Flask, abort, current_app, request
from flask.wrappers import Response


def content_security_policy() -> str:
    """Return the CSP: our own origin only; map tiles only from a server an operator configured."""
    images = "'self' data:"
    tile_origin = current_app.config.get("MAP_TILE_ORIGIN")
    if tile_origin:
        images += f" {tile_origin}"
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        f"img-src {images}; font-src 'self'; connect-src 'self'; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


def add_security_headers(response: Response) -> Response:
    """Set the safety headers on every response."""
    response.headers.setdefault("Content-Security-Policy", content_security_policy())
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Permissions-Policy"] = "geolocation=(self), camera=(), microphone=(), interest-cohort=()"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if request.endpoint and not request.endpoint.startswith("static") and "Cache-Control" not in response.headers:
        # A shared or family device must not show someone's searches from its cache.
        response.headers["Cache-Control"] = "no-store"
    return response


def refuse_nul_characters() -> None:
    """Answer 400 to a request whose query or form holds a NUL character.

    No one types one; PostgreSQL cannot store or compare one, so it would end in a 500 deep inside a
    query (schemathesis found /api/hsds/taxonomies?search=%00).
    """
    values = [value for _, value in request.args.items(multi=True)]
    if request.method == "POST":
        values += [value for _, value in request.form.items(multi=True)]
    if any("\x00" in value for value in values) or "\x00" in request.path:
        abort(400)


def register(app: Flask) -> None:
    """Install the headers, and refuse NUL characters before any view reads them."""
    app.before_request(refuse_nul_characters)
    app.after_request(add_security_headers)
