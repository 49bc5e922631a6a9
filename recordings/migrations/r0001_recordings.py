"""recordings: recordings, recording_access_log, recording_purge_log

Revision ID: r0001_recordings
Revises:
Create Date: 2026-11-30 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0001_recordings"
down_revision = None
branch_labels = ("recordings",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recordings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("call_id", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("format", sa.String(10), nullable=False),
        sa.Column("sample_rate", sa.Integer(), nullable=True),
        sa.Column("channels", sa.Integer(), nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("stored_path", sa.String(300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retention_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("legal_hold", sa.Boolean(), nullable=False),
        sa.Column("legal_hold_reason", sa.String(300), nullable=True),
        sa.Column("agent_user_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recordings")),
        sa.UniqueConstraint("name", name=op.f("uq_recordings_name")),
    )
    op.create_index(op.f("ix_recordings_call_id"), "recordings", ["call_id"])
    op.create_index(op.f("ix_recordings_retention_until"), "recordings", ["retention_until"])
    op.create_index(op.f("ix_recordings_agent_user_id"), "recordings", ["agent_user_id"])
    op.create_table(
        "recording_access_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("user_name", sa.String(100), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("recording_id", sa.Integer(), nullable=True),
        sa.Column("recording_name", sa.String(128), nullable=True),
        sa.Column("call_id", sa.String(100), nullable=True),
        sa.Column("remote", sa.String(100), nullable=True),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(60), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recording_access_log")),
    )
    op.create_index(op.f("ix_recording_access_log_at"), "recording_access_log", ["at"])
    op.create_index(op.f("ix_recording_access_log_user_id"), "recording_access_log", ["user_id"])
    op.create_index(op.f("ix_recording_access_log_recording_id"), "recording_access_log", ["recording_id"])
    op.create_table(
        "recording_purge_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recording_id", sa.Integer(), nullable=False),
        sa.Column("recording_name", sa.String(128), nullable=False),
        sa.Column("call_id", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retention_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("file_deleted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recording_purge_log")),
    )
    op.create_index(op.f("ix_recording_purge_log_at"), "recording_purge_log", ["at"])


def downgrade() -> None:
    op.drop_table("recording_purge_log")
    op.drop_table("recording_access_log")
    op.drop_table("recordings")
