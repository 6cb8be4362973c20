"""Forms of claiming and membership: they check the shape of input; listings.members holds the rules."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from listings.forms import EMAIL_SHAPE, CheckboxesField, LanguagesField, language_choices, language_codes
from listings.members import NewOrganization
from matching.needs import get_taxonomy
from web.words import need_label

MESSAGE_HINT = _l(
    "For example: “I am the office manager. Call the front desk at 214-555-0100 and ask for Ana.” "
    "A moderator checks before you can edit the listing."
)


def _message_field() -> TextAreaField:
    return TextAreaField(
        _l("Your role, and how a moderator can check it"),
        description=MESSAGE_HINT,
        validators=[
            DataRequired(_l("Say what you do at the organization and how we can check it.")),
            Length(min=10, max=2000, message=_l("Write between 10 and 2000 characters.")),
        ],
    )


class OrganizationSearchForm(FlaskForm):
    """A GET search: no CSRF token, read from the query string."""

    class Meta:
        csrf = False

    q = StringField(_l("Organization name"), validators=[Length(max=200)])
    city = StringField(_l("City"), validators=[Length(max=100)])


class ClaimForm(FlaskForm):
    message = _message_field()


class NewOrganizationForm(FlaskForm):
    name = StringField(_l("Organization name"), validators=[DataRequired(_l("Enter the organization's name.")),
                                                            Length(max=300)])  # fmt: skip
    description = TextAreaField(_l("What the organization does"), validators=[Length(max=5000)])
    website = StringField(
        _l("Website"),
        validators=[Optional(), Length(max=500), Regexp(r"^https?://\S+$", message=_l("Start with https://"))],
    )
    email = StringField(
        _l("Public email"),
        validators=[Optional(), Length(max=300), Regexp(EMAIL_SHAPE, message=_l("Enter a valid email address."))],
    )
    phone = StringField(
        _l("Public phone number"),
        validators=[
            DataRequired(_l("Enter a phone number people can call.")),
            Length(max=50),
            Regexp(r"^[0-9+().\- ]{7,}$", message=_l("Enter a phone number, like 214-555-0100.")),
        ],
    )
    service_name = StringField(
        _l("Name of the service"),
        description=_l("What people come for, like “Free immigration consultations”."),
        validators=[DataRequired(_l("Enter the name of the service.")), Length(max=300)],
    )
    needs = CheckboxesField(_l("Needs this service meets"), validators=[DataRequired(_l("Choose at least one need."))])
    languages = LanguagesField(
        _l("Languages"),
        description=_l("Check every language staff speak with clients. Type to find one in the list."),
        validators=[language_codes],
    )
    address_1 = StringField(_l("Street address"), validators=[DataRequired(_l("Enter the street address.")),
                                                              Length(max=300)])  # fmt: skip
    address_2 = StringField(_l("Address line 2"), validators=[Length(max=300)])
    city = StringField(_l("City"), validators=[DataRequired(_l("Enter the city.")), Length(max=100)])
    state_province = StringField(
        _l("State"),
        description=_l("Two letters, like TX."),
        validators=[
            DataRequired(_l("Enter the state.")),
            Regexp(r"^[A-Za-z]{2}$", message=_l("Two letters, like TX.")),
        ],
    )
    postal_code = StringField(
        _l("ZIP code"),
        validators=[
            DataRequired(_l("Enter the ZIP code.")),
            Regexp(r"^\d{5}(-\d{4})?$", message=_l("Five digits, like 75201.")),
        ],
    )
    confidential = BooleanField(
        _l("Confidential location"), description=_l("The address is never shown, exported or returned.")
    )
    message = _message_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.needs.choices = [SelectChoice(need.code, need_label(need.code)) for need in get_taxonomy().needs.values()]
        self.languages.choices = language_choices(self.languages.data or [])

    def new_organization(self) -> NewOrganization:
        """Return what was typed, trimmed."""
        text = {name: (self[name].data or "").strip() for name in (
            "name", "description", "website", "email", "phone", "service_name", "address_1", "address_2", "city",
            "state_province", "postal_code", "message")}  # fmt: skip
        languages = sorted(set(self.languages.data or []))
        return NewOrganization(
            **text, needs=sorted(self.needs.data or []), languages=languages, confidential=bool(self.confidential.data)
        )


class InviteForm(FlaskForm):
    email = StringField(
        _l("Email of your colleague"),
        validators=[
            DataRequired(_l("Enter an email address.")),
            Length(max=254),
            Regexp(EMAIL_SHAPE, message=_l("Enter a valid email address.")),
        ],
    )
    role = SelectField(
        _l("Role"),
        choices=[
            SelectChoice("editor", _l("Editor: edits the listings")),
            SelectChoice("owner", _l("Owner: edits the listings and manages the members")),
            SelectChoice("caseworker", _l("Caseworker: refers clients from this agency (edits nothing)")),
        ],
        validators=[DataRequired()],
    )


class ClaimRejectForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason"), validators=[DataRequired(_l("Say why, so the organization can fix it.")), Length(max=2000)]
    )
