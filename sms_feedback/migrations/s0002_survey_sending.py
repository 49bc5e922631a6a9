"""sms_feedback: sms_surveys learns how it was sent (purpose, matter, outbox key, delivery status, clarification)

Revision ID: s0002_survey_sending
Revises: s0001_surveys
Create Date: 2026-11-30 14:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0002_survey_sending"
down_revision = "s0001_surveys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "sms_surveys", sa.Column("purpose", sa.String(10), nullable=False, server_default="closure")
    )
    op.add_column("sms_surveys", sa.Column("review_id", sa.Integer(), nullable=True))
    op.add_column("sms_surveys", sa.Column("matter", sa.String(80), nullable=True))
    op.add_column("sms_surveys", sa.Column("outbox_key", sa.String(160), nullable=True))
    op.add_column("sms_surveys", sa.Column("delivery_status", sa.String(20), nullable=True))
    op.add_column("sms_surveys", sa.Column("delivery_failed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("sms_surveys", sa.Column("clarified_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(op.f("ix_sms_surveys_outbox_key"), "sms_surveys", ["outbox_key"], unique=True)
    op.create_index(op.f("ix_sms_surveys_message_sid"), "sms_surveys", ["message_sid"])
    op.create_table(
        "sms_delivery_statuses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_sid", sa.String(64), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("error_code", sa.Integer(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_delivery_statuses")),
        sa.UniqueConstraint("message_sid", "status", name="uq_sms_delivery_statuses_sid_status"),
    )


def downgrade() -> None:
    op.drop_table("sms_delivery_statuses")
    op.drop_index(op.f("ix_sms_surveys_message_sid"), table_name="sms_surveys")
    op.drop_index(op.f("ix_sms_surveys_outbox_key"), table_name="sms_surveys")
    for column in (
        "clarified_at",
        "delivery_failed_at",
        "delivery_status",
        "outbox_key",
        "matter",
        "review_id",
        "purpose",
    ):
        op.drop_column("sms_surveys", column)
