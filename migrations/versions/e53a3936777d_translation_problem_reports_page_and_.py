"""Translation problem reports: page and language, no listing needed

Revision ID: e53a3936777d
Revises: 3d7c21aa4275
Create Date: 2026-12-01 04:27:22.896128
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = 'e53a3936777d'
down_revision = '3d7c21aa4275'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('listing_report', schema=None) as batch_op:
        batch_op.add_column(sa.Column('page', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch_op.add_column(sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True))
        batch_op.alter_column('service_id', existing_type=sa.VARCHAR(), nullable=True)


def downgrade() -> None:
    # Reports about a page (no listing) cannot live in the older table.
    op.execute("DELETE FROM listing_report WHERE service_id IS NULL")
    with op.batch_alter_table('listing_report', schema=None) as batch_op:
        batch_op.alter_column('service_id', existing_type=sa.VARCHAR(), nullable=False)
        batch_op.drop_column('language')
        batch_op.drop_column('page')
