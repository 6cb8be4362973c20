"""The Alembic migrations create exactly the schema the models describe."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import models  # noqa: F401  (registers the tables)
from models.db import is_migrated
from models.search import include_in_autogenerate


# SQLAlchemy has no type for PostGIS's geography: it says so while reflecting the column it then skips.
@pytest.mark.filterwarnings("ignore:Did not recognize type .*geography")
def test_migrations_match_the_models(database):
    assert is_migrated(database.engine)
    with database.engine.connect() as connection:
        # The PostGIS point is the migration's alone (the models cannot declare it on SQLite).
        opts = {"compare_type": True, "include_object": include_in_autogenerate}
        context = MigrationContext.configure(connection, opts=opts)
        assert compare_metadata(context, SQLModel.metadata) == []


def test_upgrading_a_directory_with_data_keeps_it(tmp_path):
    from alembic import command
    from sqlalchemy import func, select
    from sqlmodel import Session

    from models import Organization
    from models.db import alembic_config, make_engine
    from seed.load import load_providers, read_bundles

    engine = make_engine(f"sqlite:///{tmp_path}/old.sqlite3")
    command.upgrade(alembic_config(engine), "e9014cd6642f")  # the first schema
    sample = [b for b in read_bundles() if b["key"].startswith("de/")][:5]
    with engine.begin() as connection:
        for bundle in sample:
            connection.exec_driver_sql(
                "INSERT INTO organization (id, name, description, sources, verified, status, last_modified, version)"
                " VALUES (?, ?, '', '', 0, 'published', '2026-01-01 00:00:00', 1)",
                (bundle["key"], bundle["name"]),
            )
        connection.exec_driver_sql(
            "INSERT INTO service (id, organization_id, name, status, last_modified, delivery, placement, version)"
            " VALUES ('s1', ?, 'A service', 'active', '2026-01-01 00:00:00', 'in-person', 'placed', 1)",
            (sample[0]["key"],),
        )
    command.upgrade(alembic_config(engine), "head")
    with Session(engine) as session:
        assert session.execute(select(func.count()).select_from(Organization)).scalar_one() == 5
        load_providers(session, read_bundles())  # a full load works on the upgraded schema
    engine.dispose()
