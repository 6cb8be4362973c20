"""service.listed_on: the day a source list was compiled, apart from real confirmations

Seed services carried their source's scrape date in assured_date, which reminders and pages
read as a confirmation. The date moves to listed_on, and assured_date is cleared, for every
service of a seeded organization that nobody has confirmed (no history row for assured_date).

Revision ID: c3d8e1f0a7b2
Revises: be869f32e2a5
Create Date: 2026-12-01 04:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "c3d8e1f0a7b2"
down_revision = "be869f32e2a5"
branch_labels = None
depends_on = None

UNCONFIRMED_SEED_SERVICES = """
    organization_id IN (SELECT id FROM organization WHERE source_key IS NOT NULL)
    AND id NOT IN (
        SELECT resource_id FROM metadata WHERE resource_type = 'service' AND field_name = 'assured_date'
    )
"""


def upgrade() -> None:
    with op.batch_alter_table("service", schema=None) as batch_op:
        batch_op.add_column(sa.Column("listed_on", sa.Date(), nullable=True))
    op.execute(
        f"UPDATE service SET listed_on = assured_date, assured_date = NULL WHERE {UNCONFIRMED_SEED_SERVICES}"
    )


def downgrade() -> None:
    op.execute(
        f"UPDATE service SET assured_date = listed_on WHERE assured_date IS NULL AND {UNCONFIRMED_SEED_SERVICES}"
    )
    with op.batch_alter_table("service", schema=None) as batch_op:
        batch_op.drop_column("listed_on")
