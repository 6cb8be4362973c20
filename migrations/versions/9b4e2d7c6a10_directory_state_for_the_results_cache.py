"""directory state: the search index's version, for the results cache

One row (id 1), bumped by every write to the search index (matching.index.mark_index_changed); the
results cache (matching.cache) keys its answers by it.

Revision ID: 9b4e2d7c6a10
Revises: 5f0c9a1e2b3d
Create Date: 2026-12-01 13:40:00
"""

from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "9b4e2d7c6a10"
down_revision = "5f0c9a1e2b3d"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "directory_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(table, [{"id": 1, "version": 0, "changed_at": datetime.now(UTC)}])


def downgrade() -> None:
    op.drop_table("directory_state")
