"""Schemathesis against /api/openapi.json: every generated request to every API operation gets an
answer with no server error, whose status code and body are what the OpenAPI document says.

The suite runs a few cases per operation; .ci/run runs at least 2,000 (AMPARO_SCHEMA_EXAMPLES and
AMPARO_SCHEMA_MIN_CASES).
"""

import os

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

EXAMPLES_PER_OPERATION = int(os.environ.get("AMPARO_SCHEMA_EXAMPLES") or 10)
MIN_CASES = int(os.environ.get("AMPARO_SCHEMA_MIN_CASES") or 0)  # .ci/run: 2,000
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]


def test_every_api_operation_answers_as_its_schema_says(seeded_app):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", seeded_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 14
    cases = []
    for operation in operations:

        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        @given(case=operation.as_strategy())
        def answers_as_documented(case):
            cases.append(case.operation.label)
            # The test client does not undo compression (a real HTTP client does): ask for none.
            case.call_and_validate(checks=CHECKS, headers={"Accept-Encoding": "identity"})

        answers_as_documented()
    print(f"schemathesis: {len(cases)} cases over {len(operations)} operations")  # noqa: T201  (CI reads it)
    assert len(cases) >= MIN_CASES
