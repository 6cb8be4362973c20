"""Our rows as HSDS 3.0 JSON objects, with children batch-loaded for a whole page at once.

Extensions go where HSDS has room: credentials and capacity become service attributes (taxonomies
"amparo-credentials" and "amparo-capacity", credentials also as ``accreditations`` text).
A confidential location never carries an address or coordinates: addresses go through
``matching.details.public_address``, the one gate for them.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlmodel import Session

from matching.confidential import public_language_row, public_location_row, public_schedule_row
from matching.details import public_address
from models import (
    Accessibility,
    Address,
    Attribute,
    Contact,
    CostOption,
    Credential,
    Language,
    Location,
    Organization,
    OrganizationIdentifier,
    Phone,
    RequiredDocument,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
)
from models.base import stable_id

CHUNK = 900  # stays under SQLite's limit on bound parameters
CREDENTIAL_LABELS = {
    "doj-recognized": "DOJ-recognized organization",
    "accredited-rep-full": "Accredited representative (full accreditation)",
    "accredited-rep-partial": "Accredited representative (partial accreditation)",
    "attorney": "Licensed attorney on staff",
    "eoir-pro-bono": "On the EOIR List of Pro Bono Legal Service Providers",
}
CAPACITY_LABELS = {
    "accepting": "Accepting new clients",
    "waitlist": "Waitlist",
    "not-accepting": "Not accepting new clients",
}
EXTENSION_TAXONOMIES = {
    "amparo-credentials": "Credentials for immigration legal help (Amparo extension)",
    "amparo-capacity": "Whether a service takes new clients (Amparo extension)",
}


def clean(values: dict) -> dict:
    """Drop empty values and write dates as ISO text (HSDS fields are never null)."""
    found = {}
    for key, value in values.items():
        if value is None or value == "":
            continue
        if isinstance(value, datetime):
            value = (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
        elif isinstance(value, date):
            value = value.isoformat()
        found[key] = value
    return found


def _fields(row, names: Iterable[str]) -> dict:
    return clean({name: getattr(row, name) for name in names})


SERVICE_FIELDS = (
    "id", "organization_id", "name", "alternate_name", "description", "url", "email", "status",
    "interpretation_services", "application_process", "fees_description", "wait_time", "accreditations",
    "eligibility_description", "minimum_age", "maximum_age", "assured_date", "assurer_email", "alert",
    "last_modified",
)  # fmt: skip
ORGANIZATION_FIELDS = (
    "id", "name", "alternate_name", "description", "email", "website", "tax_status", "tax_id", "legal_status",
    "uri", "parent_organization_id",
)  # fmt: skip
LOCATION_FIELDS = (
    "id", "location_type", "url", "organization_id", "name", "alternate_name", "description", "transportation",
    "external_identifier", "external_identifier_type",
)  # fmt: skip
SCHEDULE_FIELDS = (
    "id", "service_id", "location_id", "service_at_location_id", "valid_from", "valid_to", "dtstart", "timezone",
    "until", "count", "wkst", "freq", "interval", "byday", "byweekno", "bymonthday", "byyearday", "description",
    "opens_at", "closes_at", "schedule_link", "attending_type", "notes",
)  # fmt: skip
PHONE_FIELDS = ("id", "location_id", "service_id", "organization_id", "contact_id", "number", "extension", "type",
                "description")  # fmt: skip
TERM_FIELDS = ("id", "code", "name", "description", "parent_id", "taxonomy", "taxonomy_id", "language", "term_uri")
TAXONOMY_FIELDS = ("id", "name", "description", "uri", "version")


def _chunks(ids: list[str]) -> Iterable[list[str]]:
    ids = sorted(set(ids))
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def rows_in(session: Session, model, column, ids: Iterable) -> list:
    """Return the rows of ``model`` whose ``column`` is one of ``ids``, in as few queries as the chunking allows."""
    found = []
    for chunk in _chunks([i for i in ids if i]):
        found += session.execute(select(model).where(column.in_(chunk))).scalars().all()
    return found


def _group(rows: list, key: str) -> dict[str, list]:
    grouped = defaultdict(list)
    for row in rows:
        grouped[getattr(row, key)].append(row)
    return grouped


def term_json(term: TaxonomyTerm) -> dict:
    """Return a taxonomy term."""
    return {"description": "", **_fields(term, TERM_FIELDS)}


def taxonomy_json(taxonomy: Taxonomy) -> dict:
    """Return a taxonomy."""
    return {"description": "", **_fields(taxonomy, TAXONOMY_FIELDS)}


def extension_term(taxonomy: str, code: str, name: str) -> dict:
    """Return a term of one of our extension taxonomies (not stored: derived from columns)."""
    return {
        "id": stable_id("taxonomy_term", f"{taxonomy}:{code}"),
        "code": code,
        "name": name,
        "description": EXTENSION_TAXONOMIES[taxonomy],
        "taxonomy": taxonomy,
        "taxonomy_id": stable_id("taxonomy", taxonomy),
        "language": "en",
    }


def location_json(location: Location, address: Address | None, extra: dict | None = None) -> dict:
    """Return a location; a confidential one has no address, no coordinates and no free text about the site."""
    found = clean(public_location_row(location, _fields(location, LOCATION_FIELDS)))
    shown = public_address(location, address)
    if shown is not None:
        found["latitude"], found["longitude"] = location.latitude, location.longitude
        found = clean(found)
        found["addresses"] = [
            {
                "id": address.id,
                "location_id": location.id,
                "address_type": address.address_type or "physical",
                **{key: value or "" for key, value in shown.items() if key != "address_2"},
                **clean({"address_2": shown["address_2"], "region": address.region, "attention": address.attention}),
            }
        ]
    else:
        found["addresses"] = []
    return {**found, **(extra or {})}


class Loader:
    """Children of a page of services, organizations or locations, loaded with a fixed number of queries."""

    def __init__(self, session: Session):
        self.session = session
        self.confidential_ids: set[str] = set()  # locations loaded so far that are confidential

    def sal_item(self, sal: ServiceAtLocation) -> dict:
        """Return a service_at_location's own fields (no description at a confidential site)."""
        item = _fields(sal, ("id", "service_id", "location_id", "description"))
        if sal.location_id in self.confidential_ids:
            item.pop("description", None)
        return item

    def services(self, services: list[Service], *, full: bool) -> list[dict]:
        """Return services: one-to-one fields plus organization, or fully nested when ``full``."""
        ids = [s.id for s in services]
        orgs = {
            o.id: o for o in rows_in(self.session, Organization, Organization.id, [s.organization_id for s in services])
        }
        if not full:
            return [
                {**_fields(s, SERVICE_FIELDS), "organization": self.organization_item(orgs[s.organization_id])}
                for s in services
            ]
        credentials = _group(rows_in(self.session, Credential, Credential.service_id, ids), "service_id")
        attributes = self.attributes(ids)
        phones = _group(rows_in(self.session, Phone, Phone.service_id, ids), "service_id")
        schedules = _group(rows_in(self.session, Schedule, Schedule.service_id, ids), "service_id")
        areas = _group(rows_in(self.session, ServiceArea, ServiceArea.service_id, ids), "service_id")
        languages = _group(rows_in(self.session, Language, Language.service_id, ids), "service_id")
        costs = _group(rows_in(self.session, CostOption, CostOption.service_id, ids), "service_id")
        documents = _group(rows_in(self.session, RequiredDocument, RequiredDocument.service_id, ids), "service_id")
        contacts = _group(rows_in(self.session, Contact, Contact.service_id, ids), "service_id")
        sals = rows_in(self.session, ServiceAtLocation, ServiceAtLocation.service_id, ids)
        locations = self.locations([sal.location_id for sal in sals])
        sals_by_service = _group(sals, "service_id")
        found = []
        for service in services:
            kinds = sorted(c.kind for c in credentials[service.id])
            item = _fields(service, SERVICE_FIELDS)
            if kinds and not service.accreditations:
                item["accreditations"] = "; ".join(CREDENTIAL_LABELS.get(k, k) for k in kinds)
            extras = [self._credential_attribute(service.id, kind) for kind in kinds]
            if service.capacity:
                extras.append(self._capacity_attribute(service))
            item.update(
                organization=self.organization_item(orgs[service.organization_id]),
                phones=[_fields(p, PHONE_FIELDS) for p in phones[service.id]],
                schedules=[_fields(s, SCHEDULE_FIELDS) for s in schedules[service.id]],
                service_areas=[
                    _fields(a, ("id", "service_id", "name", "description", "extent", "extent_type", "uri"))
                    for a in areas[service.id]
                ],
                service_at_locations=[
                    {
                        **self.sal_item(sal),
                        "location": locations[sal.location_id],
                    }
                    for sal in sals_by_service[service.id]
                    if sal.location_id in locations
                ],
                languages=[_fields(x, ("id", "service_id", "name", "code", "note")) for x in languages[service.id]],
                cost_options=[
                    _fields(
                        c,
                        (
                            "id",
                            "service_id",
                            "valid_from",
                            "valid_to",
                            "option",
                            "currency",
                            "amount",
                            "amount_description",
                        ),
                    )
                    for c in costs[service.id]
                ],  # fmt: skip
                required_documents=[_fields(d, ("id", "service_id", "document", "uri")) for d in documents[service.id]],
                contacts=[
                    _fields(c, ("id", "service_id", "name", "title", "department", "email"))
                    for c in contacts[service.id]
                ],
                attributes=attributes[service.id] + extras,
            )
            found.append(item)
        return found

    def attributes(self, link_ids: list[str]) -> dict[str, list[dict]]:
        """Return the attributes (with their taxonomy terms) linked to each id."""
        rows = rows_in(self.session, Attribute, Attribute.link_id, link_ids)
        terms = {
            t.id: t for t in rows_in(self.session, TaxonomyTerm, TaxonomyTerm.id, [a.taxonomy_term_id for a in rows])
        }
        found = defaultdict(list)
        for attribute in rows:
            item = _fields(attribute, ("id", "link_id", "link_type", "link_entity", "value", "taxonomy_term_id"))
            if attribute.taxonomy_term_id in terms:
                item["taxonomy_term"] = term_json(terms[attribute.taxonomy_term_id])
            found[attribute.link_id].append(item)
        return found

    @staticmethod
    def _credential_attribute(service_id: str, kind: str) -> dict:
        term = extension_term("amparo-credentials", kind, CREDENTIAL_LABELS.get(kind, kind))
        return {
            "id": stable_id("attribute", f"credential:{service_id}:{kind}"),
            "link_id": service_id,
            "link_type": "credential",
            "link_entity": "service",
            "taxonomy_term_id": term["id"],
            "taxonomy_term": term,
        }

    @staticmethod
    def _capacity_attribute(service: Service) -> dict:
        term = extension_term(
            "amparo-capacity", service.capacity, CAPACITY_LABELS.get(service.capacity, service.capacity)
        )
        return clean(
            {
                "id": stable_id("attribute", f"capacity:{service.id}"),
                "link_id": service.id,
                "link_type": "capacity",
                "link_entity": "service",
                "taxonomy_term_id": term["id"],
                "value": service.capacity_stated_on,
                "taxonomy_term": term,
            }
        )

    def locations(self, location_ids: list[str]) -> dict[str, dict]:
        """Return nested locations by id (addresses only where public)."""
        locations = rows_in(self.session, Location, Location.id, location_ids)
        ids = [loc.id for loc in locations]
        addresses = {a.location_id: a for a in rows_in(self.session, Address, Address.location_id, ids)}
        access = _group(rows_in(self.session, Accessibility, Accessibility.location_id, ids), "location_id")
        languages = _group(rows_in(self.session, Language, Language.location_id, ids), "location_id")
        phones = _group(rows_in(self.session, Phone, Phone.location_id, ids), "location_id")
        schedules = _group(rows_in(self.session, Schedule, Schedule.location_id, ids), "location_id")
        found = {}
        self.confidential_ids |= {loc.id for loc in locations if loc.confidential}
        for loc in locations:
            loc_phones, loc_access = phones[loc.id], access[loc.id]
            if loc.confidential:  # only the public contact points of a confidential place, no text about it
                loc_phones, loc_access = [p for p in loc_phones if p.public_contact], []
            found[loc.id] = location_json(
                loc,
                addresses.get(loc.id),
                {
                    "accessibility": [
                        _fields(a, ("id", "location_id", "description", "details", "url")) for a in loc_access
                    ],
                    "languages": [
                        clean(public_language_row(loc.confidential, _fields(x, ("id", "location_id", "name", "code",
                                                                                "note"))))
                        for x in languages[loc.id]
                    ],
                    "phones": [_fields(p, PHONE_FIELDS) for p in loc_phones],
                    "schedules": [
                        clean(public_schedule_row(loc.confidential, _fields(s, SCHEDULE_FIELDS)))
                        for s in schedules[loc.id]
                    ],
                },
            )
        return found

    @staticmethod
    def organization_item(org: Organization) -> dict:
        """Return an organization's one-to-one fields."""
        return {"description": "", **_fields(org, ORGANIZATION_FIELDS)}

    def organizations(self, orgs: list[Organization], *, full: bool, full_service: bool = False) -> list[dict]:
        """Return organizations, fully nested when ``full``."""
        if not full:
            return [self.organization_item(o) for o in orgs]
        ids = [o.id for o in orgs]
        identifiers = _group(
            rows_in(self.session, OrganizationIdentifier, OrganizationIdentifier.organization_id, ids),
            "organization_id",
        )
        phones = _group(rows_in(self.session, Phone, Phone.organization_id, ids), "organization_id")
        contacts = _group(rows_in(self.session, Contact, Contact.organization_id, ids), "organization_id")
        location_rows = rows_in(self.session, Location, Location.organization_id, ids)
        locations = self.locations([loc.id for loc in location_rows])
        locations_by_org = _group(location_rows, "organization_id")
        services = rows_in(self.session, Service, Service.organization_id, ids)
        service_items = dict(zip((s.id for s in services), self.services(services, full=full_service), strict=True))
        services_by_org = _group(services, "organization_id")
        attributes = self.attributes(ids)
        found = []
        for org in orgs:
            item = self.organization_item(org)
            item.update(
                organization_identifiers=[
                    _fields(i, ("id", "organization_id", "identifier_scheme", "identifier_type", "identifier"))
                    for i in identifiers[org.id]
                ],
                phones=[_fields(p, PHONE_FIELDS) for p in phones[org.id]],
                contacts=[
                    _fields(c, ("id", "organization_id", "name", "title", "department", "email"))
                    for c in contacts[org.id]
                ],  # fmt: skip
                locations=[locations[loc.id] for loc in locations_by_org[org.id]],
                services=[
                    {k: v for k, v in service_items[s.id].items() if k != "organization"}
                    for s in services_by_org[org.id]
                ],
                attributes=attributes[org.id],
            )
            found.append(item)
        return found

    def service_at_locations(self, sals: list[ServiceAtLocation], *, full: bool) -> list[dict]:
        """Return service_at_locations with their location and service (nested fully when ``full``)."""
        services = rows_in(self.session, Service, Service.id, [s.service_id for s in sals])
        service_items = dict(zip((s.id for s in services), self.services(services, full=full), strict=True))
        locations = self.locations([s.location_id for s in sals])
        found = []
        for sal in sals:
            item = self.sal_item(sal)
            location = locations[sal.location_id]
            service = service_items[sal.service_id]
            if not full:
                location = {k: v for k, v in location.items() if not isinstance(v, list) or k == "addresses"}
                service = {k: v for k, v in service.items() if not isinstance(v, list)}
            else:
                service = {k: v for k, v in service.items() if k != "service_at_locations"}
                item.update(phones=[], schedules=[], contacts=[], attributes=[])
            item.update(location=location, service=service)
            found.append(item)
        return found
