"""What must never be written about a referral's client: ID numbers, dates of birth, immigration status.

Caseworkers' notes to providers, the client's name or alias, and providers' notes on status updates are
checked alike, after folding Unicode dashes, spaces and look-alike digits.
A note that holds one of these would turn an anonymous referral into a file on a person.
"""

import re
import unicodedata

from flask_babel import gettext as _

from models.base import utcnow

# Separators people (and word processors) put inside numbers: every Unicode dash and space, and
# the invisible characters that can hide between digits.
DASHES = re.compile(r"[\u2010-\u2015\u2212\u2043\ufe58\ufe63\uff0d\u00ad\u02d7\u2e3a\u2e3b\u30fc]")
INVISIBLE = re.compile(r"[\u200b-\u200d\u2060\ufeff]")
# An A-number (Alien Registration Number): A and 8 or 9 digits, often grouped.
A_NUMBER = re.compile(r"\bA[\s#:.\-]*(?:\d[\s.\-]{0,3}){7,8}\d\b", re.IGNORECASE)
# An A-number named in words ("A-number 087-654-321", "alien no. 12345678", "número A 123 456 789").
A_NUMBER_WORDS = re.compile(
    r"\b(?:a[\s.\-]*(?:number|num|no)|alien[\s.\-]*(?:registration[\s.\-]*)?(?:number|num|no|\#)"
    r"|n[uú]mero[\s.\-]*(?:de[\s.\-]*)?(?:a|extranjero)|uscis[\s.\-]*(?:number|no|\#)|a\#)"
    r"\W{0,6}(?:\d[\s.\-]{0,3}){7,8}\d(?!\d)",
    re.IGNORECASE,
)
# Digits grouped by separators (or not). Nine in a row, or grouped 3-2-4 (a Social Security number or
# an ITIN) or 3-3-3 (an A-number), is an ID number; phone numbers (3-3-4) and dates are not.
DIGIT_RUN = re.compile(r"(?<![\d/])\d+(?:[ .\-]{1,3}\d+)*(?![\d/])")
ID_SHAPES = {(9,), (3, 2, 4), (3, 3, 3)}
# A full date (12/03/1990, 1990-03-12): one in an earlier year reads as a date of birth.
FULL_DATE = re.compile(
    r"\b(?:\d{1,2}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*(?P<year>\d{4}|\d{2})"
    r"|(?P<iso_year>\d{4})\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*\d{1,2})\b"
)
BIRTH_WORDS = re.compile(
    r"\bd\.?\s?o\.?\s?b\b|date of birth|\bborn (?:on|in)\b|fecha de nacimiento|\bnacid[oa] el\b", re.IGNORECASE
)
# Words that state someone's immigration status, in English and Spanish. Amparo never asks it, and a
# note that carries it turns a referral into a file on a person.
STATUS_WORDS = re.compile(
    r"\b(?:un-?documented|illegal (?:aliens?|immigrants?|entry|status)|illegals"
    r"|(?:entered|came|crossed|here|living|lives|is|are|was|stays?) illegally"
    r"|illegally (?:entered|crossed|here|present)"
    r"|no papers|without papers|out of status|overstay(?:ed|s|ing)?|expired visa|visa expired"
    r"|unlawful(?:ly)? (?:present|presence)|entered without inspection|ewi"
    r"|indocumentad[oa]s?|(?:inmigrantes?|extranjer[oa]s?|personas?) ilegal(?:es)?|estatus ilegal"
    r"|(?:entr[oó]|cruz[oó]|vive|est[aá]n?|lleg[oó]) (?:de forma )?ilegal(?:mente)?"
    r"|sin papeles|sin documentos|sin estatus|sin status|mojad[oa]s?|visa vencida|se le venci[oó] la visa)\b",
    re.IGNORECASE,
)


def normalize(text: str) -> str:
    """Return the text with Unicode look-alikes folded: compatibility forms, dashes, spaces, invisible marks."""
    text = unicodedata.normalize("NFKC", text)
    text = INVISIBLE.sub("", text)
    text = DASHES.sub("-", text)
    return "".join(" " if ch.isspace() or unicodedata.category(ch) == "Zs" else ch for ch in text)


def note_problem(note: str) -> str | None:
    """Return why a note may not be kept (an ID number, a date of birth, immigration status), or None."""
    text = normalize(note)
    if A_NUMBER.search(text) or A_NUMBER_WORDS.search(text):
        return _("The note looks like it has an A-number. Never write ID numbers: remove it.")
    if _has_id_digits(text):
        return _("The note looks like it has a Social Security or other ID number. Never write ID numbers: remove it.")
    if BIRTH_WORDS.search(text) or _past_full_date(text):
        return _("The note looks like it has a date of birth. Never write dates of birth: remove it.")
    if STATUS_WORDS.search(text):
        return _(
            "The note mentions immigration status. Never write a client's immigration status "
            "(it could be used against them): remove it."
        )
    return None


def alias_problem(alias: str) -> str | None:
    """Return why a client's name or alias may not be kept (it holds more than a name), or None."""
    if note_problem(alias) or any(ch.isdigit() for ch in normalize(alias)):
        return _("Write only a first name or an alias: no numbers, dates of birth or immigration status.")
    return None


def _has_id_digits(text: str) -> bool:
    """Tell whether the text has a group of digits shaped like an SSN, an ITIN or an A-number."""
    return any(_shape(run.group()) in ID_SHAPES for run in DIGIT_RUN.finditer(text))


def _shape(run: str) -> tuple[int, ...]:
    return tuple(len(group) for group in re.findall(r"\d+", run))


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
