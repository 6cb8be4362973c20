"""Addresses: safe redirects (only to paths on this site) and full links for emails."""

from urllib.parse import urlsplit

from flask import current_app, url_for


def same_site_path(target: str | None, *, default: str) -> str:
    """Return ``target`` when it is a path on this site, else ``default`` (no open redirects)."""
    target = target or ""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    return target


def site_url(endpoint: str, **values) -> str:
    """Return a full address for an email (https when the site says it is served over HTTPS)."""
    scheme = "https" if current_app.config["HTTPS"] else None
    return url_for(endpoint, _external=True, _scheme=scheme, **values)
