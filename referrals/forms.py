"""Forms of the caseworker pages: the referral, saved lists, and the buttons that change a referral.

They check the shape of input only; the rules (contact and consent, what a note may hold) live in
referrals.workflow. The search form is api.forms.SearchForm, the same as the seeker's.
"""

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length

from matching.needs import get_taxonomy
from models.referral import CONTACT_PREFERENCES
from referrals.words import CONTACT_LABELS
from referrals.workflow import ALIAS_MAX_LENGTH, NOTE_MAX_LENGTH
from web.context import SEARCH_LANGUAGES
from web.languages import site_code


def client_languages() -> list[str]:
    """Return the languages a client may prefer: the site's own first (the slip is printed in them), then others."""
    codes = list(dict.fromkeys(["en", *SEARCH_LANGUAGES]))
    offered = current_app.config["LANGUAGES"]
    return sorted(codes, key=lambda code: site_code(code) not in offered)


class ReferralForm(FlaskForm):
    # Services and needs are checkboxes drawn by the template; the rules check the values.
    services = SelectMultipleField(_l("Services"), validate_choice=False)
    needs = SelectMultipleField(_l("What the client needs"), validate_choice=False)
    language = SelectField(_l("Client's preferred language"), default="es")
    contact_preference = RadioField(
        _l("How may the provider contact the client?"),
        choices=[SelectChoice(code, CONTACT_LABELS[code]) for code in CONTACT_PREFERENCES],
        default="client-calls",
        validators=[DataRequired(_l("Choose how the provider may contact the client."))],
    )
    alias = StringField(
        _l("Client's first name or a nickname (optional)"),
        validators=[Length(max=ALIAS_MAX_LENGTH, message=_l("Keep the name under 60 characters."))],
    )
    phone = StringField(_l("Phone number (only for a call or text)"), validators=[Length(max=40)])
    email = StringField(_l("Email address (only for an email)"), validators=[Length(max=254)])
    consent = BooleanField(_l("The client agrees to be contacted this way"))
    note = TextAreaField(
        _l("Note for the provider (optional)"),
        validators=[Length(max=NOTE_MAX_LENGTH, message=_l("Keep the note under 500 characters."))],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = [SelectChoice(code) for code in client_languages()]
        self.needs.choices = [SelectChoice(code) for code in get_taxonomy().needs]


class ListNameForm(FlaskForm):
    name = StringField(
        _l("Name of the list"),
        validators=[DataRequired(_l("Give the list a name.")), Length(max=200)],
        description=_l('For example "Asylum, Dallas". Never a client\'s name.'),
    )


class AddToListForm(FlaskForm):
    service_id = HiddenField(validators=[DataRequired()])
    list_id = SelectField(_l("List"), validate_choice=False)
    next = HiddenField()


class ServiceForm(FlaskForm):
    """A button that acts on one service of a list (remove)."""

    service_id = HiddenField(validators=[DataRequired()])


class ActionForm(FlaskForm):
    """A button with nothing but its CSRF token (close a referral, delete a list)."""


class EraseForm(FlaskForm):
    confirm = BooleanField(
        _l("Yes, erase the client's name, phone, email and notes for good"),
        validators=[DataRequired(_l("Check the box to confirm. Erased details cannot be brought back."))],
    )


class TrackedStatusForm(FlaskForm):
    """The status of an item the caseworker tracks (a provider not on Amparo)."""

    status = SelectField(_l("Status"), validate_choice=False)


class EmailChoiceForm(FlaskForm):
    """How a caseworker hears of status changes."""

    referral_emails = RadioField(
        _l("Emails when a provider changes a status"),
        choices=[
            SelectChoice("each", _l("An email for each change")),
            SelectChoice("digest", _l("One email a day, with every change")),
        ],
    )
