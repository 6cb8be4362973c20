"""Forms of the listing pages: they check the shape of input; listings.changes holds the rules.

Each edit form turns itself into field -> text (``values``) and back (``fill``), in the same
text form as the history keeps, and carries the record's version in a hidden field.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.core import UnboundField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from listings.changes import split_codes
from matching.needs import get_taxonomy
from models.base import CREDENTIAL_KINDS
from web.words import CAPACITY_LABELS, COST_LABELS, CREDENTIAL_LABELS

EMAIL_SHAPE = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
DELIVERY_LABELS = {"in-person": _l("In person"), "remote": _l("Remote"), "both": _l("In person and remote")}


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _language_codes(_form, field) -> None:
    for code in split_codes(field.data or ""):
        if not (code.isalpha() and 2 <= len(code) <= 3):
            raise ValidationError(_l("Languages are two- or three-letter codes, like es or hmn."))


class ListingForm(FlaskForm):
    """An edit form whose fields (all but the version) are listing fields of the same name."""

    version = IntegerField(widget=HiddenInput(), validators=[DataRequired()])

    def listing_fields(self) -> list:
        return [field for field in self if field.name not in ("csrf_token", "version")]

    def values(self) -> dict[str, str]:
        """Return the submitted fields as the text the pipeline stores."""
        found = {}
        for field in self.listing_fields():
            if isinstance(field, BooleanField):
                found[field.name] = "yes" if field.data else "no"
            elif isinstance(field, SelectMultipleField):
                found[field.name] = ",".join(sorted(field.data or []))
            elif field.name == "languages":
                found[field.name] = ",".join(sorted(code.lower() for code in split_codes(field.data or "")))
            else:
                found[field.name] = (field.data or "").strip()
        return found

    def fill(self, values: dict[str, str], version: int) -> None:
        """Show stored values (GET)."""
        for field in self.listing_fields():
            value = values.get(field.name, "")
            if isinstance(field, BooleanField):
                field.data = value == "yes"
            elif isinstance(field, SelectMultipleField):
                field.data = split_codes(value)
            else:
                field.data = value
        self.version.data = version


class OrganizationForm(ListingForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter the organization's name.")), Length(max=300)])
    description = TextAreaField(_l("Description"), validators=[Length(max=5000)])
    website = StringField(
        _l("Website"),
        validators=[Optional(), Length(max=500), Regexp(r"^https?://\S+$", message=_l("Start with https://"))],
    )
    email = StringField(
        _l("Email"),
        validators=[Optional(), Length(max=300), Regexp(EMAIL_SHAPE, message=_l("Enter a valid email address."))],
    )


class ServiceForm(ListingForm):
    description = TextAreaField(_l("Description"), validators=[Length(max=5000)])
    needs = CheckboxesField(_l("Needs this service meets"))
    eligibility_description = TextAreaField(_l("Who can get this service"), validators=[Length(max=5000)])
    fees_description = TextAreaField(_l("Fees"), validators=[Length(max=5000)])
    cost = SelectField(_l("Cost"))
    application_process = TextAreaField(_l("How to apply"), validators=[Length(max=5000)])
    delivery = SelectField(_l("In person or remote"))
    languages = StringField(
        _l("Languages"), description=_l("Codes separated by commas, like en, es, hmn."), validators=[_language_codes]
    )
    credentials = CheckboxesField(_l("Credentials"))
    no_id_needed = BooleanField(_l("No ID needed"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.needs.choices = [SelectChoice(need.code, need.label("en")) for need in get_taxonomy().needs.values()]
        self.cost.choices = [SelectChoice("", _l("Not said")), *_choices(COST_LABELS)]
        self.delivery.choices = _choices(DELIVERY_LABELS)
        self.credentials.choices = [SelectChoice(kind, CREDENTIAL_LABELS[kind]) for kind in CREDENTIAL_KINDS]


class LocationForm(ListingForm):
    address_1 = StringField(_l("Street address"), validators=[Length(max=300)])
    address_2 = StringField(_l("Address line 2"), validators=[Length(max=300)])
    city = StringField(_l("City"), validators=[Length(max=100)])
    state_province = StringField(_l("State"), validators=[Length(max=100)])
    postal_code = StringField(_l("ZIP code"), validators=[Length(max=20)])
    confidential = BooleanField(
        _l("Confidential location"), description=_l("The address is never shown, exported or returned.")
    )


class CapacityForm(FlaskForm):
    capacity = SelectField(_l("Capacity"), choices=_choices(CAPACITY_LABELS), validators=[DataRequired()])


class ActionForm(FlaskForm):
    """Only the CSRF token: confirm, restore, approve and resolve are one-click POSTs."""


class RejectForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason"), validators=[DataRequired(_l("Say why, so the organization can fix it.")), Length(max=2000)]
    )


def field_labels() -> dict:
    """Return a label for every listing field, for history and review pages."""
    labels = {
        "capacity": _l("Capacity"),
        "capacity_stated_on": _l("Capacity stated on"),
        "assured_date": _l("Last confirmed correct"),
    }
    for form in (OrganizationForm, ServiceForm, LocationForm):
        for name in dir(form):
            unbound = getattr(form, name)
            if isinstance(unbound, UnboundField) and unbound.args:
                labels.setdefault(name, unbound.args[0])
    return labels
