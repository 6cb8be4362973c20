"""Listing pages for NGO staff and moderators: dashboard, edit forms, history, review queue,
claiming a listing or adding an organization, and an organization's members.

All are noindex. Views read input, call one function of a logic module and render or redirect;
a record of an organization the user may not manage answers 404.
"""

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from accounts.views import invitation_link
from listings.edits import EditConflict, confirm_listing, set_capacity, submit_changes
from listings.errors import ListingError
from listings.fields import read_values
from listings.forms import (
    ActionForm,
    CapacityForm,
    LocationForm,
    OrganizationForm,
    RejectForm,
    ServiceForm,
    field_labels,
    shown_value,
)
from listings.history import history_entry, history_of, restore
from listings.member_forms import ClaimForm, ClaimRejectForm, InviteForm, NewOrganizationForm, OrganizationSearchForm
from listings.members import (
    MemberError,
    approve_claim,
    claimable_organization,
    claims_of,
    invite,
    members_of,
    owned_organization_ids,
    pending_claims,
    pending_invitations,
    reject_claim,
    remove_member,
    revoke_invitation,
    search_organizations,
    submit_claim,
    submit_new_organization,
)
from listings.moderation import (
    approve_change,
    changes_submitted_by,
    changes_waiting_for,
    field_changes,
    pending_changes,
    reject_change,
    waiting_change,
    withdraw_change,
)
from listings.permissions import admins_only, can_manage, can_manage_members, managers_only, ngo_only
from listings.records import (
    find_record,
    organization_id_of,
    organizations_of,
    parts_of,
    public_pages_of,
    record_names,
)
from listings.reports import open_reports, resolve_report
from listings.staleness import stale_services
from models import Organization
from models.db import get_session
from web.urls import site_url

bp = Blueprint("listings", __name__, url_prefix="/manage")

EDIT_FORMS = {"organization": OrganizationForm, "service": ServiceForm, "location": LocationForm}
RECORD_KINDS = {"organization": _l("Organization"), "service": _l("Service"), "location": _l("Location")}


@bp.app_template_global("shown_value")
def _shown_value(name: str, value: str) -> str:
    """Let listing templates show a stored value in words (credentials, needs, languages, cost)."""
    return shown_value(name, value)


def _managed(resource_type: str, resource_id: str) -> Any:
    """Return a record the current user may manage, or answer 404."""
    try:
        record = find_record(get_session(), resource_type=resource_type, resource_id=resource_id)
    except ListingError:
        abort(404)
    if not can_manage(get_session(), user=current_user, organization_id=organization_id_of(resource_type, record)):
        abort(404)
    return record


@bp.get("/")
@managers_only
def dashboard():
    """The user's organizations with one-click capacity, and their edits waiting for review or rejected."""
    session = get_session()
    return render_template(
        "listings/dashboard.html",
        organizations=organizations_of(session, user_id=current_user.id),
        owned=owned_organization_ids(session, user_id=current_user.id),
        claims=claims_of(session, user_id=current_user.id),
        changes=changes_submitted_by(session, user_id=current_user.id),
        capacity_form=CapacityForm(),
        action_form=ActionForm(),
        field_labels=field_labels(),
        field_changes=field_changes,
    )


def _edit(resource_type: str, resource_id: str):
    """Show and save an edit form; a save made since is merged, and a field both changed writes nothing."""
    record = _managed(resource_type, resource_id)
    form, conflict = EDIT_FORMS[resource_type](), None
    if form.validate_on_submit():
        try:
            result = submit_changes(
                get_session(),
                user=current_user,
                resource_type=resource_type,
                resource_id=resource_id,
                values=form.values(),
                version=form.version.data,
                opened=form.opened_values(),
            )
        except EditConflict as error:
            conflict = error
            # The form now holds the other person's saved values, except in the fields this person changed.
            form.fill({**error.stored, **error.mine}, error.version, opened=error.stored)
        except ListingError as error:
            get_session().rollback()
            field = getattr(form, error.field or "", None)
            (field.errors if field is not None else form.form_errors).append(error.message)
        else:
            _flash_result(result)
            return redirect(request.path)
    elif request.method == "GET":
        form.fill(read_values(get_session(), resource_type=resource_type, record=record), record.version)
    parts = parts_of(get_session(), organization_id=record.id) if resource_type == "organization" else None
    status = 409 if conflict else 400 if form.errors else 200
    return render_template(
        "listings/edit.html",
        form=form,
        record=record,
        resource_type=resource_type,
        conflict=conflict,
        parts=parts,
        public_pages=public_pages_of(get_session(), resource_type=resource_type, record=record),
        waiting=changes_waiting_for(get_session(), resource_type=resource_type, resource_id=record.id),
        action_form=ActionForm(),
        field_changes=field_changes,
        field_labels=field_labels(),
    ), status


def _edit_url(resource_type: str, resource_id: str) -> str:
    """Return the edit page of an organization, service or location."""
    return url_for(f"listings.edit_{resource_type}", **{f"{resource_type}_id": resource_id})


def _flash_result(result) -> None:
    if result.merged:
        flash(_("Someone else saved this listing while you were editing it. Their changes are kept along with yours."))
    if result.published:
        flash(_("Saved. Your changes are public now."))
    if result.pending is not None:
        flash(_("Some changes are waiting for review by a moderator."))
    if result.withdrawn:
        flash(_("The earlier change to this field that was waiting for review is withdrawn."))
    if not result.published and result.pending is None and not result.withdrawn:
        flash(_("Nothing changed."))


@bp.route("/organizations/<organization_id>", methods=["GET", "POST"])
@managers_only
def edit_organization(organization_id: str):
    """Edit an organization."""
    return _edit("organization", organization_id)


@bp.route("/services/<service_id>", methods=["GET", "POST"])
@managers_only
def edit_service(service_id: str):
    """Edit a service."""
    return _edit("service", service_id)


@bp.route("/locations/<location_id>", methods=["GET", "POST"])
@managers_only
def edit_location(location_id: str):
    """Edit a location."""
    return _edit("location", location_id)


@bp.post("/services/<service_id>/capacity")
@managers_only
def capacity(service_id: str):
    """Change whether a service takes new clients, in one click."""
    _managed("service", service_id)
    form = CapacityForm()
    if not form.validate_on_submit():
        abort(400)
    set_capacity(get_session(), user=current_user, service_id=service_id, capacity=form.capacity.data)
    flash(_("Capacity saved."))
    return redirect(url_for("listings.dashboard"))


@bp.post("/services/<service_id>/confirm")
@managers_only
def confirm(service_id: str):
    """Confirm that a service's listing is still correct."""
    _managed("service", service_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    confirm_listing(get_session(), user=current_user, service_id=service_id)
    flash(_("Thank you: the listing is confirmed as correct today."))
    return redirect(url_for("listings.dashboard"))


@bp.get("/organizations/<organization_id>/history")
@managers_only
def history(organization_id: str):
    """Every recorded change to an organization's listings, with a restore button each."""
    organization = _managed("organization", organization_id)
    entries = history_of(get_session(), organization_id=organization_id)
    records = [(entry.resource_type, entry.resource_id) for entry in entries]
    return render_template(
        "listings/history.html",
        organization=organization,
        entries=entries,
        names=record_names(get_session(), records=records),
        kinds=RECORD_KINDS,
        action_form=ActionForm(),
        field_labels=field_labels(),
    )


@bp.post("/history/<metadata_id>/restore")
@managers_only
def restore_value(metadata_id: str):
    """Put an earlier value back (recorded, and moderated like any edit)."""
    try:
        _entry, organization_id = history_entry(get_session(), metadata_id=metadata_id)
    except ListingError:
        abort(404)
    _managed("organization", organization_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        _flash_result(restore(get_session(), user=current_user, metadata_id=metadata_id))
    except ListingError as error:  # a conflict, or an old value today's rules refuse
        get_session().rollback()
        flash(error.message)
    return redirect(url_for("listings.history", organization_id=organization_id))


@bp.post("/changes/<change_id>/withdraw")
@managers_only
def withdraw(change_id: str):
    """Withdraw a change that waits for review (a moderator can no longer approve it)."""
    try:
        change = waiting_change(get_session(), change_id=change_id)
    except ListingError:
        abort(404)
    _managed(change.resource_type, change.resource_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    withdraw_change(get_session(), user=current_user, change_id=change_id)
    flash(_("Withdrawn. A moderator will not see this change."))
    if request.form.get("back") == "edit":
        return redirect(_edit_url(change.resource_type, change.resource_id))
    return redirect(url_for("listings.dashboard"))


@bp.get("/review")
@admins_only
def review(reject_forms: dict | None = None, claim_reject_forms: dict | None = None):
    """The moderation queue: claims, change requests, public problem reports, and stale listings."""
    from finder.listing import STALE_AFTER

    session = get_session()
    claim_reject_forms = claim_reject_forms or {}
    changes = pending_changes(session)
    records = [(change.resource_type, change.resource_id) for change, _organization, _user in changes]
    return render_template(
        "listings/review.html",
        names=record_names(session, records=records),
        kinds=RECORD_KINDS,
        claims=pending_claims(session),
        claim_reject_form=lambda claim_id: (
            claim_reject_forms.get(claim_id) or ClaimRejectForm(formdata=None, prefix=f"claim-{claim_id}")
        ),
        changes=changes,
        reports=open_reports(session),
        stale=stale_services(session, stale_after=STALE_AFTER),
        reject_forms=reject_forms or {},
        reject_form=RejectForm(formdata=None),
        action_form=ActionForm(),
        field_labels=field_labels(),
        field_changes=field_changes,
    ), 400 if reject_forms or claim_reject_forms else 200


@bp.post("/review/<change_id>/approve")
@admins_only
def approve(change_id: str):
    """Publish a change request."""
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        approve_change(get_session(), moderator=current_user, change_id=change_id)
        flash(_("Approved and published."))
    except ListingError as error:
        flash(error.message)
    return redirect(url_for("listings.review"))


@bp.post("/review/<change_id>/reject")
@admins_only
def reject(change_id: str):
    """Refuse a change request, with a reason the submitter sees."""
    form = RejectForm()
    if form.validate_on_submit():
        try:
            reject_change(get_session(), moderator=current_user, change_id=change_id, reason=form.reason.data)
        except ListingError as error:
            flash(error.message)
        return redirect(url_for("listings.review"))
    return review(reject_forms={change_id: form})


@bp.post("/reports/<report_id>/resolve")
@admins_only
def resolve(report_id: str):
    """Close a public problem report."""
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        resolve_report(get_session(), report_id=report_id)
    except ListingError as error:
        flash(error.message)
    return redirect(url_for("listings.review"))


# Claiming a listing, adding an organization, and their review.


@bp.get("/claim")
@ngo_only
def claim_search():
    """Find a published organization by name or city, to ask to manage its listing."""
    form = OrganizationSearchForm(formdata=request.args)
    searched = bool(request.args) and form.validate()
    results = search_organizations(get_session(), name=form.q.data or "", city=form.city.data or "") if searched else []
    return render_template("listings/claim_search.html", form=form, results=results, searched=searched)


@bp.route("/claim/<organization_id>", methods=["GET", "POST"])
@ngo_only
def claim(organization_id: str):
    """Ask a moderator to make you an owner of a published organization's listing."""
    organization = claimable_organization(get_session(), organization_id=organization_id)
    if organization is None:
        abort(404)
    form = ClaimForm()
    if form.validate_on_submit():
        try:
            submit_claim(get_session(), user=current_user, organization_id=organization_id, message=form.message.data)
        except MemberError as error:
            form.message.errors.append(error.message)
        else:
            flash(_("Thank you. A moderator will check your request and email you."))
            return redirect(url_for("listings.dashboard"))
    return render_template(
        "listings/claim_form.html", form=form, organization=organization
    ), 400 if form.errors else 200


@bp.route("/organizations/new", methods=["GET", "POST"])
@ngo_only
def new_organization():
    """Submit a new organization with one service and one location; it is public once a moderator approves it."""
    form = NewOrganizationForm()
    if form.validate_on_submit():
        try:
            submit_new_organization(get_session(), user=current_user, new=form.new_organization())
        except MemberError as error:
            getattr(form, error.field or "message").errors.append(error.message)
        else:
            flash(_("Thank you. A moderator will check the organization and email you."))
            return redirect(url_for("listings.dashboard"))
    return render_template("listings/new_org.html", form=form), 400 if form.errors else 200


@bp.post("/review/claims/<claim_id>/approve")
@admins_only
def approve_claim_view(claim_id: str):
    """Make the requester an owner (and publish a new organization)."""
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        approve_claim(get_session(), moderator=current_user, claim_id=claim_id,
                      dashboard_url=site_url("listings.dashboard"))  # fmt: skip
        flash(_("Approved. The requester is now an owner."))
    except MemberError as error:
        flash(error.message)
    return redirect(url_for("listings.review"))


@bp.post("/review/claims/<claim_id>/reject")
@admins_only
def reject_claim_view(claim_id: str):
    """Refuse a claim, with a reason the requester sees."""
    form = ClaimRejectForm(prefix=f"claim-{claim_id}")
    if form.validate_on_submit():
        try:
            reject_claim(get_session(), moderator=current_user, claim_id=claim_id, reason=form.reason.data,
                         dashboard_url=site_url("listings.dashboard"))  # fmt: skip
            flash(_("Rejected. The requester will see your reason."))
        except MemberError as error:
            flash(error.message)
        return redirect(url_for("listings.review"))
    return review(claim_reject_forms={claim_id: form})


# Members of an organization.


def _members_organization(organization_id: str) -> Organization:
    """Return an organization whose members the current user manages; 404 for a stranger, 403 for an editor."""
    organization = get_session().get(Organization, organization_id)
    if organization is None or not can_manage(get_session(), user=current_user, organization_id=organization_id):
        abort(404)
    if not can_manage_members(get_session(), user=current_user, organization_id=organization_id):
        abort(403)
    return organization


@bp.route("/organizations/<organization_id>/members", methods=["GET", "POST"])
@managers_only
def members(organization_id: str):
    """See an organization's members and pending invitations; invite a colleague by email."""
    organization = _members_organization(organization_id)
    form = InviteForm()
    if form.validate_on_submit():
        try:
            invite(get_session(), inviter=current_user, organization_id=organization_id, email=form.email.data,
                   role=form.role.data, url_for_token=invitation_link)  # fmt: skip
        except MemberError as error:
            getattr(form, error.field or "email").errors.append(error.message)
        else:
            flash(_("Invitation sent. The link works for 7 days."))
            return redirect(request.path)
    session = get_session()
    return render_template(
        "listings/members.html",
        organization=organization,
        members=members_of(session, organization_id=organization_id),
        invitations=pending_invitations(session, organization_id=organization_id),
        form=form,
        action_form=ActionForm(),
    ), 400 if form.errors else 200


@bp.post("/organizations/<organization_id>/members/<membership_id>/remove")
@managers_only
def remove_member_view(organization_id: str, membership_id: str):
    """Remove a member (never the last owner)."""
    _members_organization(organization_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        removed_user_id = remove_member(get_session(), organization_id=organization_id, membership_id=membership_id)
    except LookupError:
        abort(404)
    except MemberError as error:
        flash(error.message)
        return redirect(url_for("listings.members", organization_id=organization_id))
    flash(_("Member removed."))
    if removed_user_id == current_user.id:
        return redirect(url_for("listings.dashboard"))
    return redirect(url_for("listings.members", organization_id=organization_id))


@bp.post("/organizations/<organization_id>/invitations/<invitation_id>/revoke")
@managers_only
def revoke_invitation_view(organization_id: str, invitation_id: str):
    """Withdraw a pending invitation: its link stops working."""
    _members_organization(organization_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        revoke_invitation(get_session(), organization_id=organization_id, invitation_id=invitation_id)
    except LookupError:
        abort(404)
    flash(_("Invitation withdrawn."))
    return redirect(url_for("listings.members", organization_id=organization_id))
