"""Whatever a person or a partner sends, the search API answers 200, 400 or 422: never a 500."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

PARAMS = [
    "location",
    "need",
    "language",
    "cost",
    "credential",
    "radius_km",
    "page",
    "per_page",
    "open_now",
    "accepting",
    "delivery",
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.dictionaries(st.sampled_from(PARAMS), st.text(max_size=300), max_size=6))
def test_any_query_gets_a_clear_answer(client, query):
    response = client.get("/api/v1/search", query_string=query)
    assert response.status_code in (200, 400, 422)
    body = response.get_json()
    if response.status_code != 200:
        assert body["error"]["message"]
