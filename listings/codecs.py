"""Field codecs: the canonical text of fields made of several rows, and parsers for what people type.

Documents, language notes, weekly hours and phones each have one canonical text form (what
history shows and restore puts back) and a parser that raises ListingError with a message for
the person who typed it. Nothing here reads or writes the database.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _

from listings.errors import ListingError
from matching.engine import DAY_CODES


def dump(value: Any) -> str:
    """Return a stored value as the text history keeps."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def split_codes(value: str) -> list[str]:
    """Return the codes of a comma list, trimmed, without repeats."""
    return list(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))


def lines_of(value: str) -> list[str]:
    """Return the non-empty lines of a text, trimmed, inner spaces collapsed, without repeats."""
    return list(dict.fromkeys(" ".join(line.split()) for line in value.splitlines() if line.strip()))


def documents_text(value: str) -> str:
    """Return documents, one a line, in the canonical order (rows have no order of their own)."""
    return "\n".join(sorted(lines_of(value), key=str.casefold))


LANGUAGE_NOTE_LINE = re.compile(r"^([A-Za-z]{2,3})\s*[:=\-–]\s*(.+)$")


def parse_language_notes(value: str) -> dict[str, str]:
    """Return code -> note from lines like "es: Spanish intake line only"; two lines of a code are joined."""
    notes: dict[str, str] = {}
    for line in lines_of(value):
        found = LANGUAGE_NOTE_LINE.match(line)
        if not found:
            raise ListingError(
                _('Write one language a line: its code, a colon, then the note, like "es: Spanish on Tuesdays only".'),
                field="language_notes",
            )
        code, note = found.group(1).lower(), found.group(2).strip()
        notes[code] = f"{notes[code]}; {note}" if code in notes else note
    return notes


def language_notes_text(notes: dict[str, str]) -> str:
    """Return notes on languages as their canonical text, by code."""
    return "\n".join(f"{code}: {note}" for code, note in sorted(notes.items()) if note)


TIME = r"(\d{1,2})(?:[:.](\d{2}))?\s*([ap])?\.?\s*m?\.?"


SPAN = re.compile(rf"^{TIME}\s*(?:-|–|—|to|a)\s*{TIME}$", re.IGNORECASE)


def _clock(hour: str, minute: str | None, half: str | None) -> str | None:
    """Return "HH:MM" for a typed time, or None when it is no time of day."""
    h, m = int(hour), int(minute or 0)
    if half:
        if not 1 <= h <= 12:
            return None
        h = h % 12 + (12 if half.lower() == "p" else 0)
    if m > 59 or h > 24 or (h == 24 and m):
        return None
    return f"{h:02d}:{m:02d}"


def parse_day(value: str) -> list[tuple[str, str]]:
    """Return a day's (opens, closes) spans from text like "9:00-12:00, 13:00-17:00"; empty means closed."""
    spans = []
    for part in re.split(r"[,;]", value):
        if not part.strip():
            continue
        found = SPAN.match(part.strip())
        times = found and (_clock(*found.group(1, 2, 3)), _clock(*found.group(4, 5, 6)))
        if not found or None in times:
            raise ListingError(_("Write times like 9:00-17:00, and separate several with commas."))
        opens, closes = times
        if closes == "00:00":
            closes = "24:00"  # closing at midnight
        if opens >= closes:
            raise ListingError(
                _(
                    "%(opens)s-%(closes)s: the closing time must be after the opening time. For hours past midnight, "
                    "write until 24:00 on this day and from 0:00 on the next.",
                    opens=opens,
                    closes=closes,
                )
            )
        spans.append((opens, closes))
    spans = sorted(set(spans))
    for (opens, closes), (next_opens, next_closes) in zip(spans, spans[1:], strict=False):
        if next_opens < closes:
            raise ListingError(
                _(
                    "%(first)s and %(second)s overlap.",
                    first=f"{opens}-{closes}",
                    second=f"{next_opens}-{next_closes}",
                )
            )
    return spans


def day_text(spans: list[tuple[str, str]]) -> str:
    """Return a day's spans as "09:00-12:00, 13:00-17:00"."""
    return ", ".join(f"{opens}-{closes}" for opens, closes in spans)


def parse_hours(value: str) -> dict[str, list[tuple[str, str]]]:
    """Return day code -> spans from the canonical text of weekly hours ("MO 09:00-17:00", a line a day)."""
    week: dict[str, list[tuple[str, str]]] = {}
    for line in lines_of(value):
        code, _space, spans = line.partition(" ")
        if code.upper() not in DAY_CODES:
            raise ListingError(_("Start each line with a day: MO, TU, WE, TH, FR, SA or SU."), field="hours")
        try:
            week[code.upper()] = parse_day(day_text(week.get(code.upper(), [])) + "," + spans)
        except ListingError as error:
            raise ListingError(error.message, field="hours") from None
    return week


def hours_text(week: dict[str, list[tuple[str, str]]]) -> str:
    """Return weekly hours as their canonical text: a line per open day, Monday first."""
    return "\n".join(f"{code} {day_text(week[code])}" for code in DAY_CODES if week.get(code))


def hhmm(value: str) -> str:
    """Return a stored time as "HH:MM" (imports may say "9:00" or "09:00:00")."""
    found = re.match(r"^(\d{1,2}):(\d{2})", value.strip())
    return f"{int(found.group(1)):02d}:{found.group(2)}" if found else value.strip()


PHONE_TYPES = ("voice", "text", "fax", "hotline", "tty")


PHONE_CHARACTERS = re.compile(r"^[0-9+().\-\s]+$")


PUBLIC_CONTACT = "public contact"


@dataclass(frozen=True)
class PhoneLine:
    """One phone as the pipeline reads and writes it (a line of the canonical text)."""

    number: str
    extension: int | None = None
    type: str = "voice"
    public_contact: bool = False
    description: str = ""

    @property
    def key(self) -> tuple[str, int | None]:
        """The digits and extension: what makes two phones the same phone."""
        return re.sub(r"\D", "", self.number), self.extension

    @property
    def line(self) -> str:
        """The canonical text: "214-555-0100 ext. 12 | hotline, public contact | Spanish line"."""
        head = self.number + (f" ext. {self.extension}" if self.extension else "")
        kind = self.type + (f", {PUBLIC_CONTACT}" if self.public_contact else "")
        return " | ".join([head, kind, *([self.description] if self.description else [])])


def phone_problem(number: str) -> str | None:
    """Return what is wrong with a phone number, in the user's language, or None."""
    if not PHONE_CHARACTERS.match(number):
        return _("Use only digits, spaces and + ( ) - . in a phone number.")
    if not 7 <= len(re.sub(r"\D", "", number)) <= 15:
        return _("A phone number has 7 to 15 digits.")
    return None


def phone_line(
    *, number: str, extension: int | str | None, type: str | None, public_contact: bool, description: str | None
) -> PhoneLine:
    """Return a phone in canonical form (an unknown type reads as voice, the HSDS default)."""
    return PhoneLine(
        number=" ".join(number.split()),
        extension=int(extension) if extension not in (None, "") else None,
        type=type if type in PHONE_TYPES else "voice",
        public_contact=bool(public_contact),
        description=" ".join((description or "").split()),
    )


def phones_text(phones: list[PhoneLine]) -> str:
    """Return phones as their canonical text: a line each, one line per number and extension."""
    unique = {phone.key: phone for phone in reversed(phones)}
    return "\n".join(sorted((phone.line for phone in unique.values()), key=str.casefold))


def parse_phones(value: str) -> list[PhoneLine]:
    """Return the phones of a canonical text, or raise ListingError."""
    phones = []
    for line in lines_of(value):
        head, _bar, rest = line.partition(" | ")
        kind, _bar, description = rest.partition(" | ")
        number, _ext, extension = head.partition(" ext. ")
        kind, _comma, flag = kind.partition(",")
        problem = phone_problem(number) or (
            None if extension.isdigit() or not extension else _("An extension is digits only, like 12.")
        )
        if problem is None and kind.strip() not in ("", *PHONE_TYPES):
            problem = _("Choose a kind of phone from the list.")
        if problem:
            raise ListingError(problem, field="phones")
        phones.append(
            phone_line(
                number=number,
                extension=extension,
                type=kind.strip(),
                public_contact=flag.strip() == PUBLIC_CONTACT,
                description=description,
            )
        )
    return phones


# Every value a form or a restore may bring is parsed before anything is written.
PARSERS: dict[str, Callable[[str], Any]] = {
    "language_notes": parse_language_notes,
    "hours": parse_hours,
    "phones": parse_phones,
}
