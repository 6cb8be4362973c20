"""A confidential location (a shelter) leaks nothing: a canary in every one of its private fields is
searched for in every public output (pages, map data, /api/v1, /api/hsds, the HSDS export, the slip).

Only what was written for the public may show: the organization's and service's own texts, the
phones marked as public contact, and the public point (a ZIP or town centre), never the true one.
"""

import re

import pytest
from sqlalchemy import select

from accounts.users import create_user
from models import (
    Accessibility,
    Address,
    Contact,
    Language,
    Location,
    Organization,
    Phone,
    Schedule,
    ServiceAtLocation,
)
from referrals import workflow
from tests.factories import make_service

PASSWORD = "correct horse battery"
CANARY = "Canary7q"  # + a field's name: which field leaked is in the failure
# The shelter's true place (a street in Dallas) and the centre of its ZIP (75201), the public point.
TRUE_LAT, TRUE_LON = 32.791234, -96.812345
ZIP_LAT, ZIP_LON = 32.7883, -96.7996


def _canary(field: str) -> str:
    return f"{CANARY}{field.replace('_', '')}"


@pytest.fixture
def shelter(app, session):
    """A published shelter whose site is confidential, with a canary in every private field."""
    with app.app_context():
        service = make_service(
            session, name="Safe Harbor", needs=["emergency-shelter"], lat=TRUE_LAT, lon=TRUE_LON, confidential=True,
            phone=_canary("phone_number"), public_phone="800-555-0199", hours=[("MO", "09:00", "17:00")],
            precision="manual",
        )  # fmt: skip
    location = session.execute(select(Location).where(Location.organization_id == service.organization_id)).scalar_one()
    for name in ("alternate_name", "description", "transportation", "url", "external_identifier"):
        setattr(location, name, _canary(name))
    address = session.execute(select(Address).where(Address.location_id == location.id)).scalar_one()
    for name in ("attention", "address_1", "address_2", "city", "region"):
        setattr(address, name, _canary(name))
    address.postal_code = "75201"
    for schedule in session.execute(select(Schedule).where(Schedule.location_id == location.id)).scalars():
        schedule.description, schedule.notes = _canary("schedule_description"), _canary("schedule_notes")
    phone = session.execute(select(Phone).where(Phone.location_id == location.id)).scalar_one()
    phone.description, phone.extension = _canary("phone_description"), "4321"
    sal = session.execute(select(ServiceAtLocation).where(ServiceAtLocation.location_id == location.id)).scalar_one()
    sal.description = _canary("sal_description")
    session.add_all([
        Accessibility(location_id=location.id, description=_canary("access_description"),
                      details=_canary("access_details"), url=f"https://example.org/{_canary('access_url')}"),
        Language(location_id=location.id, code="es", note=_canary("language_note")),
        Contact(location_id=location.id, name=_canary("contact_name"), email=f"{_canary('contact')}@example.org"),
        Phone(location_id=location.id, number="800-555-0123", public_contact=True, description="Hotline"),
    ])  # fmt: skip
    session.commit()
    from matching.index import reindex_services

    with app.app_context():
        reindex_services(session, [service.id])
        session.commit()
    return {"service": service, "location": location, "sal": sal}


def _leaks(text: str) -> list[str]:
    """Return the canaries and true coordinates found in an output."""
    found = re.findall(rf"{CANARY}\w*", text)
    found += [point for point in ("32.791234", "-96.812345", "32.79123", "-96.81234") if point in text]
    return found


def _public_outputs(client, shelter) -> dict[str, str]:
    service_id, sal_id = shelter["service"].id, shelter["sal"].id
    organization_id = shelter["service"].organization_id
    urls = [
        "/search?location=75201&need=emergency-shelter",
        "/search?location=75201&need=emergency-shelter&view=map",
        f"/provider/{service_id}",
        "/api/v1/search?location=75201&need=emergency-shelter",
        f"/api/hsds/services/{service_id}",
        "/api/hsds/services",
        f"/api/hsds/organizations/{organization_id}",
        "/api/hsds/organizations",
        "/api/hsds/service_at_locations",
        f"/api/hsds/service_at_locations/{sal_id}",
        f"/api/hsds/service_at_locations?proximity={TRUE_LAT},{TRUE_LON},50",
        "/api/hsds/service_at_locations?postcode=75201",
    ]
    outputs = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        outputs[url] = response.get_data(as_text=True)
    return outputs


def test_no_public_page_or_api_shows_a_private_field_of_a_confidential_location(client, shelter):
    outputs = _public_outputs(client, shelter)
    assert "800-555-0123" in outputs[f"/provider/{shelter['service'].id}"], "the public contact phone shows"
    assert "Safe Harbor" in outputs["/search?location=75201&need=emergency-shelter"], "the shelter itself is found"
    leaks = {url: _leaks(text) for url, text in outputs.items() if _leaks(text)}
    assert leaks == {}, "\n".join(f"{url}: {sorted(set(found))}" for url, found in leaks.items())


def test_the_hsds_export_has_no_private_field_of_a_confidential_location(runner, shelter, tmp_path):
    result = runner.invoke(args=["hsds", "export", str(tmp_path / "package")])
    assert result.exit_code == 0, result.output
    files = {path.name: path.read_text() for path in (tmp_path / "package").rglob("*") if path.is_file()}
    assert "locations.csv" in files or any("location" in name for name in files)
    leaks = {name: _leaks(text) for name, text in files.items() if _leaks(text)}
    assert leaks == {}, "\n".join(f"{name}: {sorted(set(found))}" for name, found in leaks.items())


def test_the_referral_slip_has_no_private_field_of_a_confidential_location(app, client, session, shelter):
    agency = Organization(name="Agency")
    session.add(agency)
    session.commit()
    caseworker = create_user(session, email="cw@example.org", password=PASSWORD, role="caseworker",
                             organization_id=agency.id)  # fmt: skip
    with app.test_request_context():
        referral = workflow.create_referral(
            session, caseworker=caseworker, agency_id=agency.id, service_ids=[shelter["service"].id],
            needs=["emergency-shelter"], language="en", contact_preference="client-calls",
            client=workflow.ClientDetails(),
        )  # fmt: skip
    html = client.get("/account/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    client.post("/account/login", data={"csrf_token": token, "email": "cw@example.org", "password": PASSWORD})
    slip = client.get(f"/work/referrals/{referral.id}/slip")
    assert slip.status_code == 200
    assert "800-555-0123" in slip.get_data(as_text=True)
    assert _leaks(slip.get_data(as_text=True)) == []


def test_proximity_uses_the_public_point_and_a_minimum_radius(client, shelter):
    def found(lat, lon, km) -> bool:
        body = client.get(f"/api/hsds/service_at_locations?proximity={lat},{lon},{km}").get_json()
        return any(item["id"] == shelter["sal"].id for item in body["contents"])

    # Around the true point with a tiny radius: answered as if the radius were the minimum, around the
    # public point; it can tell no more than "somewhere near the ZIP centre".
    from matching.confidential import public_point

    lat, lon = public_point(shelter["location"])
    assert found(TRUE_LAT, TRUE_LON, 0.1) == found(lat + 0.001, lon, 0.1)
    assert found(lat, lon, 0.1)
    # Far from the public point (30 km): not found there.
    assert not found(lat + 0.3, lon, 5)


def test_the_search_places_a_confidential_site_at_its_public_point(client, shelter):
    from geo.distance import haversine_km
    from matching.confidential import public_point

    point = public_point(shelter["location"])
    assert haversine_km(*point, TRUE_LAT, TRUE_LON) > 0.5, "the public point is not the true one"
    body = client.get(f"/api/v1/search?location={TRUE_LAT},{TRUE_LON}&need=emergency-shelter&radius_km=1").get_json()
    assert shelter["service"].id not in [result["service_id"] for result in body["results"] if result["distance_km"]]
    body = client.get(f"/api/v1/search?location={point[0]},{point[1]}&need=emergency-shelter&radius_km=1").get_json()
    [result] = [result for result in body["results"] if result["service_id"] == shelter["service"].id]
    assert result["location_precision"] == "approximate"
