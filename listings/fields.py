"""Reading and writing each editable field of an organization, service or location as text.

FIELDS maps a resource type to its fields, each a (get, put) pair; the text is the form HSDS
metadata rows keep, so history can show it and restore can put it back.
"""

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlmodel import Session

from listings.codecs import (
    documents_text,
    dump,
    hhmm,
    hours_text,
    language_notes_text,
    lines_of,
    parse_hours,
    parse_language_notes,
    parse_phones,
    phone_line,
    phones_text,
    split_codes,
)
from matching.engine import DAY_CODES
from models import (
    Accessibility,
    Address,
    Attribute,
    Credential,
    Language,
    Location,
    Phone,
    RequiredDocument,
    Schedule,
    Service,
    TaxonomyTerm,
)
from seed.load import term_id

ADDRESS_FIELDS = ("address_1", "address_2", "city", "state_province", "postal_code")
CONFIDENTIAL_FREE_TEXT = ("transportation", "accessibility", "hours_notes")


# How one field is read and written: get(session, record) -> text, put(session, record, text).
FieldAccess = tuple[Callable[[Session, Any], str], Callable[[Session, Any, str], None]]


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


def _get_documents(session: Session, service: Service) -> str:
    rows = session.execute(select(RequiredDocument.document).where(RequiredDocument.service_id == service.id))
    return documents_text("\n".join(document for document in rows.scalars() if document))


def _put_documents(session: Session, service: Service, value: str) -> None:
    wanted = lines_of(value)
    rows = session.execute(select(RequiredDocument).where(RequiredDocument.service_id == service.id)).scalars()
    for row in rows:
        # A kept document keeps its row (and the link an import may have given it).
        if row.document in wanted:
            wanted.remove(row.document)
        else:
            session.delete(row)
    for document in wanted:
        session.add(RequiredDocument(service_id=service.id, document=document))


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
                    week.setdefault(code.strip().upper(), set()).add((hhmm(row.opens_at), hhmm(row.closes_at)))
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
