"""The benchmark's own honesty: exactly N synthetic services, no reuse of another data set,
searches the API accepts, and a naive baseline that finds what the engine finds."""

import random

import pytest
from sqlalchemy import func, select

from bench.build import WrongDatabase, check_or_build, contents, synthesize
from bench.search_bench import naive_search
from bench.workload import Search, dense_cases, mix
from matching.engine import search
from models import SearchEntry
from seed.load import ensure_taxonomy
from tests.factories import make_service


def test_a_database_holding_another_data_set_is_refused_with_how_to_rebuild(database, session):
    make_service(session, name="Real", needs=["asylum"], lat=32.8, lon=-96.8)
    session.commit()
    with pytest.raises(WrongDatabase, match=r"holds 0 synthetic and 1 other services.*To rebuild: "):
        check_or_build(database.engine, 10, seed=1)


def test_the_builder_adds_exactly_the_synthetic_services_asked_for_and_indexes_them(session):
    ensure_taxonomy(session)
    session.commit()
    lines = []
    synthesize(session, [(0, 4), (4, 4), (8, 2)], seed=3, started=0.0, report=lines.append)
    assert contents(session).synthetic == 10
    assert session.execute(select(func.count(func.distinct(SearchEntry.service_id)))).scalar_one() == 10
    assert "3 / 3 batches" in lines[-1]


def test_every_search_of_the_mix_is_one_the_api_accepts(client):
    searches = mix(random.Random(5), 60)
    assert {"metro", "weighted"} == {item.kind for item in searches}
    assert any(item.query.need is None for item in searches)
    for item in searches:
        response = client.get("/api/v1/search", query_string=item.api_params())
        assert response.status_code == 200, (item.api_params(), response.get_json())


def test_the_dense_cases_start_at_new_york_and_the_naive_baseline_finds_what_the_engine_finds(session):
    make_service(session, name="Midtown", needs=["asylum"], lat=40.75, lon=-73.99, state="NY", county="New York")
    make_service(session, name="Newark", needs=["counseling"], lat=40.73, lon=-74.17, state="NJ", county="Essex")
    make_service(session, name="Boston", needs=["asylum"], lat=42.36, lon=-71.06, state="MA", county="Suffolk")
    session.commit()
    cases = dense_cases(session)
    assert cases[0].zcta == "10001"
    assert all(case.query.radius_km == 100 for case in cases)
    for case in cases:
        engine_ids = {match.service_id for match in search(session, case.query, per_page=100).matches}
        assert {service_id for service_id, _ in naive_search(session, case)} == engine_ids
    no_need = next(case for case in cases if case.kind == "NYC 10001, no need")
    assert len(naive_search(session, no_need)) == 2
    assert isinstance(no_need, Search)
