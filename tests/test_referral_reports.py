"""Referral reports: anonymous counts per agency and per provider, time to first response, CSV without client fields."""

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from accounts.users import create_user
from models import Organization, Referral, ReferralItem
from models.base import utcnow
from referrals.reports import referral_report, report_csv
from tests.factories import make_service
from tests.test_referral_inbox import ALIAS, EMAIL, NOTE, PASSWORD, PHONE, log_in, make_referral


@pytest.fixture
def world(app, session):
    """Agency X refers two clients (one to A and B, one to A); agency Y refers one client to B."""
    with app.app_context():
        a = make_service(session, name="Alpha Legal", needs=["asylum"], lat=32.80, lon=-96.80)
        b = make_service(session, name="Beta Clinic", needs=["counseling"], lat=32.81, lon=-96.81)
        x, y = Organization(name="Agency X"), Organization(name="Agency Y")
        session.add_all([x, y])
        session.commit()
        create_user(session, email="a@example.org", password=PASSWORD, role="ngo", organization_id=a.organization_id)
        first = make_referral(session, agency_id=x.id, services=[a, b], code="AAAA2222", needs="asylum,counseling")
        second = make_referral(session, agency_id=x.id, services=[a], code="BBBB3333", needs="asylum")
        third = make_referral(session, agency_id=y.id, services=[b], code="CCCC4444", needs="counseling")
    start = utcnow() - timedelta(days=3)
    for referral in (first, second, third):
        referral.created_at = start
    items = session.execute(select(ReferralItem)).scalars().all()
    by_key = {(item.referral_id, item.provider_id): item for item in items}
    # A answers the first client after 2 hours and the second after 4; B answers the third after 10.
    for referral, provider, hours, status in (
        (first, a, 2, "contacted"),
        (second, a, 4, "helped"),
        (third, b, 10, "appointment"),
    ):
        item = by_key[(referral.id, provider.organization_id)]
        item.first_response_at = start + timedelta(hours=hours)
        item.status = status
    session.commit()
    return {"a": a, "b": b, "x": x, "y": y, "referrals": [first, second, third]}


def test_an_agency_report_counts_statuses_needs_and_response_times_per_provider(app, session, world):
    with app.test_request_context():
        report = referral_report(session, agency_id=world["x"].id)
    assert (report.referrals, report.items, report.responded) == (2, 3, 2)
    assert report.by_status == {"contacted": 1, "helped": 1, "sent": 1}
    assert report.by_need == {"asylum": 2, "counseling": 1}
    assert (report.median_hours, report.mean_hours) == (3.0, 3.0)
    rows = {row.name: row for row in report.groups}
    assert rows["Alpha Legal"].items == 2
    assert rows["Alpha Legal"].median_hours == 3.0
    assert rows["Beta Clinic"].items == 1
    assert rows["Beta Clinic"].median_hours is None
    assert report.group_kind == "provider"


def test_a_provider_report_counts_per_agency(app, session, world):
    with app.test_request_context():
        report = referral_report(session, provider_id=world["b"].organization_id)
    assert (report.referrals, report.items) == (2, 2)
    assert report.group_kind == "agency"
    assert {row.name: row.items for row in report.groups} == {"Agency X": 1, "Agency Y": 1}
    assert report.median_hours == 10.0
    assert report.by_need == {"asylum": 1, "counseling": 2}


def test_the_csv_has_a_header_and_no_client_field(app, session, world):
    with app.test_request_context():
        text = report_csv(referral_report(session))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["section", "code", "label", "count"]
    assert ["total", "referrals", "", "3", "", ""] in rows
    for secret in (ALIAS, PHONE, EMAIL, NOTE, "AAAA2222", "AAAA-2222"):
        assert secret not in text


def test_counts_remain_after_client_fields_are_erased(app, session, world):
    with app.test_request_context():
        before = report_csv(referral_report(session, agency_id=world["x"].id))
    for referral in session.execute(select(Referral)).scalars():
        referral.client_alias_enc = referral.client_phone_enc = referral.client_email_enc = referral.note_enc = None
        referral.client_erased_at = utcnow()
    session.commit()
    with app.test_request_context():
        after = report_csv(referral_report(session, agency_id=world["x"].id))
    assert after == before


def test_a_provider_downloads_its_report_as_a_csv_attachment(client, world):
    log_in(client, "a@example.org")
    page = client.get("/manage/referrals/report")
    assert page.status_code == 200
    assert "Agency X" in page.get_data(as_text=True)
    assert "Agency Y" not in page.get_data(as_text=True), "Y never referred anyone to A"
    response = client.get("/manage/referrals/report.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment")
    text = response.get_data(as_text=True)
    for secret in (ALIAS, PHONE, EMAIL, NOTE):
        assert secret not in text


def test_the_report_page_is_in_spanish(client, world):
    log_in(client, "a@example.org")
    html = client.get("/manage/referrals/report?lang=es").get_data(as_text=True)
    assert "Referencias enviadas a su organización" in html
    assert "Por agencia" in html


def test_an_organization_name_that_looks_like_a_formula_is_neutralized(app, session, world):
    world["y"].name = "=HYPERLINK(1)"
    session.commit()
    with app.test_request_context():
        text = report_csv(referral_report(session, provider_id=world["b"].organization_id))
    assert "'=HYPERLINK(1)" in text
