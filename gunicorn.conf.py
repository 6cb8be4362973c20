"""Production server settings: `gunicorn` in this folder reads them (README, "Production").

Preloaded app, threaded workers sized to the machine's cores, and an access log that carries no
person's data: no query strings (searched places and needs), no one-time tokens, no IP addresses,
no referrers. Override any setting on the command line or with GUNICORN_CMD_ARGS.
"""

import os

from gunicorn.glogging import Logger

from web.logs import safe_path

wsgi_app = "app:create_app()"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")  # behind a reverse proxy (AMPARO_PROXY_HOPS=1)
# Build the app once in the master, then fork: less memory, and a bad setting stops the start at once.
preload_app = True
worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS") or (os.cpu_count() or 1) + 1)
threads = int(os.environ.get("GUNICORN_THREADS") or 4)
timeout = 30
graceful_timeout = 30
accesslog = "-"
errorlog = "-"
# Time, method, path (no query string: %(U)s, not %(r)s), status, size, milliseconds. No %(h)s (the address).
access_log_format = '%(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'
forwarded_allow_ips = "127.0.0.1,::1"


class PrivateAccessLogger(Logger):
    """gunicorn's logger, with every atom that could carry a person's data or a secret blanked."""

    def atoms(self, resp, req, environ, request_time):
        found = super().atoms(resp, req, environ, request_time)
        path = safe_path(environ.get("PATH_INFO") or "")
        found.update(
            h="-", q="-", f="-", U=path, r=f"{environ.get('REQUEST_METHOD')} {path} {environ.get('SERVER_PROTOCOL')}"
        )
        return found


logger_class = PrivateAccessLogger


def post_fork(_server, worker):
    """Give each worker its own database connections (the preloaded engine's pool must not be shared)."""
    app = worker.app.wsgi()
    engine = app.extensions.get("amparo.engine")
    if engine is not None:
        engine.dispose(close=False)
