"""SQLModel tables, HSDS 3.0 names with uuid ids; importing this package registers them all."""

from models.account import Membership, OutboxMessage, PasswordResetToken, User
from models.common import Attribute, Language, Metadata, Phone, Schedule
from models.directory import DirectoryState
from models.listing import ChangeRequest, Invitation, ListingReminder, OrganizationClaim
from models.location import Accessibility, Address, Location, ServiceAtLocation
from models.organization import Contact, Organization, OrganizationIdentifier
from models.referral import Referral, ReferralEvent, ReferralItem, SavedList, SavedListItem
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
    "DirectoryState",
    "Invitation",
    "Language",
    "ListingReminder",
    "ListingReport",
    "Location",
    "Membership",
    "Metadata",
    "Organization",
    "OrganizationClaim",
    "OrganizationIdentifier",
    "OutboxMessage",
    "PasswordResetToken",
    "Phone",
    "Referral",
    "ReferralEvent",
    "ReferralItem",
    "RequiredDocument",
    "SavedList",
    "SavedListItem",
    "Schedule",
    "SearchEntry",
    "Service",
    "ServiceArea",
    "ServiceAtLocation",
    "Taxonomy",
    "TaxonomyTerm",
    "User",
]
