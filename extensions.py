"""Flask extensions, created unbound here and bound to the app in create_app."""

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
# Counters live in memory only: no IP address is ever written to disk.
limiter = Limiter(key_func=get_remote_address, storage_uri="memory://", headers_enabled=True)
