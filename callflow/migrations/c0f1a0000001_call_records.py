"""callflow: call records and voice messages

Revision ID: c0f1a0000001
Revises:
Create Date: 2026-11-30 11:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c0f1a0000001"
down_revision = None
branch_labels = ("callflow",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "callflow_call_records",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("channel_id", sa.String(64), nullable=False),
        sa.Column("caller_number", sa.String(64), nullable=False, server_default=""),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("menu_path", sa.JSON(), nullable=False),
        sa.Column("destination", sa.String(64), nullable=True),
        sa.Column("service", sa.String(64), nullable=True),
        sa.Column("disposition", sa.String(32), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callflow_call_records")),
    )
    op.create_index(
        op.f("ix_callflow_call_records_channel_id"), "callflow_call_records", ["channel_id"]
    )
    op.create_table(
        "callflow_voice_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("call_id", sa.String(36), nullable=False),
        sa.Column("caller_number", sa.String(64), nullable=False, server_default=""),
        sa.Column("recording_name", sa.String(128), nullable=False),
        sa.Column("recording_format", sa.String(16), nullable=False, server_default="wav"),
        sa.Column("file_path", sa.String(512), nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(24), nullable=False, server_default="new"),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["callflow_call_records.id"],
            name=op.f("fk_callflow_voice_messages_call_id_callflow_call_records"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callflow_voice_messages")),
    )
    op.create_index(
        op.f("ix_callflow_voice_messages_call_id"), "callflow_voice_messages", ["call_id"]
    )
    op.create_index("ix_callflow_voice_messages_status", "callflow_voice_messages", ["status"])


def downgrade() -> None:
    op.drop_table("callflow_voice_messages")
    op.drop_table("callflow_call_records")
