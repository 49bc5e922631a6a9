"""sms_feedback: sms_surveys, sms_inbound_messages, sms_opt_outs

Revision ID: s0001_surveys
Revises:
Create Date: 2026-11-30 13:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0001_surveys"
down_revision = None
branch_labels = ("sms_feedback",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sms_surveys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workorder_id", sa.Integer(), nullable=False),
        sa.Column("workorder_number", sa.String(40), nullable=False),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("message_sid", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rating", sa.String(20), nullable=True),
        sa.Column("channel", sa.String(10), nullable=True),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_surveys")),
        sa.UniqueConstraint("token", name=op.f("uq_sms_surveys_token")),
    )
    op.create_index(op.f("ix_sms_surveys_workorder_id"), "sms_surveys", ["workorder_id"])
    op.create_index(op.f("ix_sms_surveys_phone"), "sms_surveys", ["phone"])
    op.create_index(op.f("ix_sms_surveys_state"), "sms_surveys", ["state"])
    op.create_table(
        "sms_inbound_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_sid", sa.String(64), nullable=False),
        sa.Column("from_number", sa.String(32), nullable=False),
        sa.Column("to_number", sa.String(32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("parsed_kind", sa.String(20), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_inbound_messages")),
        sa.UniqueConstraint("message_sid", name=op.f("uq_sms_inbound_messages_message_sid")),
    )
    op.create_index(op.f("ix_sms_inbound_messages_from_number"), "sms_inbound_messages", ["from_number"])
    op.create_table(
        "sms_opt_outs",
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("message_sid", sa.String(64), nullable=True),
        sa.Column("opted_out_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("phone", name=op.f("pk_sms_opt_outs")),
    )


def downgrade() -> None:
    op.drop_table("sms_opt_outs")
    op.drop_index(op.f("ix_sms_inbound_messages_from_number"), table_name="sms_inbound_messages")
    op.drop_table("sms_inbound_messages")
    op.drop_index(op.f("ix_sms_surveys_state"), table_name="sms_surveys")
    op.drop_index(op.f("ix_sms_surveys_phone"), table_name="sms_surveys")
    op.drop_index(op.f("ix_sms_surveys_workorder_id"), table_name="sms_surveys")
    op.drop_table("sms_surveys")
