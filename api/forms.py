"""The shape of a search request, shared by the JSON API and the search pages (GET, no CSRF)."""

from wtforms import BooleanField, Form, IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from matching.needs import get_taxonomy
from models.base import CREDENTIAL_KINDS
from web.translate import gettext, ngettext
from web.translate import lazy_gettext as _l

LANGUAGE_CODE_LENGTH = (2, 3)
BETWEEN = _l("Give a number from %(min)s to %(max)s.")
# WTForms' own messages that a search can show, listed so that the catalogues carry them.
WTFORMS_MESSAGES = (_l("Not a valid integer value."), _l("Not a valid choice."))


def _need_exists(_form, field) -> None:
    # Not Optional(): it would let a blank need (" ") through to the engine, which does not know it.
    if field.data and field.data not in get_taxonomy():
        raise ValidationError(_l("Unknown need. See /api/v1/needs for the list."))


def _language_codes(_form, field) -> None:
    for code in field.data:
        if not (code.isalpha() and LANGUAGE_CODE_LENGTH[0] <= len(code) <= LANGUAGE_CODE_LENGTH[1]):
            raise ValidationError(_l("Languages are two- or three-letter codes, like es or hmn."))


def _choices(*values: str) -> list[SelectChoice]:
    """Return select choices for ``values``, with an empty "any" choice first (labels are set by the pages)."""
    return [SelectChoice(""), *(SelectChoice(value) for value in values)]


class YesNoField(BooleanField):
    """A yes/no parameter: "true", "y", "1" or "on" say yes; "false", "n", "0" or nothing say no."""

    false_values = (False, "false", "False", "n", "no", "0", "off", "")


class CodeListField(StringField):
    """Codes given as "es,fr" or as a repeated parameter."""

    def process_formdata(self, valuelist):
        codes = []
        for value in valuelist:
            codes += [part.strip().lower() for part in value.split(",") if part.strip()]
        self.data = list(dict.fromkeys(codes))

    def _value(self):
        return ",".join(self.data or [])


class SearchForm(Form):
    location = StringField(
        _l("Where are you?"),
        validators=[
            DataRequired(_l("Tell us a ZIP code, a city or an address.")),
            Length(max=200, message=_l("That place is too long. Try a ZIP code or a city and state.")),
        ],
    )
    need = StringField(_l("What do you need?"), validators=[_need_exists])
    language = CodeListField(_l("Language"), default=list, validators=[_language_codes])
    cost = SelectField(_l("Cost"), choices=_choices("free", "sliding-scale"), default="")
    credential = SelectField(_l("Credential"), choices=_choices(*CREDENTIAL_KINDS), default="")
    accepting = BooleanField(_l("Accepting new clients"))
    open_now = BooleanField(_l("Open now"))
    # Unknown is not no: without "strict", listings that do not say come after the confirmed ones.
    language_strict = YesNoField(_l("Only listings that say they speak the language"))
    accepting_strict = YesNoField(_l("Only listings that say they take new clients"))
    credential_strict = YesNoField(_l("Only listings that list the credential"))
    open_now_strict = YesNoField(_l("Only listings that list their hours"))
    delivery = SelectField(_l("In person or remote"), choices=_choices("in-person", "remote"), default="")
    radius_km = IntegerField(_l("Distance (km)"), validators=[Optional(), NumberRange(min=1, max=500, message=BETWEEN)])
    radius_mi = IntegerField(
        _l("Distance (miles)"), validators=[Optional(), NumberRange(min=1, max=300, message=BETWEEN)]
    )
    page = IntegerField(_l("Page"), default=1, validators=[Optional(), NumberRange(min=1, max=1000, message=BETWEEN)])
    per_page = IntegerField(
        _l("Results per page"), default=20, validators=[Optional(), NumberRange(min=1, max=100, message=BETWEEN)]
    )

    class Meta:
        locales = False

        def get_translations(self, form):
            """WTForms' own messages ("Not a valid integer value.") through our catalogues, in the seeker's language."""
            return SeekerTranslations()


class SeekerTranslations:
    """The gettext WTForms asks for, answered by Flask-Babel (the messages are in WTFORMS_MESSAGES)."""

    def gettext(self, string: str) -> str:
        return gettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return ngettext(singular, plural, n)
