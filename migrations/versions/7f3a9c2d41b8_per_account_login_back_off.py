"""Per-account log-in back-off: wrong passwords in a row and until when logging in waits

Revision ID: 7f3a9c2d41b8
Revises: e53a3936777d
Create Date: 2026-12-01 10:35:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '7f3a9c2d41b8'
down_revision = 'e53a3936777d'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('login_blocked_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('login_blocked_until')
        batch_op.drop_column('failed_logins')
