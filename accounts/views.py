"""Account pages: sign up (NGO staff), log in and out, reset a forgotten password, accept an
invitation to an organization, and a first dashboard.

None of these pages is for people looking for help: all are noindex, and only staff have accounts.
"""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    get_flashed_messages,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user

from accounts.forms import AcceptInvitationForm, LoginForm, LogoutForm, NewPasswordForm, RegisterForm, ResetRequestForm
from accounts.users import (
    AccountError,
    authenticate,
    find_user,
    finish_password_reset,
    memberships_of,
    register_ngo_user,
    reset_token_is_valid,
    start_password_reset,
)
from extensions import limiter
from listings.members import (
    MemberError,
    accept_invitation,
    accept_invitation_with_new_account,
    invitation_organization,
    invitation_problem,
    usable_invitation,
)
from models.db import get_session
from web.urls import same_site_path, site_url

bp = Blueprint("accounts", __name__, url_prefix="/account")

ROLE_LABELS = {"admin": _l("Administrator"), "ngo": _l("Organization staff"), "caseworker": _l("Caseworker")}
MEMBERSHIP_LABELS = {"owner": _l("Owner"), "editor": _l("Editor")}


def login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def reset_limit() -> str:
    return current_app.config["RESET_RATE_LIMIT"]


# Signing up sends an email, like a reset request: the same limit keeps the form from being a spam cannon.
register_limit = reset_limit


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
def login():
    """Log in with email and password; the same answer for an unknown email, a wrong password and a wait.

    Limited per IP address (LOGIN_RATE_LIMIT) and per account (accounts.users: back-off, owner told by email).
    """
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(
            get_session(),
            email=form.email.data,
            password=form.password.data,
            reset_url=site_url("accounts.reset_request"),
        )
        if user is not None:
            login_user(user)
            return redirect(same_site_path(request.args.get("next"), default=_start_page(user)))
        # The same words for an unknown email, a wrong password and an account that waits (no enumeration).
        form.form_errors.append(_("Wrong email or password."))
        form.form_errors.append(
            _("After many wrong tries an account waits a few minutes. Forgot your password? Choose a new one.")
        )
    return render_template(
        "accounts/login.html", form=form, notices=get_flashed_messages()
    ), 400 if form.errors else 200


@bp.post("/logout")
def logout():
    """Log out. A POST, so CSRFProtect checks its token: no other site can log someone out."""
    logout_user()
    flash(_("You are logged out."))
    return redirect(url_for("accounts.login"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(register_limit, methods=["POST"])
def register():
    """Sign up as NGO staff. A new account and a taken email get the same answer ("check your email").

    Logging a new account in at once would tell a stranger which emails are taken (a taken one
    could not be logged in), so neither is: the new account logs in with the password just
    chosen, and the owner of a taken email gets an email saying someone tried, with a reset link.
    """
    if current_user.is_authenticated:
        return redirect(url_for("accounts.dashboard"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            register_ngo_user(
                get_session(),
                email=form.email.data,
                password=form.password.data,
                login_url=site_url("accounts.login"),
                reset_url=site_url("accounts.reset_request"),
            )
        except AccountError as error:
            getattr(form, error.field or "password").errors.append(error.message)
        else:
            return render_template("accounts/register_sent.html")
    return render_template("accounts/register.html", form=form), 400 if form.errors else 200


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


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@limiter.limit(reset_limit, methods=["POST"])
def invitation(token: str):
    """Accept an invitation: with the invited account (logging in first), or by choosing a password for a new one."""
    session = get_session()
    found = usable_invitation(session, token=token)
    if found is None:
        return render_template("accounts/invitation_expired.html"), 404
    organization = invitation_organization(session, invitation=found)
    if current_user.is_authenticated:
        return _accept_logged_in(token, organization)
    if find_user(session, email=found.email) is not None:
        flash(_("Log in to accept the invitation."))
        return redirect(url_for("accounts.login", next=request.path))
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            user = accept_invitation_with_new_account(session, token=token, password=form.password.data)
        except (AccountError, MemberError) as error:
            form.password.errors.append(error.message)
        else:
            login_user(user)
            flash(_("Welcome. You are now a member of %(organization)s.", organization=organization.name))
            return redirect(_start_page(user))
    return render_template(
        "accounts/invitation_new_account.html", form=form, organization=organization, email=found.email, token=token
    ), 400 if form.errors else 200


def _accept_logged_in(token: str, organization):
    """Show the "join" button to the logged-in invitee, or why this account cannot accept."""
    form = AcceptInvitationForm()
    error = invitation_problem(get_session(), token=token, user=current_user)
    if error is None and form.validate_on_submit():
        accept_invitation(get_session(), token=token, user=current_user)
        flash(_("Welcome. You are now a member of %(organization)s.", organization=organization.name))
        return redirect(_start_page(current_user))
    if error is None and request.method == "POST":
        abort(400)
    return render_template(
        "accounts/invitation_accept.html", form=form, organization=organization, token=token, error=error
    ), 403 if error else 200


def _start_page(user) -> str:
    """Return where a new member starts: the workspace for a caseworker, the listings for NGO staff."""
    return url_for("referrals.workspace" if user.role == "caseworker" else "listings.dashboard")


def reset_link(token: str) -> str:
    """Return the full address of a reset link (https when the site says it is served over HTTPS)."""
    return site_url("accounts.reset_password", token=token)


def invitation_link(token: str) -> str:
    """Return the full address of an invitation link."""
    return site_url("accounts.invitation", token=token)
