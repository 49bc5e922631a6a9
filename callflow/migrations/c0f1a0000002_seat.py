"""callflow: the dedicated seat (members, agent state changes, seat call records, callback requests)

Revision ID: c0f1a0000002
Revises: c0f1a0000001
Create Date: 2026-11-30 12:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c0f1a0000002"
down_revision = "c0f1a0000001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "callflow_seat_members",
        sa.Column("agent_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(128), nullable=False, server_default=""),
        sa.Column("endpoint", sa.String(128), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("agent_id", name=op.f("pk_callflow_seat_members")),
    )
    op.create_table(
        "callflow_agent_state_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("agent_id", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(128), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callflow_agent_state_changes")),
    )
    op.create_index(
        "ix_callflow_agent_state_changes_agent_at", "callflow_agent_state_changes", ["agent_id", "at"]
    )
    op.create_table(
        "callflow_seat_calls",
        sa.Column("call_id", sa.String(36), nullable=False),
        sa.Column("caller_number", sa.String(64), nullable=False, server_default=""),
        sa.Column("destination", sa.String(64), nullable=False, server_default=""),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("wait_s", sa.Float(), nullable=True),
        sa.Column("talk_s", sa.Float(), nullable=True),
        sa.Column("agent_id", sa.String(64), nullable=True),
        sa.Column("agents", sa.JSON(), nullable=False),
        sa.Column("rung", sa.JSON(), nullable=False),
        sa.Column("legs", sa.JSON(), nullable=False),
        sa.Column("disposition", sa.String(16), nullable=False, server_default="waiting"),
        sa.Column("overflow_reason", sa.String(32), nullable=True),
        sa.Column("ended_by", sa.String(16), nullable=True),
        sa.PrimaryKeyConstraint("call_id", name=op.f("pk_callflow_seat_calls")),
    )
    op.create_index(op.f("ix_callflow_seat_calls_queued_at"), "callflow_seat_calls", ["queued_at"])
    op.create_index(op.f("ix_callflow_seat_calls_agent_id"), "callflow_seat_calls", ["agent_id"])
    op.create_index(op.f("ix_callflow_seat_calls_disposition"), "callflow_seat_calls", ["disposition"])
    op.create_table(
        "callflow_callback_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("call_id", sa.String(36), nullable=False),
        sa.Column("caller_number", sa.String(64), nullable=False, server_default=""),
        sa.Column("callback_number", sa.String(64), nullable=False),
        sa.Column("service", sa.String(64), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="new"),
        sa.Column("work_order", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callflow_callback_requests")),
    )
    op.create_index(op.f("ix_callflow_callback_requests_call_id"), "callflow_callback_requests", ["call_id"])
    op.create_index(op.f("ix_callflow_callback_requests_status"), "callflow_callback_requests", ["status"])


def downgrade() -> None:
    op.drop_table("callflow_callback_requests")
    op.drop_table("callflow_seat_calls")
    op.drop_table("callflow_agent_state_changes")
    op.drop_table("callflow_seat_members")
