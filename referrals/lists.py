"""A caseworker's saved lists of services ("Asylum, Dallas"), to refer clients again and again.

A list belongs to the caseworker who made it and nobody else, not even colleagues of the same
agency: a list's name is free text and may end up describing a client ("Maria, asylum"), so it
stays with one person, like their notes. Another person's list answers as if it did not exist.
"""

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from sqlmodel import Session

from models import Location, Organization, Phone, SavedList, SavedListItem, Service, ServiceAtLocation, User

NAME_MAX_LENGTH = 200


class ListError(Exception):
    """A broken rule about saved lists; ``field`` names the form field the message belongs to."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass
class SavedService:
    """One service on a list, with what a caseworker needs to pick it again."""

    item: SavedListItem
    service: Service
    organization: Organization
    phone: str | None


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ListError(_("Give the list a name."), field="name")
    if len(name) > NAME_MAX_LENGTH:
        raise ListError(_("Keep the name under %(count)d characters.", count=NAME_MAX_LENGTH), field="name")
    return name


def lists_of(session: Session, *, user: User) -> list[tuple[SavedList, int]]:
    """Return the user's lists, by name, with how many services each holds."""
    rows = session.execute(
        select(SavedList, func.count(SavedListItem.id))
        .outerjoin(SavedListItem, SavedListItem.saved_list_id == SavedList.id)
        .where(SavedList.user_id == user.id)
        .group_by(SavedList.id)
        .order_by(func.lower(SavedList.name), SavedList.created_at)
    ).all()
    return [(saved, count) for saved, count in rows]


def list_of_user(session: Session, *, user: User, list_id: str) -> SavedList | None:
    """Return one of the user's lists, or None (also for someone else's)."""
    saved = session.get(SavedList, list_id)
    return saved if saved is not None and saved.user_id == user.id else None


def create_list(session: Session, *, user: User, name: str) -> SavedList:
    """Make a new, empty list."""
    saved = SavedList(user_id=user.id, name=_clean_name(name))
    session.add(saved)
    session.commit()
    return saved


def rename_list(session: Session, *, saved: SavedList, name: str) -> None:
    """Rename a list."""
    saved.name = _clean_name(name)
    session.add(saved)
    session.commit()


def delete_list(session: Session, *, saved: SavedList) -> None:
    """Delete a list and its entries (the services themselves stay, of course)."""
    session.execute(delete(SavedListItem).where(SavedListItem.saved_list_id == saved.id))
    session.delete(saved)
    session.commit()


def add_to_list(session: Session, *, user: User, list_id: str | None, service_id: str) -> SavedList:
    """Save a service to one of the user's lists (a new "Saved services" list when none is given); return the list."""
    if session.get(Service, service_id) is None:
        raise ListError(_("This service is no longer listed."), field="service_id")
    if list_id:
        saved = list_of_user(session, user=user, list_id=list_id)
        if saved is None:
            raise ListError(_("Choose one of your lists."), field="list_id")
    else:
        saved = SavedList(user_id=user.id, name=_("Saved services"))
        session.add(saved)
        session.flush()
    already = select(SavedListItem.id).where(
        SavedListItem.saved_list_id == saved.id, SavedListItem.service_id == service_id
    )
    if session.execute(already).first() is None:
        session.add(SavedListItem(saved_list_id=saved.id, service_id=service_id))
    session.commit()
    return saved


def remove_from_list(session: Session, *, saved: SavedList, service_id: str) -> None:
    """Take a service off a list (nothing happens if it is not on it)."""
    session.execute(
        delete(SavedListItem).where(SavedListItem.saved_list_id == saved.id, SavedListItem.service_id == service_id)
    )
    session.commit()


def services_on(session: Session, *, saved: SavedList) -> list[SavedService]:
    """Return the services on a list, by organization name, each with a phone number."""
    rows = session.execute(
        select(SavedListItem, Service, Organization)
        .join(Service, Service.id == SavedListItem.service_id)
        .join(Organization, Organization.id == Service.organization_id)
        .where(SavedListItem.saved_list_id == saved.id)
        .order_by(func.lower(Organization.name), func.lower(Service.name))
    ).all()
    phones = _phones(session, service_ids=[service.id for _item, service, _org in rows])
    return [
        SavedService(item=item, service=service, organization=organization, phone=phones.get(service.id))
        for item, service, organization in rows
    ]


def _phones(session: Session, *, service_ids: list[str]) -> dict[str, str]:
    """Return one phone per service: its own, else a public site's, else its organization's."""
    if not service_ids:
        return {}
    found: dict[str, str] = {}
    queries = [
        select(Phone.service_id, Phone.number).where(Phone.service_id.in_(service_ids)),
        select(ServiceAtLocation.service_id, Phone.number)
        .join(Location, Location.id == ServiceAtLocation.location_id)
        .join(Phone, Phone.location_id == Location.id)
        .where(ServiceAtLocation.service_id.in_(service_ids), Location.confidential.is_(False)),
        select(Service.id, Phone.number)
        .join(Phone, Phone.organization_id == Service.organization_id)
        .where(Service.id.in_(service_ids)),
    ]
    for query in queries:
        for service_id, number in session.execute(query.order_by(Phone.number)).all():
            found.setdefault(service_id, number)
    return found
