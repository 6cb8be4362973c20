"""SQLModel tables, HSDS 3.0 names with uuid ids; importing this package registers them all."""

from models.account import Membership, OutboxMessage, PasswordResetToken, User
from models.common import Attribute, Language, Metadata, Phone, Schedule
from models.listing import ChangeRequest, ListingReminder
from models.location import Accessibility, Address, Location, ServiceAtLocation
from models.organization import Contact, Organization, OrganizationIdentifier
from models.report import ListingReport
from models.search import SearchEntry
from models.service import CostOption, Credential, RequiredDocument, Service, ServiceArea
from models.taxonomy import Taxonomy, TaxonomyTerm

__all__ = [
    "Accessibility",
    "Address",
    "Attribute",
    "ChangeRequest",
    "Contact",
    "CostOption",
    "Credential",
    "Language",
    "ListingReminder",
    "ListingReport",
    "Location",
    "Membership",
    "Metadata",
    "Organization",
    "OrganizationIdentifier",
    "OutboxMessage",
    "PasswordResetToken",
    "Phone",
    "RequiredDocument",
    "Schedule",
    "SearchEntry",
    "Service",
    "ServiceArea",
    "ServiceAtLocation",
    "Taxonomy",
    "TaxonomyTerm",
    "User",
]
