"""sms_feedback: sms_inbound_messages.processed_at, sms_surveys.reply_sid (replies acted on, and by whom rated)

Revision ID: s0005_reply_processing
Revises: s0002_survey_sending
Create Date: 2026-11-30 14:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0005_reply_processing"
down_revision = "s0002_survey_sending"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sms_inbound_messages", sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("sms_surveys", sa.Column("reply_sid", sa.String(64), nullable=True))


def downgrade() -> None:
    op.drop_column("sms_surveys", "reply_sid")
    op.drop_column("sms_inbound_messages", "processed_at")
