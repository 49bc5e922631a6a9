"""sms_feedback: sms_phone_attempts (the phone survey's calls)

Revision ID: s0003_phone_survey
Revises: s0001_surveys
Create Date: 2026-11-30 14:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0003_phone_survey"
down_revision = "s0001_surveys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sms_phone_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("channel_id", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("cause", sa.Integer(), nullable=True),
        sa.Column("detail", sa.String(200), nullable=True),
        sa.Column("rating", sa.String(20), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_phone_attempts")),
        sa.UniqueConstraint("survey_id", "attempt", name="uq_sms_phone_attempts_survey_attempt"),
    )
    op.create_index(op.f("ix_sms_phone_attempts_survey_id"), "sms_phone_attempts", ["survey_id"])
    op.create_index(op.f("ix_sms_phone_attempts_outcome"), "sms_phone_attempts", ["outcome"])


def downgrade() -> None:
    op.drop_index(op.f("ix_sms_phone_attempts_outcome"), table_name="sms_phone_attempts")
    op.drop_index(op.f("ix_sms_phone_attempts_survey_id"), table_name="sms_phone_attempts")
    op.drop_table("sms_phone_attempts")
