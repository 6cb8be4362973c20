"""Amparo: a referral directory that matches immigrants with legal, mental-health and victim support.

``create_app`` reads like a table of contents: settings, database, extensions, blueprints,
error handlers and commands. Production: ``gunicorn 'app:create_app()'``.
"""

import os
from urllib.parse import urlsplit

from flask import Flask

from config import (
    Config,
    database_url,
    development_site_url,
    instance_referral_key,
    instance_secret_key,
    trusted_hosts,
)


def create_app(config: type | dict | None = None) -> Flask:
    """Build the application."""
    app = Flask(__name__, instance_relative_config=True)
    configure(app, config)
    register_database(app)
    trust_proxies(app)
    register_extensions(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_commands(app)
    warm_up(app)
    return app


def configure(app: Flask, config: type | dict | None) -> None:
    """Load defaults, then the given config, then AMPARO_* environment variables."""
    app.config.from_object(Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    app.config.from_prefixed_env("AMPARO")
    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if app.config.get(key) is None:  # Secure cookies when the site says it is served over HTTPS
            app.config[key] = bool(app.config["HTTPS"])
    configure_site_address(app)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = instance_secret_key(app.instance_path)
    if not app.config["REFERRAL_KEYS"]:
        app.config["REFERRAL_KEYS"] = instance_referral_key(app.instance_path)
    app.json.sort_keys = False


def configure_site_address(app: Flask) -> None:
    """Fix the public address every emailed, printed or QR link uses, and the hosts the site answers to.

    Links never follow the request's Host header: a forged one would send password-reset links to
    another site. Production (not debug, not testing) refuses to start without AMPARO_SITE_URL.
    """
    site_url = app.config.get("SITE_URL")
    development = app.debug or app.testing
    if not site_url:
        if not development:
            raise RuntimeError(
                "Set AMPARO_SITE_URL to the public address of the site (e.g. https://amparo.example.org): "
                "links in emails, on referral slips and in QR codes are built from it."
            )
        site_url = development_site_url()
    if urlsplit(site_url).scheme not in ("http", "https") or not urlsplit(site_url).hostname:
        raise RuntimeError(f"AMPARO_SITE_URL must be an http:// or https:// address, not {site_url!r}.")
    app.config["SITE_URL"] = site_url.rstrip("/")
    if app.config.get("TRUSTED_HOSTS") is None:
        app.config["TRUSTED_HOSTS"] = trusted_hosts(site_url, local_too=development)


def register_database(app: Flask) -> None:
    """Build the engine from DATABASE_URL (or SQLite in instance/) and the per-request session."""
    from models import db

    url = database_url(app.config, app.instance_path)
    if url.startswith("sqlite:///") and not app.config.get("ENGINE"):
        owner_only(url.removeprefix("sqlite:///"))
    engine = app.config.get("ENGINE") or db.make_engine(url, schema=app.config.get("DATABASE_SCHEMA"))
    db.init_app(app, engine)


def trust_proxies(app: Flask) -> None:
    """Read the visitor's address and scheme from AMPARO_PROXY_HOPS reverse proxies (none by default).

    Without it, behind a proxy every visitor has the proxy's address and shares one rate limit; with
    it set when there is no proxy, anyone could pick their address with an X-Forwarded-For header.
    """
    hops = int(app.config.get("PROXY_HOPS") or 0)
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)


def owner_only(path: str) -> None:
    """Create the SQLite file readable by its owner only (like the key files), or make it so.

    SQLite gives its -wal and -shm files the permissions of the database file.
    """
    if path in ("", ":memory:"):
        return
    if not os.path.exists(path):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    os.chmod(path, 0o600)


def register_extensions(app: Flask) -> None:
    """Bind Flask-Babel and friends (Flask-Login for staff), and build the geocoder chain (offline first)."""
    from accounts import init_login
    from extensions import babel, csrf, limiter
    from geo import build_geocoder
    from web import assets, cache, context, logs, security, translate
    from web.languages import configured_languages, select_locale

    configured_languages(app)
    babel.init_app(app, locale_selector=select_locale)
    translate.register(app)  # the templates' _() find the catalogue once per request
    csrf.init_app(app)
    limiter.init_app(app)
    init_login(app)
    assets.register(app)  # before security and the blueprints: Flask runs after_request hooks last-in first-out
    security.register(app)
    context.register(app)
    logs.register(app)
    cache.register(app)
    app.extensions["amparo.geocoder"] = build_geocoder(
        online=app.config["GEOCODER_ONLINE"] or None,
        user_agent=app.config["GEOCODER_USER_AGENT"],
        min_delay_seconds=float(app.config["GEOCODER_MIN_DELAY_SECONDS"]),
    )


def register_blueprints(app: Flask) -> None:
    """Mount the blueprints (HSDS API and API docs too, with ETags, CORS and rate limits on every API)."""
    from accounts.views import bp as accounts_bp
    from api.views import bp as api_bp
    from finder.views import bp as finder_bp
    from hsds import register as register_hsds
    from listings.views import bp as listings_bp
    from referrals.inbox import bp as inbox_bp
    from referrals.slip import bp as slip_bp
    from referrals.views import bp as referrals_bp
    from web.health import bp as health_bp

    app.register_blueprint(finder_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(listings_bp)
    app.register_blueprint(referrals_bp)
    app.register_blueprint(inbox_bp)
    app.register_blueprint(slip_bp)
    register_hsds(app)
    app.register_blueprint(health_bp)


def register_error_handlers(app: Flask) -> None:
    """Answer errors as JSON under /api and as pages elsewhere."""
    from api.errors import register

    register(app)


def register_commands(app: Flask) -> None:
    """Add the ``flask`` commands (db upgrade, seed, users, listings, hsds export/import)."""
    from accounts.commands import users_cli
    from commands import register
    from hsds.commands import hsds_cli
    from listings.commands import listings_cli
    from referrals.commands import referrals_cli

    register(app)
    app.cli.add_command(users_cli)
    app.cli.add_command(listings_cli)
    app.cli.add_command(hsds_cli)
    app.cli.add_command(referrals_cli)


def warm_up(app: Flask) -> None:
    """Load data and compile templates now, so that a server's first search is not slow.

    Not for ``flask`` commands (migrations, seeding, cron jobs): they would wait seconds for nothing.
    """
    import click

    from web.warmup import warm_up as load_everything

    if app.config["WARM_UP"] and click.get_current_context(silent=True) is None:
        load_everything(app)
