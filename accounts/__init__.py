"""Accounts: login, logout and password reset for staff (NGOs, caseworkers, admins); roles and memberships."""

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_login(app: Flask) -> None:
    """Bind Flask-Login: who is logged in, and where to send those who are not."""
    from accounts.users import load_logged_in_user
    from extensions import login_manager
    from models.db import get_session

    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.session_protection = "strong"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.localize_callback = str  # the lazy message, in the person's language, as plain text
    login_manager.user_loader(lambda login_id: load_logged_in_user(get_session(), login_id=login_id))
