"""Account pages: log in and out, reset a forgotten password, and a first dashboard.

None of these pages is for people looking for help: all are noindex, and only staff have accounts.
"""

from flask import Blueprint, current_app, flash, get_flashed_messages, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user

from accounts.forms import LoginForm, LogoutForm, NewPasswordForm, ResetRequestForm
from accounts.users import (
    AccountError,
    authenticate,
    finish_password_reset,
    memberships_of,
    reset_token_is_valid,
    start_password_reset,
)
from extensions import limiter
from models.db import get_session
from web.urls import same_site_path

bp = Blueprint("accounts", __name__, url_prefix="/account")

ROLE_LABELS = {"admin": _l("Administrator"), "ngo": _l("Organization staff"), "caseworker": _l("Caseworker")}
MEMBERSHIP_LABELS = {"owner": _l("Owner"), "editor": _l("Editor")}


def login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def reset_limit() -> str:
    return current_app.config["RESET_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
def login():
    """Log in with email and password; the same answer for an unknown email and a wrong password."""
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(get_session(), email=form.email.data, password=form.password.data)
        if user is not None:
            login_user(user)
            return redirect(same_site_path(request.args.get("next"), default=url_for("accounts.dashboard")))
        form.form_errors.append(_("Wrong email or password."))
    return render_template(
        "accounts/login.html", form=form, notices=get_flashed_messages()
    ), 400 if form.errors else 200


@bp.post("/logout")
def logout():
    """Log out. A POST, so CSRFProtect checks its token: no other site can log someone out."""
    logout_user()
    flash(_("You are logged out."))
    return redirect(url_for("accounts.login"))


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(reset_limit, methods=["POST"])
def reset_request():
    """Ask for a reset link; the answer never tells whether an account exists."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        start_password_reset(get_session(), email=form.email.data, url_for_token=reset_link)
        return render_template("accounts/reset_sent.html")
    return render_template("accounts/reset_request.html", form=form), 400 if form.errors else 200


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(reset_limit, methods=["POST"])
def reset_password(token: str):
    """Choose a new password with the link from the email."""
    if not reset_token_is_valid(get_session(), token=token):
        return render_template("accounts/reset_expired.html"), 404
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            finish_password_reset(get_session(), token=token, new_password=form.password.data)
        except AccountError as error:
            getattr(form, error.field or "password").errors.append(error.message)
        else:
            flash(_("Your password has been changed. You can log in now."))
            return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form, token=token), 400 if form.errors else 200


@bp.get("/")
@login_required
def dashboard():
    """A first page for staff: who you are and which organizations you belong to."""
    memberships = memberships_of(get_session(), user_id=current_user.id)
    return render_template(
        "accounts/dashboard.html",
        memberships=memberships,
        role_labels=ROLE_LABELS,
        membership_labels=MEMBERSHIP_LABELS,
        logout_form=LogoutForm(),
    )


def reset_link(token: str) -> str:
    """Return the full address of a reset link (https when the site says it is served over HTTPS)."""
    scheme = "https" if current_app.config["HTTPS"] else None
    return url_for("accounts.reset_password", token=token, _external=True, _scheme=scheme)
