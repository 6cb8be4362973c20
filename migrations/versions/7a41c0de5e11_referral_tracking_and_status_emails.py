"""Referrals tracked by the caseworker, and each user's choice of status emails

referral_item.tracked: the provider did not receive referrals on Amparo when the referral was
sent, so the caseworker follows it up and sets its status. user.referral_emails: "each" status
change by email at once (the default), or a daily "digest"; user.referral_digest_at: the last one.

Revision ID: 7a41c0de5e11
Revises: a4f2c9e1b7d3
Create Date: 2026-12-01 10:40:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "7a41c0de5e11"
down_revision = "a4f2c9e1b7d3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("referral_item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tracked", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "referral_emails", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False, server_default="each"
            )
        )
        batch_op.add_column(sa.Column("referral_digest_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.create_check_constraint("ck_user_referral_emails", "referral_emails IN ('each', 'digest')")


def downgrade() -> None:
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_constraint("ck_user_referral_emails", type_="check")
        batch_op.drop_column("referral_digest_at")
        batch_op.drop_column("referral_emails")
    with op.batch_alter_table("referral_item", schema=None) as batch_op:
        batch_op.drop_column("tracked")
