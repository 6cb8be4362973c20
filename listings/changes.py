"""The edit pipeline of listings: read and write fields as text, record history, moderate, detect conflicts.

Every change goes through ``apply_changes``: one HSDS metadata row per changed field, the
record's version bumped with a compare-and-set, and the search index refreshed, all in the
caller's transaction. Rules raise ListingError, whose message the view puts on the form field.
"""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import or_, select, update
from sqlmodel import Session

from matching.engine import DAY_CODES
from matching.index import reindex_services
from models import (
    Accessibility,
    Address,
    Attribute,
    ChangeRequest,
    Credential,
    Language,
    ListingReport,
    Location,
    Membership,
    Metadata,
    Organization,
    Phone,
    RequiredDocument,
    Schedule,
    Service,
    ServiceAtLocation,
    TaxonomyTerm,
    User,
)
from models.base import today, utcnow
from seed.load import term_id

MODELS = {"organization": Organization, "service": Service, "location": Location}
ADDRESS_FIELDS = ("address_1", "address_2", "city", "state_province", "postal_code")
CONFIDENTIAL_FREE_TEXT = ("transportation", "accessibility", "hours_notes")


class ListingError(Exception):
    """A broken listing rule; ``field`` names the form field the message belongs to."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class EditConflict(ListingError):
    """Someone saved the record since the form was opened: nothing was written."""

    def __init__(self, *, stored: dict[str, str], version: int):
        super().__init__(_("Someone else saved this listing while you were editing it. Nothing was saved."))
        self.stored = stored
        self.version = version


@dataclass
class EditResult:
    published: dict[str, tuple[str, str]]
    pending: ChangeRequest | None


# How one field is read and written: get(session, record) -> text, put(session, record, text).
FieldAccess = tuple[Callable[[Session, Any], str], Callable[[Session, Any, str], None]]


# Reading and writing one field as text (the form of HSDS metadata values).


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


def _column(name: str, kind: str = "text", *, nullable: bool = True):
    def get(_session: Session, record: Any) -> str:
        return dump(getattr(record, name))

    def put(_session: Session, record: Any, value: str) -> None:
        if kind == "bool":
            setattr(record, name, value == "yes")
        elif kind == "date":
            setattr(record, name, date.fromisoformat(value) if value else None)
        else:
            setattr(record, name, value or (None if nullable else ""))

    return get, put


def _get_needs(session: Session, service: Service) -> str:
    codes = session.execute(
        select(TaxonomyTerm.code)
        .join(Attribute, Attribute.taxonomy_term_id == TaxonomyTerm.id)
        .where(Attribute.link_id == service.id, Attribute.link_entity == "service")
    ).scalars()
    return ",".join(sorted(code for code in codes if code))


def _put_needs(session: Session, service: Service, value: str) -> None:
    wanted = {term_id(code): code for code in split_codes(value)}
    rows = session.execute(
        select(Attribute).where(Attribute.link_id == service.id, Attribute.link_entity == "service")
    ).scalars()
    for row in rows:
        if row.taxonomy_term_id in wanted:
            wanted.pop(row.taxonomy_term_id)
        else:
            session.delete(row)
    for term in wanted:
        session.add(Attribute(link_id=service.id, taxonomy_term_id=term, link_entity="service"))


def _child_codes(model: Any, column: str):
    """Read and write rows of ``model`` under a service as a comma list (rows kept stay untouched)."""

    def get(session: Session, service: Service) -> str:
        values = session.execute(select(getattr(model, column)).where(model.service_id == service.id)).scalars()
        return ",".join(sorted({value for value in values if value}))

    def put(session: Session, service: Service, value: str) -> None:
        wanted = split_codes(value)
        for row in session.execute(select(model).where(model.service_id == service.id)).scalars():
            if getattr(row, column) in wanted:
                wanted.remove(getattr(row, column))
            else:
                session.delete(row)
        for code in wanted:
            session.add(model(service_id=service.id, **{column: code}))

    return get, put


def _address_of(session: Session, location: Location) -> Address | None:
    return (
        session.execute(
            select(Address).where(Address.location_id == location.id).order_by(Address.address_type != "physical")
        )
        .scalars()
        .first()
    )


def _address(name: str):
    def get(session: Session, location: Location) -> str:
        return dump(getattr(_address_of(session, location), name, None))

    def put(session: Session, location: Location, value: str) -> None:
        address = _address_of(session, location)
        if address is None:
            address = Address(location_id=location.id)
            session.add(address)
        nullable = name == "address_2"
        setattr(address, name, value or (None if nullable else ""))

    return get, put


# Fields made of several rows: documents, language notes, weekly hours, accessibility, phones.
# Each has one canonical text form (what history shows and restore puts back) and a parser that
# raises ListingError with a message for the person who typed it.


def _lines(value: str) -> list[str]:
    """Return the non-empty lines of a text, trimmed, inner spaces collapsed, without repeats."""
    return list(dict.fromkeys(" ".join(line.split()) for line in value.splitlines() if line.strip()))


def documents_text(value: str) -> str:
    """Return documents, one a line, in the canonical order (rows have no order of their own)."""
    return "\n".join(sorted(_lines(value), key=str.casefold))


def _get_documents(session: Session, service: Service) -> str:
    rows = session.execute(select(RequiredDocument.document).where(RequiredDocument.service_id == service.id))
    return documents_text("\n".join(document for document in rows.scalars() if document))


def _put_documents(session: Session, service: Service, value: str) -> None:
    wanted = _lines(value)
    rows = session.execute(select(RequiredDocument).where(RequiredDocument.service_id == service.id)).scalars()
    for row in rows:
        # A kept document keeps its row (and the link an import may have given it).
        if row.document in wanted:
            wanted.remove(row.document)
        else:
            session.delete(row)
    for document in wanted:
        session.add(RequiredDocument(service_id=service.id, document=document))


LANGUAGE_NOTE_LINE = re.compile(r"^([A-Za-z]{2,3})\s*[:=\-–]\s*(.+)$")


def parse_language_notes(value: str) -> dict[str, str]:
    """Return code -> note from lines like "es: Spanish intake line only"; two lines of a code are joined."""
    notes: dict[str, str] = {}
    for line in _lines(value):
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


def _get_language_notes(session: Session, service: Service) -> str:
    rows = session.execute(select(Language).where(Language.service_id == service.id)).scalars()
    notes: dict[str, str] = {}
    for row in rows:
        if row.code and row.note and row.code not in notes:
            notes[row.code] = " ".join(row.note.split())
    return language_notes_text(notes)


def _put_language_notes(session: Session, service: Service, value: str) -> None:
    notes = parse_language_notes(value)
    for row in session.execute(select(Language).where(Language.service_id == service.id)).scalars():
        row.note = notes.pop(row.code, None)
    # submit_changes adds a note's language to the codes first; should a note still come alone
    # (an old change request), its language is kept rather than the note dropped.
    for code, note in notes.items():
        session.add(Language(service_id=service.id, code=code, note=note))


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
    for line in _lines(value):
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


def _hhmm(value: str) -> str:
    """Return a stored time as "HH:MM" (imports may say "9:00" or "09:00:00")."""
    found = re.match(r"^(\d{1,2}):(\d{2})", value.strip())
    return f"{int(found.group(1)):02d}:{found.group(2)}" if found else value.strip()


def _weekly(row: Schedule) -> bool:
    """Tell whether a schedule row is a weekly opening span (what search and the hours table read)."""
    return row.freq in (None, "WEEKLY") and bool(row.opens_at) and bool(row.closes_at)


def _hours(owner: str) -> tuple[FieldAccess, FieldAccess]:
    """Read and write weekly hours and notes on hours of a location or a service (``owner``: the Schedule column).

    Seeded listings keep hours on the service, edited ones may have them on the location; the
    public page and search merge both, so both are editable.
    """

    def schedules(session: Session, record: Any) -> list[Schedule]:
        column = getattr(Schedule, owner)
        return list(session.execute(select(Schedule).where(column == record.id).order_by(Schedule.id)).scalars())

    def get_hours(session: Session, record: Any) -> str:
        week: dict[str, set[tuple[str, str]]] = {}
        for row in filter(_weekly, schedules(session, record)):
            for code in (row.byday or "").split(","):
                if code.strip().upper() in DAY_CODES:
                    week.setdefault(code.strip().upper(), set()).add((_hhmm(row.opens_at), _hhmm(row.closes_at)))
        return hours_text({code: sorted(spans) for code, spans in week.items()})

    def put_hours(session: Session, record: Any, value: str) -> None:
        for row in filter(_weekly, schedules(session, record)):
            session.delete(row)
        # Days with the same spans share rows (byday "MO,TU,WE"), as HSDS schedules usually do.
        days_by_spans: dict[tuple, list[str]] = {}
        for code, spans in parse_hours(value).items():
            days_by_spans.setdefault(tuple(spans), []).append(code)
        for spans, days in days_by_spans.items():
            for opens, closes in spans:
                row = Schedule(freq="WEEKLY", byday=",".join(days), opens_at=opens, closes_at=closes)
                setattr(row, owner, record.id)
                session.add(row)

    def notes_rows(session: Session, record: Any) -> list[Schedule]:
        return [row for row in schedules(session, record) if not _weekly(row) and row.freq in (None, "WEEKLY")]

    def get_notes(session: Session, record: Any) -> str:
        return "\n".join(text.strip() for row in notes_rows(session, record) if (text := row.notes or row.description))

    def put_notes(session: Session, record: Any, value: str) -> None:
        # Notes live on a schedule row without times, which search and the hours table skip.
        rows = notes_rows(session, record)
        for row in rows[1:]:
            session.delete(row)
        if rows and value:
            rows[0].notes, rows[0].description = value, None
        elif rows:
            session.delete(rows[0])
        elif value:
            row = Schedule(notes=value)
            setattr(row, owner, record.id)
            session.add(row)

    return (get_hours, put_hours), (get_notes, put_notes)


def _get_accessibility(session: Session, location: Location) -> str:
    rows = session.execute(
        select(Accessibility.description).where(Accessibility.location_id == location.id).order_by(Accessibility.id)
    ).scalars()
    return "\n\n".join(text.strip() for text in rows if text and text.strip())


def _put_accessibility(session: Session, location: Location, value: str) -> None:
    rows = list(
        session.execute(
            select(Accessibility).where(Accessibility.location_id == location.id).order_by(Accessibility.id)
        ).scalars()
    )
    if not rows and value:
        session.add(Accessibility(location_id=location.id, description=value))
    for index, row in enumerate(rows):
        row.description = (value or None) if index == 0 else None
        if not (row.description or row.details or row.url):
            session.delete(row)


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
    for line in _lines(value):
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


def _phones(owner: str):
    """Read and write the phones of an organization, service or location (``owner`` is Phone's column)."""

    def rows(session: Session, record: Any) -> list[Phone]:
        return list(session.execute(select(Phone).where(getattr(Phone, owner) == record.id)).scalars())

    def get(session: Session, record: Any) -> str:
        return phones_text(
            [
                phone_line(
                    number=row.number,
                    extension=row.extension,
                    type=row.type,
                    public_contact=row.public_contact,
                    description=row.description,
                )
                for row in rows(session, record)
            ]
        )

    def put(session: Session, record: Any, value: str) -> None:
        wanted = {phone.key: phone for phone in parse_phones(value)}
        for row in rows(session, record):
            phone = wanted.pop(phone_line(number=row.number, extension=row.extension, type=None,
                                          public_contact=False, description=None).key, None)  # fmt: skip
            if phone is None:
                # A language may name the phone it is spoken on; it stays, without the phone.
                session.execute(update(Language).where(Language.phone_id == row.id).values(phone_id=None))
                session.delete(row)
            else:
                row.number, row.extension, row.type = phone.number, phone.extension, phone.type
                row.public_contact, row.description = phone.public_contact, phone.description or None
        for phone in wanted.values():
            session.add(
                Phone(
                    **{owner: record.id},
                    number=phone.number,
                    extension=phone.extension,
                    type=phone.type,
                    public_contact=phone.public_contact,
                    description=phone.description or None,
                )
            )

    return get, put


# Every value a form or a restore may bring is parsed before anything is written.
PARSERS: dict[str, Callable[[str], Any]] = {
    "language_notes": parse_language_notes,
    "hours": parse_hours,
    "phones": parse_phones,
}


FIELDS: dict[str, dict[str, FieldAccess]] = {
    "organization": {
        "name": _column("name", nullable=False),
        "description": _column("description", nullable=False),
        "website": _column("website"),
        "email": _column("email"),
        "phones": _phones("organization_id"),
    },
    "service": {
        "description": _column("description"),
        "eligibility_description": _column("eligibility_description"),
        "application_process": _column("application_process"),
        "fees_description": _column("fees_description"),
        "cost": _column("cost"),
        "delivery": _column("delivery", nullable=False),
        "needs": (_get_needs, _put_needs),
        "languages": _child_codes(Language, "code"),
        # After "languages": apply_changes writes in this order, so a new language has its row for its note.
        "language_notes": (_get_language_notes, _put_language_notes),
        "documents": (_get_documents, _put_documents),
        **dict(zip(("hours", "hours_notes"), _hours("service_id"), strict=True)),
        "phones": _phones("service_id"),
        "credentials": _child_codes(Credential, "kind"),
        "no_id_needed": _column("no_id_needed", "bool"),
        "capacity": _column("capacity"),
        "capacity_stated_on": _column("capacity_stated_on", "date"),
        "assured_date": _column("assured_date", "date"),
    },
    "location": {
        **{name: _address(name) for name in ADDRESS_FIELDS},
        "confidential": _column("confidential", "bool"),
        **dict(zip(("hours", "hours_notes"), _hours("location_id"), strict=True)),
        "accessibility": (_get_accessibility, _put_accessibility),
        "transportation": _column("transportation"),
        "phones": _phones("location_id"),
    },
}


def read_values(session: Session, *, resource_type: str, record: Any) -> dict[str, str]:
    """Return every editable field of a record as text."""
    return {name: get(session, record) for name, (get, _put) in FIELDS[resource_type].items()}


# Finding records and their organization.


def find_record(session: Session, *, resource_type: str, resource_id: str) -> Any:
    """Return the organization, service or location with this id, or raise ListingError."""
    record = session.get(MODELS[resource_type], resource_id) if resource_type in MODELS else None
    if record is None or (resource_type == "location" and record.organization_id is None):
        raise ListingError(_("This listing does not exist."))
    return record


def organization_id_of(resource_type: str, record: Any) -> str:
    """Return the id of the organization a record belongs to."""
    return record.id if resource_type == "organization" else record.organization_id


def services_touched(session: Session, *, resource_type: str, record: Any) -> list[str]:
    """Return the services whose search entries a change to this record affects."""
    if resource_type == "service":
        return [record.id]
    if resource_type == "organization":
        return list(session.execute(select(Service.id).where(Service.organization_id == record.id)).scalars())
    return list(
        session.execute(
            select(ServiceAtLocation.service_id).where(ServiceAtLocation.location_id == record.id)
        ).scalars()
    )


def _at_confidential_location(session: Session, *, resource_type: str, record: Any, new_values: dict) -> bool:
    """Tell whether a record is, or serves at, a confidential location (after this edit)."""
    if resource_type == "location":
        return record.confidential or new_values.get("confidential") == "yes"
    confidential = select(Location.id).where(Location.confidential)
    if resource_type == "service":
        confidential = confidential.join(ServiceAtLocation, ServiceAtLocation.location_id == Location.id).where(
            ServiceAtLocation.service_id == record.id
        )
    else:
        confidential = confidential.where(Location.organization_id == record.id)
    return session.execute(confidential.limit(1)).first() is not None


def is_sensitive(session: Session, *, resource_type: str, field: str, record: Any, new_values: dict[str, str]) -> bool:
    """Tell whether a change to this field must wait for a moderator, even for a verified organization."""
    if (resource_type, field) in (("organization", "name"), ("service", "credentials")):
        return True
    if resource_type == "location":
        confidential = record.confidential or new_values.get("confidential") == "yes"
        if field in ADDRESS_FIELDS and confidential:
            return True
        # Free text about a confidential site easily names its street ("bus 7 stops at the corner of ..."):
        # a moderator reads it first, like the address.
        if field in CONFIDENTIAL_FREE_TEXT and confidential:
            return True
        # Making a confidential location public would publish its address.
        if field == "confidential" and record.confidential and new_values.get("confidential") == "no":
            return True
    # The phones of a shelter are all a victim can reach it by (its address is never shown): a changed
    # number could send them to an abuser or a scammer, so a moderator checks it first. This holds for
    # the phones of the confidential location itself and for those of its service and organization,
    # which the public pages show in its place.
    if field == "phones":
        return _at_confidential_location(session, resource_type=resource_type, record=record, new_values=new_values)
    return False


def _check(resource_type: str, values: dict[str, str]) -> None:
    """Parse every value that has a syntax, so that a bad one is refused before anything is written."""
    for name, value in values.items():
        if name in PARSERS and name in FIELDS[resource_type]:
            try:
                PARSERS[name](value)
            except ListingError as error:
                raise ListingError(error.message, field=name) from None


def _with_dependents(resource_type: str, stored: dict[str, str], values: dict[str, str]) -> dict[str, str]:
    """Return values plus what they imply for related fields (a restore brings one field alone).

    A note needs its language; a language taken away takes its note with it, recorded rather than lost.
    """
    if resource_type != "service" or not {"languages", "language_notes"} & values.keys():
        return values
    merged = {**stored, **values}
    codes = split_codes(merged["languages"])
    notes = parse_language_notes(merged["language_notes"])
    values = dict(values)
    if "language_notes" in values and "languages" not in values:
        values["languages"] = ",".join(sorted({*codes, *notes}))
    else:
        values["language_notes"] = language_notes_text({code: note for code, note in notes.items() if code in codes})
    return values


# The pipeline.


def apply_changes(
    session: Session,
    *,
    resource_type: str,
    record: Any,
    changes: dict[str, str],
    updated_by: str,
    action: str = "update",
) -> dict[str, tuple[str, str]]:
    """Write changed fields with one history row each, bump the version, reindex; return field -> (old, new)."""
    fields = FIELDS[resource_type]
    # Every old value is read before anything is written (a language's removal takes its note), and
    # fields are written in the table's order (a new language gets its row before its note).
    olds = {name: fields[name][0](session, record) for name in fields if name in changes}
    done: dict[str, tuple[str, str]] = {}
    for name, old in olds.items():
        new = changes[name]
        if old == new:
            continue
        fields[name][1](session, record, new)
        done[name] = (old, new)
        session.add(
            Metadata(
                resource_id=record.id,
                resource_type=resource_type,
                last_action_type=action,
                field_name=name,
                previous_value=old,
                replacement_value=new,
                updated_by=updated_by[:300],
            )
        )
    if not done:
        return done
    model = MODELS[resource_type]
    # Compare-and-set: a concurrent save that got here first makes this one fail, not overwrite.
    bumped = session.execute(
        update(model).where(model.id == record.id, model.version == record.version).values(version=record.version + 1)
    )
    if bumped.rowcount != 1:
        session.rollback()
        session.refresh(record)
        raise EditConflict(
            stored=read_values(session, resource_type=resource_type, record=record), version=record.version
        )
    session.expire(record, ["version"])
    if hasattr(record, "last_modified"):
        record.last_modified = utcnow()
    session.flush()
    reindex_services(session, services_touched(session, resource_type=resource_type, record=record))
    return done


def submit_changes(
    session: Session,
    *,
    user: User,
    resource_type: str,
    resource_id: str,
    values: dict[str, str],
    version: int,
    action: str = "update",
) -> EditResult:
    """Save an edit: publish what may publish, queue the rest for review; refuse a stale version."""
    record = find_record(session, resource_type=resource_type, resource_id=resource_id)
    stored = read_values(session, resource_type=resource_type, record=record)
    if record.version != version:
        raise EditConflict(stored=stored, version=record.version)
    _check(resource_type, values)
    values = _with_dependents(resource_type, stored, values)
    changed = {name: value for name, value in values.items() if name in stored and stored[name] != value}
    organization = session.get(Organization, organization_id_of(resource_type, record))
    held = {
        name: value
        for name, value in changed.items()
        if not organization.verified
        or is_sensitive(session, resource_type=resource_type, field=name, record=record, new_values=values)
    }
    publish = {name: value for name, value in changed.items() if name not in held}
    published = apply_changes(
        session, resource_type=resource_type, record=record, changes=publish, updated_by=user.email, action=action
    )
    pending = None
    if held:
        pending = ChangeRequest(
            organization_id=organization.id,
            resource_type=resource_type,
            resource_id=record.id,
            changes=json.dumps({name: [stored[name], value] for name, value in held.items()}),
            submitted_by=user.id,
        )
        session.add(pending)
    session.commit()
    return EditResult(published=published, pending=pending)


def set_capacity(session: Session, *, user: User, service_id: str, capacity: str) -> None:
    """Say whether a service takes new clients, as of today (publishes at once: it is about today, not trust)."""
    service = find_record(session, resource_type="service", resource_id=service_id)
    changes = {"capacity": capacity, "capacity_stated_on": today().isoformat()}
    apply_changes(session, resource_type="service", record=service, changes=changes, updated_by=user.email)
    session.commit()


def confirm_listing(session: Session, *, user: User, service_id: str) -> None:
    """Record that someone checked today that the service's listing is still correct."""
    service = find_record(session, resource_type="service", resource_id=service_id)
    changes = {"assured_date": today().isoformat()}
    apply_changes(session, resource_type="service", record=service, changes=changes, updated_by=user.email)
    service.assurer_email = user.email
    session.commit()


# History.


def history_of(session: Session, *, organization_id: str) -> list[Metadata]:
    """Return every recorded change to an organization, its services and its locations, newest first."""
    ids = [organization_id]
    ids += session.execute(select(Service.id).where(Service.organization_id == organization_id)).scalars().all()
    ids += session.execute(select(Location.id).where(Location.organization_id == organization_id)).scalars().all()
    return list(
        session.execute(
            select(Metadata).where(Metadata.resource_id.in_(ids)).order_by(Metadata.last_action_date.desc())
        ).scalars()
    )


def history_entry(session: Session, *, metadata_id: str) -> tuple[Metadata, str]:
    """Return a history row and the id of its organization, or raise ListingError."""
    entry = session.get(Metadata, metadata_id)
    if entry is None or entry.field_name not in FIELDS.get(entry.resource_type, {}):
        raise ListingError(_("This change does not exist."))
    record = find_record(session, resource_type=entry.resource_type, resource_id=entry.resource_id)
    return entry, organization_id_of(entry.resource_type, record)


def restore(session: Session, *, user: User, metadata_id: str) -> EditResult:
    """Put an earlier value back, through the same pipeline (so the restore is itself recorded and moderated)."""
    entry, _organization_id = history_entry(session, metadata_id=metadata_id)
    record = find_record(session, resource_type=entry.resource_type, resource_id=entry.resource_id)
    return submit_changes(
        session,
        user=user,
        resource_type=entry.resource_type,
        resource_id=entry.resource_id,
        values={entry.field_name: entry.previous_value},
        version=record.version,
        action="restore",
    )


# Moderation.


def pending_changes(session: Session) -> list[tuple[ChangeRequest, Organization, User]]:
    """Return the change requests waiting for review, oldest first."""
    rows = session.execute(
        select(ChangeRequest, Organization, User)
        .join(Organization, Organization.id == ChangeRequest.organization_id)
        .join(User, User.id == ChangeRequest.submitted_by)
        .where(ChangeRequest.status == "pending")
        .order_by(ChangeRequest.submitted_at)
    )
    return [tuple(row) for row in rows]


def changes_submitted_by(session: Session, *, user_id: str) -> list[tuple[ChangeRequest, Organization]]:
    """Return a user's change requests that wait or were rejected, newest first."""
    rows = session.execute(
        select(ChangeRequest, Organization)
        .join(Organization, Organization.id == ChangeRequest.organization_id)
        .where(ChangeRequest.submitted_by == user_id, ChangeRequest.status.in_(("pending", "rejected")))
        .order_by(ChangeRequest.submitted_at.desc())
    )
    return [tuple(row) for row in rows]


def field_changes(change: ChangeRequest) -> dict[str, list[str]]:
    """Return a change request's fields as field -> [old, new]."""
    return json.loads(change.changes)


def _pending(session: Session, change_id: str) -> ChangeRequest:
    change = session.get(ChangeRequest, change_id)
    if change is None or change.status != "pending":
        raise ListingError(_("This change request has already been reviewed."))
    return change


def approve_change(session: Session, *, moderator: User, change_id: str) -> None:
    """Publish a change request, unless the listing changed since (then it must be rejected and redone)."""
    change = _pending(session, change_id)
    record = find_record(session, resource_type=change.resource_type, resource_id=change.resource_id)
    stored = read_values(session, resource_type=change.resource_type, record=record)
    fields = field_changes(change)
    if any(stored.get(name) != old for name, (old, _new) in fields.items()):
        raise ListingError(_("The listing has changed since this request was made. Reject it and ask for a new one."))
    submitter = session.get(User, change.submitted_by)
    apply_changes(
        session,
        resource_type=change.resource_type,
        record=record,
        changes={name: new for name, (_old, new) in fields.items()},
        updated_by=_("%(submitter)s (approved by %(moderator)s)", submitter=submitter.email, moderator=moderator.email),
    )
    change.status, change.reviewed_by, change.reviewed_at = "approved", moderator.id, utcnow()
    session.commit()


def reject_change(session: Session, *, moderator: User, change_id: str, reason: str) -> None:
    """Refuse a change request with a reason the submitter sees."""
    if not reason.strip():
        raise ListingError(_("Say why, so the organization can fix it."), field="reason")
    change = _pending(session, change_id)
    change.status, change.reviewed_by, change.reviewed_at = "rejected", moderator.id, utcnow()
    change.reason = reason.strip()
    session.commit()


def open_reports(session: Session) -> list[tuple[ListingReport, Service | None]]:
    """Return the public's open problem reports, oldest first (a translation report may have no listing)."""
    rows = session.execute(
        select(ListingReport, Service)
        .outerjoin(Service, Service.id == ListingReport.service_id)
        .where(ListingReport.status == "open")
        .order_by(ListingReport.created_at)
    )
    return [tuple(row) for row in rows]


def resolve_report(session: Session, *, report_id: str) -> None:
    """Close a problem report."""
    report = session.get(ListingReport, report_id)
    if report is None or report.status != "open":
        raise ListingError(_("This report is already closed."))
    report.status = "resolved"
    session.commit()


def stale_services(session: Session, *, stale_after: timedelta) -> list[tuple[Service, Organization]]:
    """Return active services of claimed organizations nobody has confirmed within ``stale_after``.

    A confirmation is ``service.assured_date``, and only a confirmation sets it; the day a source
    list was compiled (``service.listed_on``, seed data) never counts.
    """
    claimed = select(Membership.organization_id).where(Membership.role == "owner")
    rows = session.execute(
        select(Service, Organization)
        .join(Organization, Organization.id == Service.organization_id)
        .where(
            Organization.id.in_(claimed),
            Service.status == "active",
            or_(Service.assured_date.is_(None), Service.assured_date < today() - stale_after),
        )
        .order_by(Organization.name, Service.name)
    )
    return [tuple(row) for row in rows]


def organizations_of(session: Session, *, user_id: str) -> list[tuple[Organization, list[Service]]]:
    """Return the organizations a user belongs to, each with its services, by name."""
    organizations = session.execute(
        select(Organization)
        .join(Membership, Membership.organization_id == Organization.id)
        .where(Membership.user_id == user_id)
        .order_by(Organization.name)
    ).scalars()
    return [(organization, parts_of(session, organization_id=organization.id)[0]) for organization in organizations]


def parts_of(session: Session, *, organization_id: str) -> tuple[list[Service], list[Location]]:
    """Return an organization's services and locations, by name."""
    services = session.execute(
        select(Service).where(Service.organization_id == organization_id).order_by(Service.name)
    ).scalars()
    locations = session.execute(
        select(Location).where(Location.organization_id == organization_id).order_by(Location.name)
    ).scalars()
    return list(services), list(locations)
