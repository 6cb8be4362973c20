"""Forms of the provider's inbox and of the public status lookup; referrals.status holds the rules."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from models.referral import REFERRAL_STATUSES
from referrals.status import NOTE_MAX_LENGTH, PROVIDER_STATUSES
from referrals.words import STATUS_LABELS

# The same words whether a code is malformed or unknown, so the page tells nothing about which codes exist.
NOT_FOUND = _l("We could not find this code. Check it on your paper and try again.")


class StatusForm(FlaskForm):
    """A provider's answer to a referral: a status and an optional note for the caseworker."""

    status = SelectField(
        _l("New status"),
        choices=[SelectChoice(code, STATUS_LABELS[code]) for code in PROVIDER_STATUSES],
        validators=[DataRequired(_l("Choose a status from the list."))],
    )
    note = TextAreaField(
        _l("Note for the caseworker (optional)"),
        validators=[Length(max=NOTE_MAX_LENGTH, message=_l("Keep the note under 500 characters."))],
    )


class InboxFilterForm(FlaskForm):
    """The status filter of the inbox (GET, no CSRF)."""

    class Meta:
        csrf = False

    status = SelectField(
        _l("Status"),
        choices=[SelectChoice("", _l("All"))] + [SelectChoice(code, STATUS_LABELS[code]) for code in REFERRAL_STATUSES],
        default="",
        validate_choice=False,
    )


class CodeForm(FlaskForm):
    """The code printed on a referral slip, typed by the client."""

    code = StringField(
        _l("Referral code"),
        validators=[DataRequired(_l("Type the code from your paper.")), Length(max=40, message=NOT_FOUND)],
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"},
    )
