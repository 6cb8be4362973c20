"""Alembic environment: runs migrations on the engine the app hands over (or DATABASE_URL)."""

import os

from alembic import context
from sqlmodel import SQLModel

import models  # noqa: F401  (registers every table on SQLModel.metadata)
from models.db import make_engine
from models.search import include_in_autogenerate

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    """Run migrations with a live connection."""
    engine = config.attributes.get("engine")
    if engine is None:
        from config import database_url

        engine = make_engine(database_url({}, os.path.join(os.path.dirname(__file__), "..", "instance")))
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if sqlite:
            # SQLite alters a table by copying it; foreign keys must be off meanwhile (outside a transaction).
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=sqlite,
            compare_type=True,
            include_object=include_in_autogenerate,
        )
        # Alembic's own transaction: a migration may step out of it (op.get_context().autocommit_block()).
        with context.begin_transaction():
            context.run_migrations()
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()


run_migrations_online()
