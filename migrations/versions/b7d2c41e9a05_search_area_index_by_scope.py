"""Search index: find area rows by scope and state first

Revision ID: b7d2c41e9a05
Revises: 6c547b0a80ce
Create Date: 2026-11-25 18:55:00
"""

from alembic import op

revision = "b7d2c41e9a05"
down_revision = "6c547b0a80ce"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_search_entry_need_scope_state", table_name="search_entry")
    op.create_index("ix_search_entry_scope_state_need", "search_entry", ["scope", "state", "need_code"])


def downgrade() -> None:
    op.drop_index("ix_search_entry_scope_state_need", table_name="search_entry")
    op.create_index("ix_search_entry_need_scope_state", "search_entry", ["need_code", "scope", "state"])
