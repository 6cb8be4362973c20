"""Flask extensions, created unbound here and bound to the app in create_app."""

import hmac

from flask import current_app
from flask_babel import Babel
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect

babel = Babel()
csrf = CSRFProtect()
# Bound with COMPRESS_REGISTER off: web.assets decides which answers are compressed.
compress = Compress()
# Staff logins only (configured in accounts.init_login); people looking for help never log in.
login_manager = LoginManager()


def client_key() -> str:
    """Return a keyed digest of the visitor's address: counters never hold an IP address.

    Counters live where RATELIMIT_STORAGE_URI says (memory by default, Redis shared by every worker in
    production), so the key must tell nobody who visited. The same SECRET_KEY gives every worker the same key.
    """
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, (get_remote_address() or "").encode(), "sha256").hexdigest()[:32]


# Storage: RATELIMIT_STORAGE_URI (config.Config), read when the limiter is bound to the app.
limiter = Limiter(key_func=client_key, headers_enabled=True)
