"""callflow: agent reservations shared by every controller (one row per held agent)

Revision ID: c0f1a0000003
Revises: c0f1a0000002
Create Date: 2026-11-30 14:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c0f1a0000003"
down_revision = "c0f1a0000002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "callflow_seat_reservations",
        sa.Column("agent_id", sa.String(64), nullable=False),
        sa.Column("call_id", sa.String(36), nullable=False),
        sa.Column("controller_id", sa.String(64), nullable=False),
        sa.Column("reserved_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("agent_id", name=op.f("pk_callflow_seat_reservations")),
    )
    op.create_index(
        op.f("ix_callflow_seat_reservations_controller_id"), "callflow_seat_reservations", ["controller_id"]
    )


def downgrade() -> None:
    op.drop_table("callflow_seat_reservations")
