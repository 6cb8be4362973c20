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


def test_a_grid_cell_is_a_half_degree_square_counted_from_the_south_pole_and_the_antimeridian():
    assert grid_cell(0.0, 0.0) == 180 * 1000 + 360
    assert grid_cell(32.7904, -96.8044) == (65 + 180) * 1000 + (-194 + 360)  # floors, also below zero
    assert grid_cell(-0.1, -0.1) == 179 * 1000 + 359
    assert grid_cell(None, -96.8) is None


def test_a_search_reads_the_few_cells_its_circle_touches_and_every_point_within_it_is_in_them():
    rng = random.Random(5)
    for radius in (5.0, 50.0, 100.0):
        params = {}
        assert engine._grid(SearchQuery(lat=DALLAS[0], lon=DALLAS[1], radius_km=radius), params)
        cells = set(params["cells"])
        assert len(cells) <= {5.0: 4, 50.0: 16, 100.0: 30}[radius]
        for _ in range(500):
            # A random point within the radius (bearing and distance on the sphere).
            bearing, angular = rng.uniform(0, 2 * math.pi), rng.uniform(0, radius) / EARTH_RADIUS_KM
            lat0, lon0 = math.radians(DALLAS[0]), math.radians(DALLAS[1])
            lat = math.asin(math.sin(lat0) * math.cos(angular) + math.cos(lat0) * math.sin(angular) * math.cos(bearing))
            lon = lon0 + math.atan2(math.sin(bearing) * math.sin(angular) * math.cos(lat0),
                                    math.cos(angular) - math.sin(lat0) * math.sin(lat))
            assert grid_cell(math.degrees(lat), math.degrees(lon)) in cells


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
