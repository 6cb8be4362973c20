"""API manners on /api/v1 and /api/hsds (ETags, 304s, CORS, rate limits) and the OpenAPI document and docs page."""

import re

import pytest

from tests.conftest import _make_app
from tests.factories import make_service

API_GETS = ["/api/hsds/services", "/api/hsds/taxonomies", "/api/v1/needs", "/api/openapi.json"]


@pytest.mark.parametrize("url", API_GETS)
def test_get_answers_carry_a_weak_etag_and_cors(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["ETag"].startswith('W/"')
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers
    again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    assert again.data == b""


def test_last_modified_follows_the_data_and_answers_304(client, session):
    make_service(session, name="Dallas Legal Aid", needs=["asylum"], lat=32.79, lon=-96.80)
    response = client.get("/api/hsds/services")
    modified = response.headers["Last-Modified"]
    assert client.get("/api/hsds/services", headers={"If-Modified-Since": modified}).status_code == 304
    before = "Mon, 01 Jan 2001 00:00:00 GMT"
    assert client.get("/api/hsds/services", headers={"If-Modified-Since": before}).status_code == 200


def test_a_changed_body_has_a_new_etag(client, session):
    first = client.get("/api/hsds/services").headers["ETag"]
    make_service(session, name="New Provider", needs=["asylum"])
    assert client.get("/api/hsds/services", headers={"If-None-Match": first}).status_code == 200


def test_errors_are_json_with_cors_but_no_etag(client):
    response = client.get("/api/hsds/services?page=0")
    assert response.status_code == 400
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" not in response.headers


def test_cors_is_for_get_only(client):
    response = client.post("/api/v1/search")
    assert "Access-Control-Allow-Origin" not in response.headers


def test_the_api_is_rate_limited_with_a_json_429(database):
    from extensions import limiter

    app = _make_app(database, API_RATE_LIMIT="3 per minute")
    with app.app_context():
        limiter.reset()
    client = app.test_client()
    statuses = [client.get("/api/hsds/taxonomies").status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    # The limit is shared by the whole API.
    refused = client.get("/api/v1/needs")
    assert refused.status_code == 429
    assert refused.get_json()["error"]["status"] == 429
    with app.app_context():
        limiter.reset()


def test_openapi_document_lists_every_api_path(app, client):
    document = client.get("/api/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    served = {
        re.sub(r"<(?:\w+:)?(\w+)>", "{id}", rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/") and rule.rule != "/api/docs"
    }
    assert served <= set(document["paths"])
    assert set(document["paths"]) <= served
    for path, item in document["paths"].items():
        assert item["get"]["responses"]["200"], path


def test_docs_page_is_rendered_from_the_document(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    for path in ("/api/v1/search", "/api/hsds/services", "/api/hsds/service_at_locations", "proximity"):
        assert path in page
    assert "<script>" not in page
    assert "cdn" not in page.lower()


def test_hsds_errors_come_in_the_callers_language(client):
    english = client.get("/api/hsds/services?page=zero")
    spanish = client.get("/api/hsds/services?page=zero", headers={"Accept-Language": "es"})
    assert english.status_code == spanish.status_code == 400
    assert english.get_json()["error"]["message"] == "page must be a whole number"
    assert spanish.get_json()["error"]["message"] == "page debe ser un número entero"
    missing = client.get("/api/hsds/taxonomies/nope", headers={"Accept-Language": "es"})
    assert missing.get_json()["error"]["message"] == "Ninguna taxonomía tiene este identificador."
