"""search index: grid cell in the key, and a PostGIS point where PostGIS is installed

Replaces the (need_code, latitude, longitude) index, which reads a whole latitude band, with
(need_code, cell): a search reads only the grid cells its circle touches. On PostgreSQL with the
PostGIS extension (installed by an administrator: CREATE EXTENSION postgis), also adds ``geog``, a
generated geography point with a GiST index, which the engine then uses (ST_DWithin).
AMPARO_POSTGIS=off leaves it out (to test the plain PostgreSQL path on a server that has PostGIS).

Revision ID: 5f0c9a1e2b3d
Revises: 7a41c0de5e11
Create Date: 2026-12-01 10:45:00
"""

import os

import sqlalchemy as sa
from alembic import op

revision = "5f0c9a1e2b3d"
down_revision = "7a41c0de5e11"
branch_labels = None
depends_on = None

GRID_DEGREES = 0.5  # models.search.GRID_DEGREES when this was written (a migration does not follow the code)


def _floor(expression: str, dialect: str) -> str:
    """Return SQL for floor(expression) as an integer; SQLite may be built without math functions."""
    if dialect == "sqlite":
        # CAST truncates towards zero: one less for a negative number with a fraction.
        return f"(CAST({expression} AS INTEGER) - ({expression} < CAST({expression} AS INTEGER)))"
    return f"CAST(floor({expression}) AS INTEGER)"


def postgis_schema(connection) -> str | None:
    """Return the schema PostGIS is installed in (None: not installed, or AMPARO_POSTGIS=off)."""
    if connection.dialect.name != "postgresql" or os.environ.get("AMPARO_POSTGIS", "").lower() == "off":
        return None
    return connection.execute(
        sa.text(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
            " WHERE e.extname = 'postgis'"
        )
    ).scalar()


def upgrade() -> None:
    connection = op.get_bind()
    dialect = connection.dialect.name
    with op.batch_alter_table("search_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cell", sa.Integer(), nullable=True))
        batch_op.drop_index("ix_search_entry_need_lat_lon")
        batch_op.create_index("ix_search_entry_need_cell", ["need_code", "cell"], unique=False)
    lat_band = _floor(f"latitude / {GRID_DEGREES}", dialect)
    lon_band = _floor(f"longitude / {GRID_DEGREES}", dialect)
    op.execute(
        f"UPDATE search_entry SET cell = ({lat_band} + {int(90 / GRID_DEGREES)}) * 1000"
        f" + {lon_band} + {int(180 / GRID_DEGREES)} WHERE latitude IS NOT NULL AND longitude IS NOT NULL"
    )
    schema = postgis_schema(connection)
    if schema:
        # Generated: every writer (reindex, bulk COPY) fills it without knowing about it.
        op.execute(
            f'ALTER TABLE search_entry ADD COLUMN geog "{schema}".geography(Point, 4326)'
            f' GENERATED ALWAYS AS (CASE WHEN latitude IS NULL OR longitude IS NULL THEN NULL ELSE'
            f' "{schema}".st_setsrid("{schema}".st_makepoint(longitude, latitude), 4326)::"{schema}".geography'
            " END) STORED"
        )
        op.execute("CREATE INDEX ix_search_entry_geog ON search_entry USING gist (geog)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_search_entry_geog")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE search_entry DROP COLUMN IF EXISTS geog")
    with op.batch_alter_table("search_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_search_entry_need_cell")
        batch_op.create_index("ix_search_entry_need_lat_lon", ["need_code", "latitude", "longitude"], unique=False)
        batch_op.drop_column("cell")
