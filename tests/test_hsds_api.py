"""/api/hsds: every answer is valid HSDS 3.0, filters combine with AND, and shelters stay hidden."""

import json
from functools import cache
from pathlib import Path

import pytest
from jsonschema import Draft7Validator
from sqlalchemy import select

from models import Organization, Service
from seed.load import taxonomy_id, term_id
from tests.factories import make_service

SCHEMAS = Path(__file__).resolve().parent.parent / "hsds" / "schema"
SHELTER_STREET = "77 Hidden Shelter Lane"
PAGE_KEYS = {"total_items", "total_pages", "page_number", "size", "first_page", "last_page", "empty", "contents"}


@cache
def validator(name: str) -> Draft7Validator:
    return Draft7Validator(json.loads((SCHEMAS / name).read_text(encoding="utf-8")))


def assert_valid(item: dict, schema: str) -> None:
    errors = sorted(validator(schema).iter_errors(item), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


def get_page(client, url: str, schema: str) -> dict:
    response = client.get(url)
    assert response.status_code == 200, response.data
    page = response.get_json()
    assert set(page) == PAGE_KEYS
    for item in page["contents"]:
        assert_valid(item, schema)
    return page


@pytest.fixture
def directory(session):
    """Three services: Dallas immigration help with credentials, a shelter, and a Houston counselling service."""
    legal = make_service(
        session,
        name="Dallas Legal Aid",
        needs=["asylum"],
        lat=32.79,
        lon=-96.80,
        languages=["es"],
        credentials=["eoir-pro-bono", "attorney"],
        capacity="accepting",
        cost="free",
    )
    shelter = make_service(
        session,
        name="Safe Harbor",
        needs=["domestic-violence"],
        lat=32.80,
        lon=-96.79,
        confidential=True,
        street=SHELTER_STREET,
        public_phone="800-555-0199",
    )
    houston = make_service(session, name="Houston Counselling", needs=["counseling"], lat=29.76, lon=-95.37)
    return {"legal": legal, "shelter": shelter, "houston": houston}


def test_root_says_version_profile_and_openapi_url(client):
    answer = client.get("/api/hsds/").get_json()
    assert answer["version"] == "3.0"
    assert answer["profile"].startswith("https://openreferral.org/")
    assert answer["openapi_url"].endswith("/api/openapi.json")


def test_every_endpoint_answers_valid_hsds(client, directory):
    legal = directory["legal"]
    for url in ("/api/hsds/services", "/api/hsds/services?full=true"):
        page = get_page(client, url, "service_list.json")
        assert page["total_items"] == 3
    for item in get_page(client, "/api/hsds/services?full=true", "service.json")["contents"]:
        assert_valid(item, "service.json")
    get_page(client, "/api/hsds/organizations", "organization_list.json")
    for item in get_page(client, "/api/hsds/organizations?full=true", "organization_list.json")["contents"]:
        assert_valid(item, "organization.json")
    sals = get_page(client, "/api/hsds/service_at_locations", "service_at_location_list.json")
    for item in get_page(client, "/api/hsds/service_at_locations?full=true", "service_at_location_list.json")[
        "contents"
    ]:
        assert_valid(item, "service_at_location.json")
    taxonomies = get_page(client, "/api/hsds/taxonomies", "taxonomy.json")
    terms = get_page(client, "/api/hsds/taxonomy_terms?per_page=100", "taxonomy_term.json")

    assert_valid(client.get(f"/api/hsds/services/{legal.id}").get_json(), "service.json")
    assert_valid(client.get(f"/api/hsds/organizations/{legal.organization_id}").get_json(), "organization.json")
    assert_valid(
        client.get(f"/api/hsds/organizations/{legal.organization_id}?full_service=true").get_json(),
        "organization.json",
    )
    sal_id = sals["contents"][0]["id"]
    assert_valid(client.get(f"/api/hsds/service_at_locations/{sal_id}").get_json(), "service_at_location.json")
    assert_valid(client.get(f"/api/hsds/taxonomies/{taxonomies['contents'][0]['id']}").get_json(), "taxonomy.json")
    assert_valid(client.get(f"/api/hsds/taxonomy_terms/{terms['contents'][0]['id']}").get_json(), "taxonomy_term.json")


def test_service_carries_needs_credentials_and_capacity_as_attributes(client, directory):
    service = client.get(f"/api/hsds/services/{directory['legal'].id}").get_json()
    by_taxonomy = {}
    for attribute in service["attributes"]:
        by_taxonomy.setdefault(attribute["taxonomy_term"]["taxonomy"], set()).add(attribute["taxonomy_term"]["code"])
    assert by_taxonomy["amparo-credentials"] == {"eoir-pro-bono", "attorney"}
    assert by_taxonomy["amparo-capacity"] == {"accepting"}
    assert "asylum" in by_taxonomy["Amparo needs"]
    assert "EOIR" in service["accreditations"]
    assert [x["code"] for x in service["languages"]] == ["es"]


def test_confidential_location_never_shows_its_address_or_coordinates(client, directory):
    shelter = directory["shelter"]
    sal = client.get("/api/hsds/service_at_locations?search=Safe+Harbor&full=true").get_json()["contents"][0]
    urls = [
        "/api/hsds/services",
        "/api/hsds/services?full=true",
        f"/api/hsds/services/{shelter.id}",
        "/api/hsds/services?format=ndjson",
        "/api/hsds/organizations?full=true&full_service=true",
        f"/api/hsds/organizations/{shelter.organization_id}?full_service=true",
        "/api/hsds/service_at_locations",
        "/api/hsds/service_at_locations?full=true",
        "/api/hsds/service_at_locations?postcode=75201&proximity=50000",
        "/api/hsds/service_at_locations?proximity=32.8,-96.8,10",
        f"/api/hsds/service_at_locations/{sal['id']}",
    ]
    for url in urls:
        body = client.get(url).data
        assert SHELTER_STREET.encode() not in body, url
        assert b"32.8," not in body.replace(b"proximity", b""), url  # the shelter's latitude
    location = sal["location"]
    assert location["addresses"] == []
    assert "latitude" not in location
    assert "longitude" not in location
    assert "214-555-0100" not in json.dumps(location)  # the site's own line; the public hotline stands in


def test_filters_combine_with_and(client, directory):
    legal = directory["legal"]

    def ids(url):
        return {s["id"] for s in client.get(url).get_json()["contents"]}

    assert ids(f"/api/hsds/services?taxonomy_term_id={term_id('asylum')}") == {legal.id}
    assert len(ids(f"/api/hsds/services?taxonomy_id={taxonomy_id()}")) == 3
    assert ids(f"/api/hsds/services?organization_id={legal.organization_id}") == {legal.id}
    assert ids("/api/hsds/services?search=dallas") == {legal.id}
    assert ids(f"/api/hsds/services?search=houston&taxonomy_term_id={term_id('asylum')}") == set()
    assert len(ids("/api/hsds/services?modified_after=2000-01-01T00:00:00Z")) == 3
    assert ids("/api/hsds/services?modified_after=2999-01-01") == set()
    near = ids("/api/hsds/service_at_locations?postcode=75201&proximity=20000")
    assert len(near) == 2  # the Dallas two, not Houston
    assert len(ids("/api/hsds/service_at_locations?proximity=29.76,-95.37,5")) == 1
    houston_and_legal = f"proximity=29.76,-95.37,5&organization_id={legal.organization_id}"
    assert ids(f"/api/hsds/service_at_locations?{houston_and_legal}") == set()
    terms = client.get(f"/api/hsds/taxonomy_terms?taxonomy_id={taxonomy_id()}&top_only=true").get_json()
    assert terms["total_items"] == 5


def test_pages_and_minimal(client, directory):
    first = client.get("/api/hsds/services?per_page=2").get_json()
    assert (first["total_items"], first["total_pages"], first["size"]) == (3, 2, 2)
    assert first["first_page"]
    assert not first["last_page"]
    assert not first["empty"]
    second = client.get("/api/hsds/services?per_page=2&page=2").get_json()
    assert second["last_page"]
    assert second["size"] == 1
    too_many = client.get("/api/hsds/services?per_page=1000")
    assert too_many.status_code == 400
    assert too_many.get_json()["error"]["message"] == "per_page must be at most 100"
    minimal = client.get("/api/hsds/services?minimal=true").get_json()["contents"]
    assert all(set(item) == {"id", "last_modified"} for item in minimal)
    assert client.get("/api/hsds/services?search=nothing-like-this").get_json()["empty"]


def test_only_published_organizations_and_their_services(client, session, directory):
    org = session.get(Organization, directory["houston"].organization_id)
    org.status = "pending"
    session.commit()
    assert client.get("/api/hsds/services").get_json()["total_items"] == 2
    assert client.get(f"/api/hsds/services/{directory['houston'].id}").status_code == 404
    assert client.get(f"/api/hsds/organizations/{org.id}").status_code == 404


def test_ndjson_streams_every_service(client, directory):
    response = client.get("/api/hsds/services?format=ndjson&per_page=1")
    assert response.is_streamed
    assert response.mimetype == "application/x-ndjson"
    lines = [json.loads(line) for line in response.data.decode().splitlines()]
    assert {item["id"] for item in lines} == {s.id for s in directory.values()}
    for item in lines:
        assert_valid(item, "service.json")


@pytest.mark.parametrize(
    "url",
    [
        "/api/hsds/services/nope",
        "/api/hsds/organizations/nope",
        "/api/hsds/service_at_locations/nope",
        "/api/hsds/taxonomies/nope",
        "/api/hsds/taxonomy_terms/nope",
    ],
)
def test_unknown_ids_are_json_404s(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert response.get_json()["error"]["status"] == 404


@pytest.mark.parametrize(
    "query",
    [
        "page=0",
        "page=x",
        "per_page=-1",
        "full=maybe",
        "modified_after=yesterday",
        "format=xml",
    ],
)
def test_bad_parameters_are_json_400s(client, query):
    response = client.get(f"/api/hsds/services?{query}")
    assert response.status_code == 400
    assert response.get_json()["error"]["message"]


LIST_ENDPOINTS = (
    "/api/hsds/services",
    "/api/hsds/organizations",
    "/api/hsds/service_at_locations",
    "/api/hsds/taxonomies",
    "/api/hsds/taxonomy_terms",
)


@pytest.mark.parametrize("endpoint", LIST_ENDPOINTS)
def test_a_huge_page_number_is_a_clear_400_on_every_list(client, endpoint):
    response = client.get(f"{endpoint}?page=99999999999999999999999")
    assert response.status_code == 400
    assert response.get_json()["error"]["message"] == "page must be at most 1000000"


@pytest.mark.parametrize(
    ("endpoint", "schema"),
    [
        ("/api/hsds/services", "service.json"),
        ("/api/hsds/organizations", "organization_list.json"),
        ("/api/hsds/service_at_locations", "service_at_location_list.json"),
        ("/api/hsds/taxonomies", "taxonomy.json"),
        ("/api/hsds/taxonomy_terms", "taxonomy_term.json"),
    ],
)
def test_ndjson_works_on_every_list(client, directory, endpoint, schema):
    response = client.get(f"{endpoint}?format=ndjson")
    assert response.mimetype == "application/x-ndjson"
    lines = [json.loads(line) for line in response.data.decode().splitlines()]
    page = client.get(f"{endpoint}?per_page=100").get_json()
    assert [item["id"] for item in lines] == [item["id"] for item in page["contents"]]
    for item in lines:
        assert_valid(item, schema)


def test_a_parent_term_finds_the_services_of_its_children(client, directory):
    # Dallas Legal Aid has "asylum", a child of "immigration-legal"; the shelter has "domestic-violence".
    found = client.get(f"/api/hsds/services?taxonomy_term_id={term_id('immigration-legal')}").get_json()
    assert [s["name"] for s in found["contents"]] == ["Dallas Legal Aid service"]
    sites = client.get(f"/api/hsds/service_at_locations?taxonomy_term_id={term_id('victim-support')}").get_json()
    assert sites["total_items"] == 1


def test_every_operation_has_an_operation_id(client):
    document = client.get("/api/openapi.json").get_json()
    ids = [operation["operationId"] for path in document["paths"].values() for operation in path.values()]
    assert len(ids) == len(set(ids)) == len(document["paths"])


@pytest.mark.parametrize("query", ["proximity=abc", "proximity=5000", "proximity=91,0,5", "proximity=1,2,0"])
def test_bad_proximity_is_a_json_400(client, query):
    response = client.get(f"/api/hsds/service_at_locations?{query}")
    assert response.status_code == 400


def test_a_page_costs_a_fixed_number_of_queries(app, client, session):
    from sqlalchemy import event

    for index in range(12):
        make_service(session, name=f"Provider {index}", needs=["asylum"], lat=32.7 + index / 100, lon=-96.8)
    engine = app.extensions["amparo.engine"]
    counts = []

    def count(*_args):
        counts[-1] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        for per_page in (2, 12):
            counts.append(0)
            client.get(f"/api/hsds/services?full=true&per_page={per_page}")
            counts.append(0)
            client.get(f"/api/hsds/service_at_locations?full=true&per_page={per_page}")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert counts[0] == counts[2]
    assert counts[1] == counts[3]


@pytest.mark.seeded
def test_real_data_pages_are_valid_hsds(seeded_client, seeded_session):
    for url, schema in (
        ("/api/hsds/services?per_page=25&full=true", "service.json"),
        ("/api/hsds/services?per_page=25&page=7", "service_list.json"),
        ("/api/hsds/organizations?per_page=25&full=true", "organization.json"),
        ("/api/hsds/service_at_locations?per_page=25&full=true", "service_at_location.json"),
        ("/api/hsds/service_at_locations?postcode=75201&proximity=15000", "service_at_location_list.json"),
        ("/api/hsds/taxonomy_terms?per_page=100", "taxonomy_term.json"),
    ):
        page = get_page(seeded_client, url, schema)
        assert page["size"] > 0, url
    service = seeded_session.execute(select(Service).limit(1)).scalar_one()
    assert_valid(seeded_client.get(f"/api/hsds/services/{service.id}").get_json(), "service.json")
    assert_valid(
        seeded_client.get(f"/api/hsds/organizations/{service.organization_id}").get_json(), "organization.json"
    )


@pytest.mark.seeded
def test_real_confidential_locations_have_no_address_anywhere(seeded_client, seeded_session):
    from models import Address, Location, ServiceAtLocation

    rows = seeded_session.execute(
        select(ServiceAtLocation.id, Address.address_1, Location.organization_id)
        .join(Location, Location.id == ServiceAtLocation.location_id)
        .join(Address, Address.location_id == Location.id)
        .where(Location.confidential.is_(True), Address.address_1 != "")
        .limit(5)
    ).all()
    for sal_id, street, org_id in rows:
        for url in (f"/api/hsds/service_at_locations/{sal_id}", f"/api/hsds/organizations/{org_id}?full_service=true"):
            body = seeded_client.get(url).data
            assert street.encode() not in body
