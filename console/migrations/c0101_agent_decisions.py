"""console: the agent console's decisions (what the draft suggested, what the agent chose)

Revision ID: c0101_agent_decisions
Revises: c0001_console
Create Date: 2026-11-30 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c0101_agent_decisions"
down_revision = "c0001_console"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_agent_decisions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "work_order_id",
            sa.Integer,
            sa.ForeignKey("work_orders.id", name="fk_console_agent_decisions_work_order_id_work_orders"),
            nullable=False,
        ),
        sa.Column("call_id", sa.String(100)),
        sa.Column(
            "user_id",
            sa.Integer,
            sa.ForeignKey("users.id", name="fk_console_agent_decisions_user_id_users"),
            nullable=False,
        ),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("suggested", sa.Text, nullable=False),
        sa.Column("chosen", sa.Text, nullable=False),
        sa.Column("changed_fields", sa.String(300), nullable=False),
        sa.Column("kb_entry_id", sa.Integer),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_console_agent_decisions"),
    )
    op.create_index("ix_console_agent_decisions_work_order_id", "console_agent_decisions", ["work_order_id"])
    op.create_index("ix_console_agent_decisions_call_id", "console_agent_decisions", ["call_id"])


def downgrade() -> None:
    op.drop_table("console_agent_decisions")
