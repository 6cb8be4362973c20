"""Addresses: safe redirects (only to paths on this site) and full links (from SITE_URL) for emails and print."""

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
    """Return a full address for an email, a slip or a QR code: always on SITE_URL, never the request's Host."""
    return public_url(url_for(endpoint, **values))


def public_url(path: str) -> str:
    """Return ``path`` (starting with /) as an absolute address on the public site (SITE_URL)."""
    return current_app.config["SITE_URL"].rstrip("/") + path
