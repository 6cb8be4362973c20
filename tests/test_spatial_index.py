"""The spatial index: grid cells on SQLite and plain PostgreSQL, a PostGIS point where it is installed."""

import math
import os
import random

import pytest
from alembic import command
from sqlalchemy import event, text

import matching.engine as engine
from geo import EARTH_RADIUS_KM
from matching.engine import SearchQuery
from matching.index import postgis_schema
from models.db import alembic_config
from models.search import grid_cell
from tests.conftest import ON_POSTGRES

DALLAS = (32.7904, -96.8044)


def test_a_grid_cell_is_a_tenth_of_a_degree_square_counted_from_the_south_pole_and_the_antimeridian():
    assert grid_cell(0.0, 0.0) == 900 * 10_000 + 1800
    assert grid_cell(32.7904, -96.8044) == (327 + 900) * 10_000 + (-969 + 1800)  # floors, also below zero
    assert grid_cell(-0.01, -0.01) == 899 * 10_000 + 1799
    assert grid_cell(89.99, 179.99) == 1799 * 10_000 + 3599
    assert grid_cell(None, -96.8) is None


def _point_at(center: tuple[float, float], bearing: float, km: float) -> tuple[float, float]:
    """Return the point ``km`` from ``center`` on ``bearing`` (radians), on the engine's sphere."""
    angular = km / EARTH_RADIUS_KM
    lat0, lon0 = math.radians(center[0]), math.radians(center[1])
    lat = math.asin(math.sin(lat0) * math.cos(angular) + math.cos(lat0) * math.sin(angular) * math.cos(bearing))
    lon = lon0 + math.atan2(math.sin(bearing) * math.sin(angular) * math.cos(lat0),
                            math.cos(angular) - math.sin(lat0) * math.sin(lat))
    return math.degrees(lat), math.degrees(lon)


def test_a_search_reads_the_few_cells_its_circle_touches_and_every_point_within_it_is_in_them():
    rng = random.Random(5)
    for radius, most in ((5.0, 9), (50.0, 140), (100.0, 460)):
        params = {}
        assert engine._grid(SearchQuery(lat=DALLAS[0], lon=DALLAS[1], radius_km=radius), params)
        cells = set(params["cells"])
        assert len(cells) <= most
        for _ in range(500):
            assert grid_cell(*_point_at(DALLAS, rng.uniform(0, 2 * math.pi), rng.uniform(0, radius))) in cells


def test_the_cells_of_a_circle_leave_out_the_corners_of_its_box_but_never_a_point_on_its_edge():
    rng = random.Random(11)
    for _ in range(300):
        center = (rng.uniform(-75, 75), rng.uniform(-170, 170))
        radius = rng.choice([0.5, 3.0, 10.0, 25.0, 50.0, 100.0, 150.0, rng.uniform(0.1, 200)])
        params = {}
        if not engine._grid(SearchQuery(lat=center[0], lon=center[1], radius_km=radius), params):
            continue
        cells = set(params["cells"])
        for _ in range(60):
            # On the edge itself, as the engine's test keeps it (a hair inside), and just inside.
            km = radius * rng.choice([1 - 1e-12, 1 - 1e-6, rng.random()])
            assert grid_cell(*_point_at(center, rng.uniform(0, 2 * math.pi), km)) in cells, (center, radius)
    # The corners are left out: at 40 degrees north, a 100 km circle takes 368 of its box's 18 x 24 cells.
    params = {}
    engine._grid(SearchQuery(lat=40.0, lon=-75.0, radius_km=100.0), params)
    rows = {cell // 10_000 for cell in params["cells"]}
    columns = {cell % 10_000 for cell in params["cells"]}
    assert len(params["cells"]) <= 0.86 * len(rows) * len(columns)


def test_a_huge_circle_reads_whole_latitude_bands_instead_of_listing_cells():
    params = {}
    assert not engine._grid(SearchQuery(lat=64.8, lon=-147.7, radius_km=3000.0), params)
    assert params["min_cell"] < grid_cell(64.8, -147.7) < params["max_cell"]


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's query plan")
def test_on_sqlite_a_search_probes_the_need_and_cell_index(session):
    statements = []

    def record(_connection, _cursor, statement, parameters, _context, _many):
        statements.append((statement, parameters))

    event.listen(session.get_bind(), "before_cursor_execute", record)
    try:
        engine.search(session, SearchQuery(lat=DALLAS[0], lon=DALLAS[1], need="asylum"))
    finally:
        event.remove(session.get_bind(), "before_cursor_execute", record)
    statement, parameters = next((sql, params) for sql, params in statements if "k_unknown" in sql)
    plan = session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
    details = " ".join(row[-1] for row in plan)
    assert "ix_search_entry_need_cell (need_code=? AND cell=?)" in details


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL only")
def test_on_postgresql_the_index_has_a_postgis_point_exactly_when_postgis_is_installed(session):
    connection = session.connection()
    installed = connection.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'postgis'")).scalar()
    wanted = installed and os.environ.get("AMPARO_POSTGIS", "").lower() != "off"
    assert bool(postgis_schema(connection)) == bool(wanted)
    indexes = connection.execute(text("SELECT indexname FROM pg_indexes WHERE tablename = 'search_entry'"
                                      " AND schemaname = current_schema()")).scalars().all()
    assert ("ix_search_entry_geog" in indexes) == bool(wanted)
    assert "ix_search_entry_need_cell" in indexes


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL only")
def test_a_whole_rebuild_stores_the_rows_in_need_and_cell_order(session):
    from matching.index import rebuild_index

    rebuild_index(session)
    clustered = session.connection().execute(text(
        "SELECT i.indisclustered FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
        " JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE c.relname = 'ix_search_entry_need_cell' AND n.nspname = current_schema()"
    )).scalar()
    assert clustered is True


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL only")
def test_postgis_is_asked_for_small_circles_only(session):
    statements = []

    def record(_connection, _cursor, statement, _parameters, _context, _many):
        statements.append(statement)

    event.listen(session.get_bind(), "before_cursor_execute", record)
    try:
        for radius in (10.0, 100.0):
            engine.search(session, SearchQuery(lat=DALLAS[0], lon=DALLAS[1], need="asylum", radius_km=radius))
    finally:
        event.remove(session.get_bind(), "before_cursor_execute", record)
    ranking = [sql for sql in statements if "k_unknown" in sql]
    uses_postgis = ["st_dwithin" in sql for sql in ranking]
    if postgis_schema(session.connection()):
        assert uses_postgis[0]
        assert not uses_postgis[-1]
    else:
        assert not any(uses_postgis)


def test_the_migration_puts_existing_rows_in_the_cells_the_code_computes(database):
    config = alembic_config(database.engine)
    command.downgrade(config, "e53a3936777d")
    points = [(32.7904, -96.8044), (-33.9, 151.2), (0.0, -0.0001), (61.2181, -149.9003), (19.5, -155.5), (45.0, 0.5)]
    with database.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO organization (id, name, description, sources, verified, status, last_modified, version)"
            " VALUES ('o1', 'Org', '', '', false, 'published', '2026-01-01 00:00:00', 1)"))
        connection.execute(text(
            "INSERT INTO service (id, organization_id, name, status, last_modified, delivery, placement, version)"
            " VALUES ('s1', 'o1', 'A service', 'active', '2026-01-01 00:00:00', 'in-person', 'placed', 1)"))
        for lat, lon in [*points, (None, None)]:
            connection.execute(
                text("INSERT INTO search_entry (need_code, direct, service_id, organization_id, latitude, longitude,"
                     " service_name, organization_name, needs, languages, credentials, delivery, hours)"
                     " VALUES ('asylum', true, 's1', 'o1', :lat, :lon, 'S', 'O', '', '', '', 'in-person', '')"),
                {"lat": lat, "lon": lon},
            )
    command.upgrade(config, "head")
    with database.engine.connect() as connection:
        found = connection.execute(text("SELECT latitude, longitude, cell FROM search_entry")).all()
    assert sorted((lat, lon, cell) for lat, lon, cell in found if lat is not None) == sorted(
        (lat, lon, grid_cell(lat, lon)) for lat, lon in points
    )
    assert [cell for lat, _, cell in found if lat is None] == [None]
