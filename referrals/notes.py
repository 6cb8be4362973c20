"""What must never be written in a referral's notes: ID numbers and dates of birth.

Caseworkers' notes to providers and providers' notes on status updates are checked alike.
A note that holds one of these would turn an anonymous referral into a file on a person.
"""

import re

from flask_babel import gettext as _

from models.base import utcnow

# An A-number (Alien Registration Number): A and 8 or 9 digits, often grouped.
A_NUMBER = re.compile(r"\bA[\s#:.\-]*(?:\d[\s\-]?){7,8}\d\b", re.IGNORECASE)
# A Social Security number (123-45-6789), or any nine digits in a row (an ITIN, a passport).
SSN = re.compile(r"\b\d{3}[\s.\-]\d{2}[\s.\-]\d{4}\b|\b(?<![\d+])\d{9}(?!\d)\b")
# A full date (12/03/1990, 1990-03-12): one in an earlier year reads as a date of birth.
FULL_DATE = re.compile(
    r"\b(?:\d{1,2}[/.\-]\d{1,2}[/.\-](?P<year>\d{4}|\d{2})|(?P<iso_year>\d{4})[/.\-]\d{1,2}[/.\-]\d{1,2})\b"
)
BIRTH_WORDS = re.compile(
    r"\bd\.?\s?o\.?\s?b\b|date of birth|\bborn (?:on|in)\b|fecha de nacimiento|\bnacid[oa] el\b", re.IGNORECASE
)


def note_problem(note: str) -> str | None:
    """Return why a note may not be kept (it seems to hold an ID number or a date of birth), or None."""
    if A_NUMBER.search(note):
        return _("The note looks like it has an A-number. Never write ID numbers: remove it.")
    if SSN.search(note):
        return _("The note looks like it has a Social Security or other ID number. Never write ID numbers: remove it.")
    if BIRTH_WORDS.search(note) or _past_full_date(note):
        return _("The note looks like it has a date of birth. Never write dates of birth: remove it.")
    return None


def _past_full_date(text: str) -> bool:
    """Tell whether the text has a full date of an earlier year (court dates and appointments are not in the past)."""
    this_year = utcnow().year
    for match in FULL_DATE.finditer(text):
        year = match.group("year") or match.group("iso_year")
        if len(year) == 2:
            if int(year) not in (this_year % 100, (this_year + 1) % 100):
                return True
        elif int(year) < this_year:
            return True
    return False
