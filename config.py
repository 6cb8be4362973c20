"""Settings: defaults for development, overrides from the environment (``AMPARO_*`` or plain names)."""

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent


class Config:
    """Default settings; every one can be set from the environment (see .env.example)."""

    # None: a random key is made once and kept in instance/secret_key (see app.configure).
    SECRET_KEY = None
    # SQLite in instance/ by default; PostgreSQL at scale (postgresql+psycopg://...).
    DATABASE_URL = None
    # Offline geocoding always; an online geopy geocoder only when an operator asks for it.
    GEOCODER_ONLINE = None  # "nominatim" to add Nominatim as a fallback
    GEOCODER_USER_AGENT = "amparo-directory"
    GEOCODER_MIN_DELAY_SECONDS = 1.0
    SEARCH_DEFAULT_RADIUS_KM = 50
    SEARCH_MAX_RADIUS_KM = 500
    SEARCH_PAGE_SIZE = 20
    # Quick exit: a neutral page that replaces ours (configurable per community).
    QUICK_EXIT_URL = "https://www.weather.gov/"
    # Map tiles: off by default (no third-party requests). Set both to use a tile server, e.g.
    # MAP_TILE_URL="https://tiles.example.org/{z}/{x}/{y}.png", MAP_TILE_ORIGIN="https://tiles.example.org".
    MAP_TILE_URL = None
    MAP_TILE_ORIGIN = None
    MAP_TILE_ATTRIBUTION = ""
    # Directions open in the person's own map service, only when they tap the link.
    DIRECTIONS_URL = "https://www.openstreetmap.org/directions?to={lat}%2C{lon}"
    WTF_CSRF_TIME_LIMIT = None
    # Is the site served over HTTPS? Off by default because `make run` serves plain http on
    # 127.0.0.1; turn it on in production (AMPARO_HTTPS=true). It makes the session and
    # remember-me cookies Secure, and the language cookie too.
    HTTPS = False
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SECURE = None  # None: follow HTTPS; true or false to decide on its own
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SECURE = None  # None: follow HTTPS
    # Where rate-limit counters live. "memory://" counts in each process (fine for `make run`); with
    # several workers (gunicorn -w N) every limit would be N times looser, so production uses one Redis:
    # AMPARO_RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379/0. Keys are keyed digests, never IP addresses.
    RATELIMIT_STORAGE_URI = "memory://"
    # Results cache (matching.cache): rankings of recent searches, keyed by a keyed hash of the query and
    # the directory's version, so a listing change invalidates them all. In each process's memory by
    # default; with several workers or servers, one Redis shared by all: AMPARO_CACHE_URL=redis://... .
    # AMPARO_CACHE=off turns it off (benchmarks of the engine).
    CACHE = "on"
    CACHE_URL = None
    CACHE_TTL_SECONDS = 300
    # Rankings kept in memory per process (without CACHE_URL), least recently used out first: a page's
    # ranking takes about 2 KB, and a search looks up 1 to 5 (its page, wider circles, areas).
    CACHE_SIZE = 4096
    CACHE_KEY_PREFIX = "amparo:results:"
    # Say whether the page's search came from the cache (Server-Timing: cache;desc="hit"). Off: anyone
    # could then tell that someone had just searched a place for a need. For tests and debugging.
    CACHE_SERVER_TIMING = False
    # How many reverse proxies stand in front of the app (nginx: 1). 0: none, X-Forwarded-* are ignored.
    # Behind a proxy, leaving it 0 makes every visitor share the proxy's address (and its limits).
    PROXY_HOPS = 0
    # Accounts (staff only). Limits are per IP address; log-ins are also limited per account (back-off).
    LOGIN_RATE_LIMIT = "10 per minute; 50 per hour"
    RESET_RATE_LIMIT = "5 per hour; 20 per day"
    # The JSON APIs (/api/v1, /api/hsds), per IP address.
    API_RATE_LIMIT = "120 per minute"
    # HSDS import: the largest file accepted, in bytes.
    HSDS_IMPORT_MAX_BYTES = 50_000_000  # one file of a package
    HSDS_IMPORT_MAX_TOTAL_BYTES = 200_000_000  # all the files of a package together (a zip's uncompressed size)
    # Email: "console" keeps messages in the outbox table and logs that one is waiting (never
    # its body); "smtp" sends them with the settings below.
    MAIL_BACKEND = "console"
    MAIL_SERVER = "localhost"
    MAIL_PORT = 587
    MAIL_USE_TLS = True
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    MAIL_FROM = "Amparo <no-reply@localhost>"
    # The site's public address (https://amparo.example.org): every link in an email, on a slip and in
    # a QR code is built from it, never from the Host header of a request. Required in production (the
    # app refuses to start without it); in development it follows HOST and PORT (where `make run` serves).
    SITE_URL = None
    # The host names the site answers to (Flask's TRUSTED_HOSTS); any other Host header gets a 400.
    # None: the host of SITE_URL (and localhost too in development and tests).
    TRUSTED_HOSTS = None
    # Referrals: client fields are encrypted with these Fernet keys (comma-separated, newest
    # first, so an old key can still decrypt while data moves to a new one). None: a key is made
    # once and kept in instance/referral_key. Keep it out of backups of the database.
    REFERRAL_KEYS = None
    # Client details are erased this many days after a referral closes (flask referrals purge).
    REFERRAL_RETENTION_DAYS = 90
    # A referral with no update for this many days is highlighted on the caseworker's dashboard.
    REFERRAL_STALE_DAYS = 7
    # Compression (Flask-Compress) of text answers above COMPRESS_MIN_SIZE bytes: brotli when the
    # browser takes it, else gzip. web.assets applies it (never to signed-in staff: BREACH).
    COMPRESS_REGISTER = False
    COMPRESS_ALGORITHM = ["br", "gzip"]
    COMPRESS_STREAMS = False
    COMPRESS_MIN_SIZE = 500
    COMPRESS_MIMETYPES = ["text/html", "text/css", "text/javascript", "application/javascript", "application/json",
                          "image/svg+xml"]  # fmt: skip
    # Load the gazetteer and taxonomy and compile the seeker templates when the app is built to serve
    # (under gunicorn --preload, once in the master), not on a worker's first request (web.warmup).
    # ``flask`` commands skip it.
    WARM_UP = True
    BABEL_DEFAULT_LOCALE = "en"
    # The languages seekers may read the site in (BCP 47 codes, comma-separated in the environment).
    # None: every one of web.languages.SITE_LANGUAGES whose catalogue is in translations/.
    LANGUAGES = None
    # Staff pages (organizations, caseworkers, moderators) speak these only, English first.
    STAFF_LANGUAGES = ("en", "es")
    JSON_SORT_KEYS = False
    TESTING = False


class TestConfig(Config):
    """Settings for the test suite: a throwaway database, no CSRF shortcuts, no network."""

    TESTING = True
    SITE_URL = "http://localhost"  # the test client's host
    SECRET_KEY = "test-secret"  # noqa: S105  (a fixed key for tests only)
    # Suites send many API requests a minute; the test of the limit sets its own.
    API_RATE_LIMIT = "100000 per minute"
    WARM_UP = False  # the suite builds an app per test; tests/test_production.py turns it on
    REFERRAL_KEYS = "vYd4b6i3JmH8qJQX6rVJq0rQpD1yZk0b2m6Gf2cJ3cE="  # a fixed Fernet key for tests only


LOCAL_HOSTS = ["localhost", "127.0.0.1", "[::1]"]


def development_site_url() -> str:
    """Return the address `make run` serves on (HOST and PORT, as in the Makefile)."""
    return f"http://{os.environ.get('HOST') or '127.0.0.1'}:{os.environ.get('PORT') or '5000'}"


def trusted_hosts(site_url: str, *, local_too: bool) -> list[str]:
    """Return the host names to answer to: the site's own, and the local ones in development."""
    host = urlsplit(site_url).hostname or ""
    return list(dict.fromkeys([host, *(LOCAL_HOSTS if local_too or host in LOCAL_HOSTS else [])]))


def instance_secret_key(instance_path: str) -> str:
    """Return this installation's secret key, creating it (readable by the owner only) on first use."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def instance_referral_key(instance_path: str) -> str:
    """Return this installation's key for client fields of referrals, creating it on first use."""
    from cryptography.fernet import Fernet

    path = Path(instance_path) / "referral_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(Fernet.generate_key().decode())
    return path.read_text().strip()


def database_url(app_config: dict, instance_path: str) -> str:
    """Return the database URL: DATABASE_URL if set, else SQLite in the instance folder."""
    url = app_config.get("DATABASE_URL") or os.environ.get("DATABASE_URL")
    if url:
        return url
    return "sqlite:///" + str(Path(instance_path) / "amparo.sqlite3")
