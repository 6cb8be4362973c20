"""Small factories for test data: a service at a place, with needs, languages and credentials."""

from datetime import date

from sqlmodel import Session

from matching.index import reindex_services
from models import (
    Address,
    Attribute,
    Credential,
    Language,
    Location,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
)
from seed.load import ensure_taxonomy, term_id


def make_service(
    session: Session,
    *,
    name: str,
    needs: list[str],
    lat: float | None = None,
    lon: float | None = None,
    state: str | None = "TX",
    county: str | None = "Dallas County",
    languages: list[str] = (),
    cost: str | None = None,
    credentials: list[str] = (),
    capacity: str | None = None,
    delivery: str = "in-person",
    confidential: bool = False,
    street: str = "100 Main St",
    areas: list[tuple[str, str | None, str | None]] = (),
    hours: list[tuple[str, str, str]] = (),
    phone: str | None = "214-555-0100",
    public_phone: str | None = None,
    precision: str = "manual",
    city: str = "Dallas",
    service_phones: list[tuple[str, str]] = (),
    sources: str = "",
    listed_on: date | None = None,
    assured_date: date | None = None,
) -> Service:
    """Create an organization with one service (and one site when lat/lon are given); index it.

    ``service_phones`` are (number, HSDS type) pairs on the service itself, e.g. ("88788", "text").
    """
    ensure_taxonomy(session)
    org = Organization(name=name, description="", sources=sources)
    session.add(org)
    session.flush()
    service = Service(
        organization_id=org.id, name=f"{name} service", cost=cost, capacity=capacity, delivery=delivery,
        listed_on=listed_on, assured_date=assured_date,
    )
    session.add(service)
    session.flush()
    if lat is not None:
        location = Location(
            organization_id=org.id,
            name=name,
            latitude=lat,
            longitude=lon,
            confidential=confidential,
            geocode_precision=precision,
            state=state,
            county=county,
            timezone="America/Chicago",
        )
        session.add(location)
        session.flush()
        session.add(
            Address(location_id=location.id, address_1=street, city=city, state_province="TX", postal_code="75201")
        )
        session.add(ServiceAtLocation(service_id=service.id, location_id=location.id))
        if phone:
            session.add(Phone(location_id=location.id, number=phone))
        for day, opens, closes in hours:
            session.add(Schedule(location_id=location.id, freq="WEEKLY", byday=day, opens_at=opens, closes_at=closes))
    for number, kind in service_phones:
        session.add(Phone(service_id=service.id, number=number, type=kind))
    if public_phone:
        session.add(Phone(organization_id=org.id, number=public_phone, type="hotline", public_contact=True))
    for code in needs:
        session.add(Attribute(link_id=service.id, taxonomy_term_id=term_id(code), link_entity="service"))
    for code in languages:
        session.add(Language(service_id=service.id, code=code))
    for kind in credentials:
        session.add(Credential(service_id=service.id, kind=kind))
    for scope, area_state, area_name in areas:
        session.add(ServiceArea(service_id=service.id, scope=scope, state=area_state, name=area_name))
    session.flush()
    reindex_services(session, [service.id])
    session.commit()
    return service
