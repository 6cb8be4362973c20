"""HSDS import keeps what it reads: year_incorporated, logo, licenses; long attending types and language names

Revision ID: a4f2c9e1b7d3
Revises: 7f3a9c2d41b8
Create Date: 2026-12-01 11:05:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = 'a4f2c9e1b7d3'
down_revision = '7f3a9c2d41b8'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.add_column(sa.Column('year_incorporated', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('logo', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))
    with op.batch_alter_table('service', schema=None) as batch_op:
        batch_op.add_column(sa.Column('licenses', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    with op.batch_alter_table('schedule', schema=None) as batch_op:
        batch_op.alter_column(
            'attending_type', existing_type=sa.VARCHAR(length=50), type_=sqlmodel.sql.sqltypes.AutoString(),
            existing_nullable=True,
        )
    with op.batch_alter_table('language', schema=None) as batch_op:
        batch_op.alter_column(
            'name', existing_type=sa.VARCHAR(length=100), type_=sqlmodel.sql.sqltypes.AutoString(),
            existing_nullable=True,
        )


def downgrade() -> None:
    op.execute("UPDATE schedule SET attending_type = substr(attending_type, 1, 50)")
    op.execute("UPDATE language SET name = substr(name, 1, 100)")
    with op.batch_alter_table('language', schema=None) as batch_op:
        batch_op.alter_column(
            'name', existing_type=sqlmodel.sql.sqltypes.AutoString(), type_=sa.VARCHAR(length=100),
            existing_nullable=True,
        )
    with op.batch_alter_table('schedule', schema=None) as batch_op:
        batch_op.alter_column(
            'attending_type', existing_type=sqlmodel.sql.sqltypes.AutoString(), type_=sa.VARCHAR(length=50),
            existing_nullable=True,
        )
    with op.batch_alter_table('service', schema=None) as batch_op:
        batch_op.drop_column('licenses')
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.drop_column('logo')
        batch_op.drop_column('year_incorporated')
