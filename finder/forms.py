"""Forms of the public site (the search form itself is api.forms.SearchForm)."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectChoice, TextAreaField
from wtforms.validators import DataRequired, Length

from web.translate import lazy_gettext as _l

REPORT_CHOICES = [
    SelectChoice("phone", _l("The phone number is wrong")),
    SelectChoice("address", _l("The address is wrong")),
    SelectChoice("hours", _l("The hours are wrong")),
    SelectChoice("closed", _l("This place has closed")),
    SelectChoice("services", _l("They do not offer this help")),
    SelectChoice("fraud", _l("I think this is a scam or a notario")),
    SelectChoice("translation", _l("The words are wrong or hard to understand in my language")),
    SelectChoice("other", _l("Something else")),
]


class ReportForm(FlaskForm):
    kind = RadioField(_l("What is wrong?"), choices=REPORT_CHOICES, validators=[DataRequired(_l("Choose one."))])
    message = TextAreaField(
        _l("Tell us more (optional)"),
        validators=[Length(max=1000, message=_l("Please keep it under 1,000 characters."))],
        description=_l("Please do not write your name, phone number or anything about your immigration status."),
    )


class TranslationReportForm(FlaskForm):
    page = HiddenField()
    language = HiddenField()
    message = TextAreaField(
        _l("What is wrong with the words on the page?"),
        validators=[
            DataRequired(_l("Tell us what is wrong, so we can fix it.")),
            Length(max=1000, message=_l("Please keep it under 1,000 characters.")),
        ],
        description=_l("Copy the words that are wrong, and say what they should be if you can. Please do not write "
                       "your name or anything about your immigration status."),
    )
