"""Our own OpenAPI 3.1 document (/api/openapi.json) and the docs page rendered from it (/api/docs)."""

from flask import Blueprint, current_app, jsonify, render_template

from models.base import CREDENTIAL_KINDS
from web.urls import site_url

bp = Blueprint("hsds_docs", __name__, url_prefix="/api")

HSDS_BASE = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"


def _param(name: str, description: str, kind: str = "string", where: str = "query", **schema) -> dict:
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "description": description,
        "schema": {"type": kind, **schema},
    }


PAGE = [
    _param("page", "Page number, from 1.", "integer", minimum=1, maximum=1_000_000),
    _param("per_page", "Results per page (at most 100).", "integer", minimum=1, maximum=100),
    _param("search", "Words to look for in names and descriptions."),
]
SERVICE_FILTERS = [
    _param("taxonomy_term_id", "Only services with this taxonomy term (a need) or any term under it."),
    _param("taxonomy_id", "Only services with any term of this taxonomy."),
    _param("organization_id", "Only services of this organization."),
    _param("modified_after", "Only services modified on or after this ISO 8601 date-time.", format="date-time"),
    _param("full", "Return fully nested objects.", "boolean"),
]
FORMAT = _param("format", "json (paginated, default) or ndjson (every result, one JSON object a line, streamed).",
                enum=["json", "ndjson"])  # fmt: skip
NDJSON = {"application/x-ndjson": {"schema": {"type": "string"}}}
# One operationId per path, for generated clients.
OPERATION_IDS = {
    "/api/v1/search": "searchServices",
    "/api/v1/needs": "listNeeds",
    "/api/openapi.json": "getOpenApiDocument",
    "/api/hsds/": "getHsdsInfo",
    "/api/hsds/services": "listServices",
    "/api/hsds/services/{id}": "getService",
    "/api/hsds/organizations": "listOrganizations",
    "/api/hsds/organizations/{id}": "getOrganization",
    "/api/hsds/service_at_locations": "listServiceAtLocations",
    "/api/hsds/service_at_locations/{id}": "getServiceAtLocation",
    "/api/hsds/taxonomies": "listTaxonomies",
    "/api/hsds/taxonomies/{id}": "getTaxonomy",
    "/api/hsds/taxonomy_terms": "listTaxonomyTerms",
    "/api/hsds/taxonomy_terms/{id}": "getTaxonomyTerm",
}
ERRORS = {
    "400": {"$ref": "#/components/responses/Error"},
    "404": {"$ref": "#/components/responses/Error"},
    "429": {"$ref": "#/components/responses/Error"},
}


def _get(summary: str, params: list, schema: dict, *, page: bool = False, description: str = "") -> dict:
    content = {}
    if page:
        schema = {"allOf": [{"$ref": "#/components/schemas/Page"}], "properties": {"contents": {"type": "array",
                  "items": schema}}}  # fmt: skip
        params = [*params, FORMAT] if FORMAT not in params else params
        content = NDJSON
    return {
        "get": {
            "summary": summary,
            "description": description or summary,
            "parameters": params,
            "responses": {
                "200": {"description": "OK", "content": {"application/json": {"schema": schema}, **content}},
                **ERRORS,
            },
        }
    }


def _with_place_not_found(operation: dict) -> dict:
    """Add the 422 a search answers when its place cannot be found (with suggestions)."""
    operation["get"]["responses"]["422"] = {"$ref": "#/components/responses/Error"}
    return operation


def _ref(name: str) -> dict:
    return {"$ref": HSDS_BASE + name}


def document() -> dict:
    """Return the OpenAPI document of /api/v1 and /api/hsds."""
    ident = [_param("id", "The record's id.", where="path")]
    search_params = [
        _param("location", "A ZIP code, a city or an address (required)."),
        _param("need", "A need code from /api/v1/needs."),
        _param("language", "Language codes, comma-separated (es,fr)."),
        _param("cost", "free or sliding-scale.", enum=["free", "sliding-scale"]),
        _param("credential", "A credential kind.", enum=list(CREDENTIAL_KINDS)),
        _param("accepting", "Services accepting new clients, then those that do not say (unknown).", "boolean"),
        _param("open_now", "Services open now, then those that list no hours (unknown).", "boolean"),
        _param("language_strict", "Only services that list the language (no unknown ones).", "boolean"),
        _param("accepting_strict", "Only services that say they accept new clients.", "boolean"),
        _param("credential_strict", "Only services that list the credential.", "boolean"),
        _param("open_now_strict", "Only services whose hours say they are open now.", "boolean"),
        _param("delivery", "in-person or remote.", enum=["in-person", "remote"]),
        _param("radius_km", "Search radius in km (1 to 500).", "integer", minimum=1, maximum=500),
        _param(
            "radius_mi",
            "Search radius in miles (1 to 300), when radius_km is not given.",
            "integer",
            minimum=1,
            maximum=300,
        ),
        _param("page", "Page number.", "integer", minimum=1, maximum=1000),
        _param("per_page", "Results per page.", "integer", minimum=1, maximum=100),
    ]
    answer = {
        "openapi": "3.1.0",
        "info": {
            "title": "Amparo API",
            "version": "1",
            "description": (
                "Search Amparo's directory of immigration legal help, mental health care and support after violence "
                "(/api/v1), or read it as Open Referral HSDS 3.0 (/api/hsds). Answers to GET carry ETag and "
                "Last-Modified (send If-None-Match or If-Modified-Since for a 304) and Access-Control-Allow-Origin: *. "
                'Requests are rate limited per client; errors are JSON: {"error": {"status", "message"}}. '
                "Confidential locations (shelters) never carry an address or coordinates. HSDS schemas: "
                "Open Referral, CC BY-SA 4.0."
            ),
            "license": {"name": "HSDS schemas: CC BY-SA 4.0", "url": "https://creativecommons.org/licenses/by-sa/4.0/"},
        },
        "servers": [{"url": site_url("finder.start").rstrip("/")}],
        "paths": {
            "/api/v1/search": _with_place_not_found(
                _get("Search services near a place", search_params, {"type": "object"})
            ),
            "/api/v1/needs": _get(
                "The need taxonomy, labelled in the requested language",
                [_param("lang", "A language the site speaks (BCP 47).", enum=list(current_app.config["LANGUAGES"]))],
                {"type": "object"},
            ),  # fmt: skip
            "/api/openapi.json": _get("This document", [], {"type": "object"}),
            "/api/hsds/": _get(
                "HSDS version and profile of this API",
                [],
                {
                    "type": "object",
                    "properties": {
                        "version": {"type": "string"},
                        "profile": {"type": "string"},
                        "openapi_url": {"type": "string"},
                    },
                },
            ),  # fmt: skip
            "/api/hsds/services": _get(
                "Published services",
                [*PAGE, FORMAT, *SERVICE_FILTERS, _param("minimal", "Only id and last_modified.", "boolean")],
                _ref("compiled/service_list.json"),
                page=True,
                description="Published services. Needs are attributes with a taxonomy_term of the Amparo needs "
                "taxonomy; credentials and capacity are attributes of the amparo-credentials and amparo-capacity "
                "taxonomies. format=ndjson streams every matching service.",
            ),
            "/api/hsds/services/{id}": _get("One fully nested service", ident, _ref("compiled/service.json")),
            "/api/hsds/organizations": _get(
                "Published organizations",
                [
                    *PAGE,
                    _param("full", "Fully nested.", "boolean"),
                    _param("full_service", "Fully nested services.", "boolean"),
                ],
                _ref("compiled/organization_list.json"),
                page=True,
            ),  # fmt: skip
            "/api/hsds/organizations/{id}": _get(
                "One fully nested organization",
                [*ident, _param("full_service", "Fully nested services.", "boolean")],
                _ref("compiled/organization.json"),
            ),
            "/api/hsds/service_at_locations": _get(
                "Services at their locations",
                [
                    *PAGE,
                    *SERVICE_FILTERS,
                    _param("postcode", "Only sites with this postcode (public addresses only)."),
                    _param("proximity", "Metres from the postcode's centroid, or lat,lon,km."),
                ],
                _ref("compiled/service_at_location_list.json"),
                page=True,
            ),
            "/api/hsds/service_at_locations/{id}": _get(
                "One fully nested service at a location", ident, _ref("compiled/service_at_location.json")
            ),
            "/api/hsds/taxonomies": _get("Taxonomies", PAGE, _ref("taxonomy.json"), page=True),
            "/api/hsds/taxonomies/{id}": _get("One taxonomy", ident, _ref("taxonomy.json")),
            "/api/hsds/taxonomy_terms": _get(
                "Taxonomy terms",
                [
                    *PAGE,
                    _param("taxonomy_id", "Only terms of this taxonomy."),
                    _param("parent_id", "Only children of this term."),
                    _param("top_only", "Only terms without a parent.", "boolean"),
                ],
                _ref("taxonomy_term.json"),
                page=True,
            ),
            "/api/hsds/taxonomy_terms/{id}": _get("One taxonomy term", ident, _ref("taxonomy_term.json")),
        },
        "components": {
            "schemas": {
                "Page": {
                    "type": "object",
                    "properties": {
                        "total_items": {"type": "integer"},
                        "total_pages": {"type": "integer"},
                        "page_number": {"type": "integer"},
                        "size": {"type": "integer"},
                        "first_page": {"type": "boolean"},
                        "last_page": {"type": "boolean"},
                        "empty": {"type": "boolean"},
                    },
                },
                "Error": {
                    "type": "object",
                    "properties": {
                        "error": {
                            "type": "object",
                            "properties": {"status": {"type": "integer"}, "message": {"type": "string"}},
                        }
                    },
                },
            },
            "responses": {
                "Error": {
                    "description": "An error, as JSON",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                }
            },
        },
    }
    for path, operation_id in OPERATION_IDS.items():
        answer["paths"][path]["get"]["operationId"] = operation_id
    answer["paths"]["/api/v1/guidance/detained"] = {
        "get": {
            "operationId": "getDetainedGuidance",
            "summary": "What to do now when someone was detained by immigration",
            "description": "Steps from official sources (ICE's detainee locator, the immigration court's case "
            "information line, its list of free legal service providers), each with links, phone numbers and "
            "sources, in the requested language. A search for the detention-bond need carries them too.",
            "parameters": [_param("lang", "en or es.", enum=["en", "es"])],
            "responses": {
                "200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}},
                **ERRORS,
            },
        }
    }
    return answer


@bp.get("/openapi.json")
def openapi():
    """Serve the OpenAPI document."""
    return jsonify(document())


@bp.get("/docs")
def docs():
    """Show the API documentation, rendered from the OpenAPI document."""
    return render_template("hsds/docs.html", doc=document())
