"""Everything a provider page shows about one service, gathered with a fixed number of queries."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import or_, select
from sqlmodel import Session

from matching.details import public_address
from matching.engine import EXACT_PRECISIONS
from matching.needs import get_taxonomy
from models import (
    Accessibility,
    Address,
    Attribute,
    CostOption,
    Credential,
    Language,
    Location,
    Organization,
    Phone,
    RequiredDocument,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    TaxonomyTerm,
)
from models.base import today

STALE_AFTER = timedelta(days=183)  # about six months
# Phone lines one reaches without an appointment (HSDS phone types).
LINE_TYPES = ("hotline", "text", "sms")
LEGAL_NEEDS = ("immigration-legal", "legal-aid")


@dataclass
class Site:
    location: Location
    address: dict | None
    phones: list[Phone]
    languages: list[Language]
    schedules: list[Schedule]
    accessibility: list[Accessibility]

    @property
    def exact(self) -> bool:
        """Tell whether the site's point is its street address (directions to a town centre would mislead)."""
        return self.location.geocode_precision in EXACT_PRECISIONS


@dataclass
class HoursOf:
    """The weekly hours of one source: the service's own (``site`` None), or one of its sites."""

    site: "Site | None"
    schedules: list[Schedule]


def _has_times(schedules: list[Schedule]) -> bool:
    return any(row.opens_at and row.closes_at and row.freq in (None, "WEEKLY") for row in schedules)


@dataclass
class Listing:
    service: Service
    organization: Organization
    needs: list[str]
    sites: list[Site]
    phones: list[Phone]
    languages: list[Language]
    schedules: list[Schedule]
    credentials: list[Credential]
    cost_options: list[CostOption]
    documents: list[RequiredDocument]
    areas: list[ServiceArea]
    other_services: list[Service] = field(default_factory=list)

    @property
    def is_immigration_legal(self) -> bool:
        """Tell whether the service gives immigration legal help."""
        taxonomy = get_taxonomy()
        return any("immigration-legal" in (code, *taxonomy.ancestors(code)) for code in self.needs)

    @property
    def is_legal(self) -> bool:
        """Tell whether the service gives legal help (immigration or other)."""
        taxonomy = get_taxonomy()
        return any(set(LEGAL_NEEDS) & {code, *taxonomy.ancestors(code)} for code in self.needs)

    @property
    def all_phones(self) -> list[Phone]:
        """Return the phones of the service, its organization and its sites."""
        return self.phones + [phone for site in self.sites for phone in site.phones]

    @property
    def kind(self) -> str:
        """Return how one gets this help: "hotline", "remote" (phone, video or online), "both" or "in-person".

        Derived from the service's delivery and its phone lines, so that a hotline's page never says
        what to bring to an office or to walk in.
        """
        delivery = self.service.delivery
        if delivery == "remote":
            return "hotline" if any(phone.type in LINE_TYPES for phone in self.all_phones) else "remote"
        return delivery if delivery in ("both", "in-person") else "in-person"

    @property
    def text_line(self) -> bool:
        """Tell whether the service takes text messages."""
        return any(phone.type in ("text", "sms") for phone in self.all_phones)

    @property
    def never_confirmed(self) -> bool:
        """Tell whether the organization has never confirmed the listing (a source list's date is no confirmation)."""
        return self.service.assured_date is None

    @property
    def may_be_out_of_date(self) -> bool:
        """Tell whether nobody at the organization has confirmed the listing for six months."""
        verified = self.service.assured_date
        return verified is None or today() - verified > STALE_AFTER

    @property
    def hours_notes(self) -> list[str]:
        """Return the notes on hours (schedule rows without times) of the service and its sites."""
        rows = self.schedules + [row for site in self.sites for row in site.schedules]
        notes = ((row.notes or "").strip() for row in rows if not (row.opens_at and row.closes_at))
        return list(dict.fromkeys(note for note in notes if note))

    @property
    def hours_by_source(self) -> list[HoursOf]:
        """Return the service's own hours and each site's, apart (merging them would invent opening times)."""
        found = [HoursOf(None, self.schedules)] if _has_times(self.schedules) else []
        return found + [HoursOf(site, site.schedules) for site in self.sites if _has_times(site.schedules)]

    @property
    def confidential(self) -> bool:
        """Tell whether every site of the service is confidential."""
        return bool(self.sites) and all(site.location.confidential for site in self.sites)


def load_listing(session: Session, service_id: str) -> Listing | None:
    """Return the listing of an active, published service, or None."""
    found = session.execute(
        select(Service, Organization)
        .join(Organization, Organization.id == Service.organization_id)
        .where(Service.id == service_id, Organization.status == "published")
    ).first()
    if found is None:
        return None
    service, organization = found
    taxonomy = get_taxonomy()
    needs = [
        code
        for code in session.execute(
            select(TaxonomyTerm.code)
            .join(Attribute, Attribute.taxonomy_term_id == TaxonomyTerm.id)
            .where(Attribute.link_entity == "service", Attribute.link_id == service.id)
        ).scalars()
        if code in taxonomy
    ]
    locations = list(
        session.execute(
            select(Location)
            .join(ServiceAtLocation, ServiceAtLocation.location_id == Location.id)
            .where(ServiceAtLocation.service_id == service.id)
            .order_by(Location.name)
        ).scalars()
    )
    location_ids = [loc.id for loc in locations]
    by_location = defaultdict(lambda: defaultdict(list))
    for model in (Address, Phone, Language, Schedule, Accessibility):
        for row in session.execute(select(model).where(model.location_id.in_(location_ids))).scalars():
            by_location[row.location_id][model].append(row)
    sites = []
    for location in locations:
        rows = by_location[location.id]
        address = rows[Address][0] if rows[Address] else None
        phones, languages, accessibility = rows[Phone], rows[Language], rows[Accessibility]
        if location.confidential:  # its public contact phones and languages spoken, no text about the site
            phones = [phone for phone in phones if phone.public_contact]
            languages = [Language(code=language.code, name=language.name) for language in languages]
            accessibility = []
        sites.append(
            Site(location, public_address(location, address), phones, languages, rows[Schedule], accessibility)
        )

    def of_service(model) -> list:
        return list(session.execute(select(model).where(model.service_id == service.id)).scalars())

    phones = list(
        session.execute(
            select(Phone).where(or_(Phone.service_id == service.id, Phone.organization_id == organization.id))
        ).scalars()
    )
    other_services = list(
        session.execute(
            select(Service).where(
                Service.organization_id == organization.id, Service.id != service.id, Service.status == "active"
            )
        ).scalars()
    )
    return Listing(
        service=service,
        organization=organization,
        needs=needs,
        sites=sites,
        phones=phones,
        languages=of_service(Language),
        schedules=of_service(Schedule),
        credentials=of_service(Credential),
        cost_options=of_service(CostOption),
        documents=of_service(RequiredDocument),
        areas=of_service(ServiceArea),
        other_services=other_services,
    )
