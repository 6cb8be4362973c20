"""Forms of the account pages: they check the shape of input; accounts.users holds the rules."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(_l("Enter your email.")), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password.")), Length(max=1024)])


class ResetRequestForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(_l("Enter your email.")), Length(max=254)])


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(_l("Enter a new password."))],
        description=_l("At least 12 characters. A few unrelated words make a good one."),
    )
    confirm = PasswordField(
        _l("New password, again"),
        validators=[
            DataRequired(_l("Enter the new password again.")),
            EqualTo("password", message=_l("The two passwords are not the same.")),
        ],
    )


class LogoutForm(FlaskForm):
    """Only the CSRF token: logging out is a POST, so no other site can log someone out."""


class RegisterForm(FlaskForm):
    email = EmailField(
        _l("Work email"),
        description=_l("The email you use at your organization."),
        validators=[DataRequired(_l("Enter your email.")), Length(max=254)],
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Enter a password."))],
        description=_l("At least 12 characters. A few unrelated words make a good one."),
    )
    confirm = PasswordField(
        _l("Password, again"),
        validators=[
            DataRequired(_l("Enter the password again.")),
            EqualTo("password", message=_l("The two passwords are not the same.")),
        ],
    )


class AcceptInvitationForm(FlaskForm):
    """Only the CSRF token: accepting an invitation with the account you are logged in with."""
