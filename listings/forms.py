"""Forms of the listing pages: they check the shape of input; the logic modules of listings hold the rules.

Each edit form turns itself into field -> text (``values``) and back (``fill``), in the same
text form as the history keeps, and carries the record's version in a hidden field. Fields made of
several rows (phones, weekly hours, documents, notes on languages) have a ``text`` method that gives
that canonical text and a ``show`` method that takes it back.
"""

import json

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
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

from listings.codecs import (
    day_text,
    documents_text,
    hours_text,
    language_notes_text,
    parse_day,
    parse_hours,
    parse_language_notes,
    parse_phones,
    phone_line,
    phone_problem,
    phones_text,
    split_codes,
)
from listings.errors import ListingError
from matching.engine import DAY_CODES
from matching.needs import get_taxonomy
from models.base import CREDENTIAL_KINDS
from web.words import CAPACITY_LABELS, COST_LABELS, CREDENTIAL_LABELS, language_label, need_label

EMAIL_SHAPE = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
DELIVERY_LABELS = {"in-person": _l("In person"), "remote": _l("Remote"), "both": _l("In person and remote")}


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def language_codes(_form, field) -> None:
    """Refuse a language that is not a two- or three-letter code."""
    for code in field.data or []:
        if not (code.isalpha() and 2 <= len(code) <= 3):
            raise ValidationError(_l("Languages are two- or three-letter codes, like es or hmn."))


# Languages offered on the edit form, by name in the reader's language; a stored code not in this
# list (from an import) is offered too, so that saving the form never drops it.
LISTING_LANGUAGES = (
    "am", "ar", "ase", "bn", "de", "en", "es", "fa", "fr", "gu", "ha", "he", "hi", "hmn", "ht", "it", "ja", "km",
    "ko", "lo", "mix", "my", "ne", "pa", "pl", "ps", "pt", "ro", "ru", "rw", "so", "sq", "sw", "ti", "tl", "tr",
    "uk", "ur", "uz", "vi", "yo", "yua", "zh",
)  # fmt: skip


def language_choices(codes: list[str]) -> list[SelectChoice]:
    """Return the languages to pick from, by name in the reader's language (with any code already chosen)."""
    every = dict.fromkeys([*LISTING_LANGUAGES, *codes])
    return sorted((SelectChoice(code, language_label(code)) for code in every), key=lambda c: c.label.casefold())


class LanguagesField(CheckboxesField):
    """Languages spoken, picked by name; also reads "es, en" as typed by older forms and API clients."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, validate_choice=False, **kwargs)

    def process_formdata(self, valuelist) -> None:
        self.data = list(dict.fromkeys(code.lower() for value in valuelist for code in split_codes(value)))

    def text(self) -> str:
        return ",".join(sorted(self.data or []))

    def show(self, value: str) -> None:
        self.data = split_codes(value)
        self.choices = language_choices(self.data)


def _language_notes(form, field) -> None:
    try:
        notes = parse_language_notes(field.data or "")
    except ListingError as error:
        raise ValidationError(error.message) from None
    codes = set(form.languages.data or [])
    for code in notes:
        if code not in codes:
            raise ValidationError(_("Add %(code)s to the languages above, or remove its line.", code=code))


def _phone_number(_form, field) -> None:
    problem = phone_problem(field.data or "") if (field.data or "").strip() else None
    if problem:
        raise ValidationError(problem)


def _day_hours(_form, field) -> None:
    try:
        parse_day(field.data or "")
    except ListingError as error:
        raise ValidationError(error.message) from None


class DocumentsField(TextAreaField):
    """Documents needed, one a line."""

    def text(self) -> str:
        return documents_text(self.data or "")

    def show(self, value: str) -> None:
        self.data = value


class LanguageNotesField(TextAreaField):
    """Notes on languages, a line each: "es: Spanish on Tuesdays only"."""

    def text(self) -> str:
        return language_notes_text(parse_language_notes(self.data or ""))

    def show(self, value: str) -> None:
        self.data = value


PHONE_TYPE_LABELS = {
    "voice": _l("Voice"),
    "text": _l("Text messages"),
    "hotline": _l("Hotline"),
    "tty": _l("TTY"),
    "fax": _l("Fax"),
}


class PhoneForm(Form):
    """One phone (a row of PhonesField; no CSRF token of its own)."""

    number = StringField(_l("Number"), validators=[Length(max=50), _phone_number])
    extension = StringField(
        _l("Extension"),
        validators=[Optional(), Regexp(r"^\d{1,6}$", message=_l("An extension is digits only, like 12."))],
    )
    type = SelectField(_l("Kind"), choices=_choices(PHONE_TYPE_LABELS), default="voice")
    description = StringField(
        _l("Note"), description=_l("Optional, like: Spanish line, Monday to Friday."), validators=[Length(max=200)]
    )
    public_contact = BooleanField(_l("Public contact"))


class PhonesField(FieldList):
    """The phones of a record, one row each, plus an empty row to add one; a row without a number is removed."""

    def __init__(self, label=None, **kwargs):
        super().__init__(FormField(PhoneForm), label, min_entries=1, **kwargs)

    def validate(self, form, extra_validators=()) -> bool:
        """Validate each row, then refuse a number listed twice (the rows would merge into one)."""
        super().validate(form, extra_validators)
        seen = set()
        for entry in self.entries:
            row = entry.form
            if row.number.errors or row.extension.errors or not (row.number.data or "").strip():
                continue
            key = phone_line(number=row.number.data, extension=str(row.extension.data or "").strip() or None,
                             type=None, public_contact=False, description=None).key  # fmt: skip
            if key in seen:
                row.number.errors.append(_("This number is already listed above."))
            seen.add(key)
        self.errors = [entry.errors for entry in self.entries]
        if not any(self.errors):
            self.errors = []
        return not self.errors

    def text(self) -> str:
        rows = [entry.form for entry in self.entries]
        return phones_text(
            [
                phone_line(
                    number=row.number.data.strip(),
                    extension=str(row.extension.data or "").strip(),
                    type=row.type.data,
                    public_contact=row.public_contact.data,
                    description=row.description.data,
                )
                for row in rows
                if (row.number.data or "").strip()
            ]
        )

    def show(self, value: str) -> None:
        while self.entries:
            self.pop_entry()
        for phone in parse_phones(value):
            self.append_entry(phone)
        self.append_entry()


class WeekForm(Form):
    """A text input per weekday; field names are the RFC 5545 day codes in lower case."""

    mo = StringField(_l("Monday"), validators=[_day_hours])
    tu = StringField(_l("Tuesday"), validators=[_day_hours])
    we = StringField(_l("Wednesday"), validators=[_day_hours])
    th = StringField(_l("Thursday"), validators=[_day_hours])
    fr = StringField(_l("Friday"), validators=[_day_hours])
    sa = StringField(_l("Saturday"), validators=[_day_hours])
    su = StringField(_l("Sunday"), validators=[_day_hours])


class WeekHoursField(FormField):
    """Opening hours for each day of the week."""

    def __init__(self, label=None, **kwargs):
        super().__init__(WeekForm, label, **kwargs)

    def text(self) -> str:
        return hours_text({code: parse_day(self.form[code.lower()].data or "") for code in DAY_CODES})

    def show(self, value: str) -> None:
        week = parse_hours(value)
        for code in DAY_CODES:
            self.form[code.lower()].data = day_text(week.get(code, []))


class ListingForm(FlaskForm):
    """An edit form whose fields (all but the version) are listing fields of the same name."""

    version = IntegerField(widget=HiddenInput(), validators=[DataRequired()])
    # The values the form was opened on, as JSON: what lets a save merge with one made since.
    opened = HiddenField()

    def listing_fields(self) -> list:
        return [field for field in self if field.name not in ("csrf_token", "version", "opened")]

    def opened_values(self) -> dict[str, str] | None:
        """Return the values the form was opened on, or None when it does not say (or says nonsense)."""
        try:
            values = json.loads(self.opened.data or "")
        except ValueError:
            return None
        if not isinstance(values, dict) or not all(isinstance(value, str) for value in values.values()):
            return None
        return values

    def values(self) -> dict[str, str]:
        """Return the submitted fields as the text the pipeline stores."""
        found = {}
        for field in self.listing_fields():
            if hasattr(field, "text"):
                found[field.name] = field.text()
            elif isinstance(field, BooleanField):
                found[field.name] = "yes" if field.data else "no"
            elif isinstance(field, SelectMultipleField):
                found[field.name] = ",".join(sorted(field.data or []))
            else:
                found[field.name] = (field.data or "").strip()
        return found

    def fill(self, values: dict[str, str], version: int, *, opened: dict[str, str] | None = None) -> None:
        """Show values (the stored ones, or after a conflict the merge of both); ``opened`` defaults to them."""
        for field in self.listing_fields():
            value = values.get(field.name, "")
            if hasattr(field, "show"):
                field.show(value)
            elif isinstance(field, BooleanField):
                field.data = value == "yes"
            elif isinstance(field, SelectMultipleField):
                field.data = split_codes(value)
            else:
                field.data = value
        self.version.data = version
        self.version.raw_data = [str(version)]
        self.opened.data = json.dumps(opened if opened is not None else values)


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
    phones = PhonesField(
        _l("Phones"),
        description=_l("Phones for the whole organization. To remove a phone, clear its number."),
    )


class ServiceForm(ListingForm):
    description = TextAreaField(_l("Description"), validators=[Length(max=5000)])
    needs = CheckboxesField(_l("Needs this service meets"))
    eligibility_description = TextAreaField(_l("Who can get this service"), validators=[Length(max=5000)])
    fees_description = TextAreaField(_l("Fees"), validators=[Length(max=5000)])
    cost = SelectField(_l("Cost"))
    application_process = TextAreaField(_l("How to apply"), validators=[Length(max=5000)])
    delivery = SelectField(_l("In person or remote"))
    languages = LanguagesField(
        _l("Languages"),
        description=_l("Check every language staff speak with clients. Type to find one in the list."),
        validators=[language_codes],
    )
    language_notes = LanguageNotesField(
        _l("Notes on languages"),
        description=_l('Optional. One line per language: its code, a colon, then the note, like "es: Spanish on '
                       'Tuesdays only".'),
        validators=[Length(max=2000), _language_notes],
    )  # fmt: skip
    credentials = CheckboxesField(_l("Credentials"))
    no_id_needed = BooleanField(_l("No ID needed"))
    documents = DocumentsField(
        _l("Documents needed"),
        description=_l("One document per line, like: Any letter from immigration court."),
        validators=[Length(max=5000)],
    )
    hours = WeekHoursField(
        _l("Hours of this service"),
        description=_l("Only when the service keeps its own hours (like a phone line); otherwise set the hours "
                       "of each location. Like 9:00-17:00. Leave a day empty when closed."),
    )  # fmt: skip
    hours_notes = TextAreaField(
        _l("Notes on hours"),
        description=_l("Optional, like: Walk-ins on Tuesday mornings only. Closed on public holidays."),
        validators=[Length(max=2000)],
    )
    phones = PhonesField(
        _l("Phones"),
        description=_l("Phones for this service. To remove a phone, clear its number."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.needs.choices = [SelectChoice(need.code, need_label(need.code)) for need in get_taxonomy().needs.values()]
        self.cost.choices = [SelectChoice("", _l("Not said")), *_choices(COST_LABELS)]
        self.delivery.choices = _choices(DELIVERY_LABELS)
        self.credentials.choices = [SelectChoice(kind, CREDENTIAL_LABELS[kind]) for kind in CREDENTIAL_KINDS]
        self.languages.choices = language_choices(self.languages.data or [])


class LocationForm(ListingForm):
    address_1 = StringField(_l("Street address"), validators=[Length(max=300)])
    address_2 = StringField(_l("Address line 2"), validators=[Length(max=300)])
    city = StringField(_l("City"), validators=[Length(max=100)])
    state_province = StringField(_l("State"), validators=[Length(max=100)])
    postal_code = StringField(_l("ZIP code"), validators=[Length(max=20)])
    confidential = BooleanField(
        _l("Confidential location"), description=_l("The address is never shown, exported or returned.")
    )
    hours = WeekHoursField(
        _l("Opening hours"),
        description=_l("Like 9:00-17:00, or 9:00-12:00, 13:00-17:00 for a break. Leave a day empty when closed."),
    )
    hours_notes = TextAreaField(
        _l("Notes on hours"),
        description=_l("Optional, like: Walk-ins on Tuesday mornings only. Closed on public holidays."),
        validators=[Length(max=2000)],
    )
    accessibility = TextAreaField(
        _l("Accessibility"),
        description=_l("Like: Step-free entrance, elevator to the second floor. Never shown for a confidential "
                       "location."),
        validators=[Length(max=2000)],
    )  # fmt: skip
    transportation = TextAreaField(
        _l("Getting there"),
        description=_l("Buses, trains, parking. Never shown for a confidential location."),
        validators=[Length(max=2000)],
    )
    phones = PhonesField(
        _l("Phones"),
        description=_l("At a confidential location only the phones marked as public contact are shown, and "
                       "changes to them wait for a moderator. To remove a phone, clear its number."),
    )  # fmt: skip


class CapacityForm(FlaskForm):
    capacity = SelectField(_l("Capacity"), choices=_choices(CAPACITY_LABELS), validators=[DataRequired()])


class ActionForm(FlaskForm):
    """Only the CSRF token: confirm, restore, approve and resolve are one-click POSTs."""


class RejectForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason"), validators=[DataRequired(_l("Say why, so the organization can fix it.")), Length(max=2000)]
    )


def field_labels() -> dict:
    """Return a label for every listing field, for history and review pages.

    Keys are "resource_type.field" (a location's hours are not the service's) and, for old
    callers, the bare field name (the first form's label).
    """
    labels = {
        "capacity": _l("Capacity"),
        "capacity_stated_on": _l("Capacity stated on"),
        "assured_date": _l("Last confirmed correct"),
    }
    for resource_type in ("capacity", "capacity_stated_on", "assured_date"):
        labels[f"service.{resource_type}"] = labels[resource_type]
    for resource_type, form in (("organization", OrganizationForm), ("service", ServiceForm),
                                ("location", LocationForm)):  # fmt: skip
        for name in dir(form):
            unbound = getattr(form, name)
            if isinstance(unbound, UnboundField):
                # PhonesField and WeekHoursField take the label as their first argument, like any field.
                label = unbound.args[0] if unbound.args else unbound.kwargs.get("label")
                if label is not None:
                    labels.setdefault(name, label)
                    labels[f"{resource_type}.{name}"] = label
    return labels


def shown_value(name: str, value: str) -> str:
    """Return a stored field value as staff read it: credentials, needs, languages and cost in words."""
    if not value:
        return value
    if name == "credentials":
        return ", ".join(str(CREDENTIAL_LABELS.get(code, code)) for code in split_codes(value))
    if name == "needs":
        return ", ".join(need_label(code) for code in split_codes(value))
    if name == "languages":
        return ", ".join(language_label(code) for code in split_codes(value))
    if name == "cost":
        return str(COST_LABELS.get(value, value))
    if name == "delivery":
        return str(DELIVERY_LABELS.get(value, value))
    if name == "capacity":
        return str(CAPACITY_LABELS.get(value, value))
    return value
