"""asr: transcription_jobs

Revision ID: a0001_transcription_jobs
Revises:
Create Date: 2026-11-30 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "a0001_transcription_jobs"
down_revision = None
branch_labels = ("asr",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "transcription_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.String(100), nullable=False),
        sa.Column("tracks", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("leased_by", sa.String(64), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("transcript", sa.JSON(), nullable=True),
        sa.Column("draft", sa.JSON(), nullable=True),
        sa.Column("workorder_number", sa.String(40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transcription_jobs")),
        sa.UniqueConstraint("call_id", name=op.f("uq_transcription_jobs_call_id")),
    )
    op.create_index(op.f("ix_transcription_jobs_state"), "transcription_jobs", ["state"])
    op.create_index(op.f("ix_transcription_jobs_next_attempt_at"), "transcription_jobs", ["next_attempt_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_transcription_jobs_next_attempt_at"), table_name="transcription_jobs")
    op.drop_index(op.f("ix_transcription_jobs_state"), table_name="transcription_jobs")
    op.drop_table("transcription_jobs")
