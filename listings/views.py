"""Listing pages for NGO staff and moderators: dashboard, edit forms, history, review queue.

All are noindex. Views read input, call one function of listings.changes and render or redirect;
a record of an organization the user may not manage answers 404.
"""

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from listings.changes import (
    EditConflict,
    ListingError,
    approve_change,
    changes_submitted_by,
    confirm_listing,
    field_changes,
    find_record,
    history_entry,
    history_of,
    open_reports,
    organization_id_of,
    organizations_of,
    parts_of,
    pending_changes,
    read_values,
    reject_change,
    resolve_report,
    restore,
    set_capacity,
    stale_services,
    submit_changes,
)
from listings.forms import (
    ActionForm,
    CapacityForm,
    LocationForm,
    OrganizationForm,
    RejectForm,
    ServiceForm,
    field_labels,
)
from listings.permissions import admins_only, can_manage, managers_only
from models.db import get_session

bp = Blueprint("listings", __name__, url_prefix="/manage")

EDIT_FORMS = {"organization": OrganizationForm, "service": ServiceForm, "location": LocationForm}


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
        changes=changes_submitted_by(session, user_id=current_user.id),
        capacity_form=CapacityForm(),
        action_form=ActionForm(),
        field_labels=field_labels(),
        field_changes=field_changes,
    )


def _edit(resource_type: str, resource_id: str):
    """Show and save an edit form; a stale version shows both versions and writes nothing."""
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
            )
        except EditConflict as error:
            conflict, form.version.raw_data, form.version.data = error, [str(error.version)], error.version
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
        field_labels=field_labels(),
    ), status


def _flash_result(result) -> None:
    if result.published:
        flash(_("Saved. Your changes are public now."))
    if result.pending is not None:
        flash(_("Some changes are waiting for review by a moderator."))
    if not result.published and result.pending is None:
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
    return render_template(
        "listings/history.html",
        organization=organization,
        entries=entries,
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
    _flash_result(restore(get_session(), user=current_user, metadata_id=metadata_id))
    return redirect(url_for("listings.history", organization_id=organization_id))


@bp.get("/review")
@admins_only
def review(reject_forms: dict | None = None):
    """The moderation queue: change requests, public problem reports, and stale listings."""
    from finder.listing import STALE_AFTER

    session = get_session()
    return render_template(
        "listings/review.html",
        changes=pending_changes(session),
        reports=open_reports(session),
        stale=stale_services(session, stale_after=STALE_AFTER),
        reject_forms=reject_forms or {},
        reject_form=RejectForm(formdata=None),
        action_form=ActionForm(),
        field_labels=field_labels(),
        field_changes=field_changes,
    ), 400 if reject_forms else 200


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
