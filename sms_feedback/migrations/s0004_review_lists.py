"""sms_feedback: review_rectifications, review_bad_reviews, review_responsibilities, review_events

The three lists of the review loop (差评清单, 责任清单, 整改清单) and the entries' event trail.

Revision ID: s0004_review_lists
Revises: s0001_surveys
Create Date: 2026-11-30 14:20:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "s0004_review_lists"
down_revision = "s0001_surveys"
branch_labels = None
depends_on = None


def _time(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "review_rectifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workorder_id", sa.Integer(), nullable=False),
        sa.Column("workorder_number", sa.String(40), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("matter", sa.String(200), nullable=False),
        sa.Column("task", sa.Text(), nullable=False),
        sa.Column("state", sa.String(30), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        _time("due_at"),
        _time("opened_at"),
        sa.Column("rectification", sa.Text(), nullable=True),
        _time("rectified_at", nullable=True),
        sa.Column("rectified_by", sa.String(100), nullable=True),
        sa.Column("revisit_rating", sa.String(30), nullable=True),
        _time("revisited_at", nullable=True),
        _time("closed_at", nullable=True),
        sa.Column("closed_by", sa.String(100), nullable=True),
        sa.Column("close_reason", sa.Text(), nullable=True),
        _time("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_rectifications")),
    )
    for column in ("workorder_id", "workorder_number", "unit_id", "state", "opened_at", "revisited_at"):
        op.create_index(op.f(f"ix_review_rectifications_{column}"), "review_rectifications", [column])

    op.create_table(
        "review_bad_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("workorder_id", sa.Integer(), nullable=False),
        sa.Column("workorder_number", sa.String(40), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("rating", sa.String(30), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        _time("rated_at"),
        sa.Column("survey_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_bad_reviews")),
    )
    for column in ("review_id", "unit_id", "rated_at"):
        op.create_index(op.f(f"ix_review_bad_reviews_{column}"), "review_bad_reviews", [column])

    op.create_table(
        "review_responsibilities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("workorder_id", sa.Integer(), nullable=False),
        sa.Column("workorder_number", sa.String(40), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("unit_name", sa.String(200), nullable=True),
        sa.Column("handler_id", sa.Integer(), nullable=True),
        sa.Column("handler_name", sa.String(100), nullable=True),
        sa.Column("closed_by", sa.String(100), nullable=True),
        _time("recorded_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_responsibilities")),
        sa.UniqueConstraint("review_id", name=op.f("uq_review_responsibilities_review_id")),
    )
    for column in ("unit_id", "recorded_at"):
        op.create_index(op.f(f"ix_review_responsibilities_{column}"), "review_responsibilities", [column])

    op.create_table(
        "review_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        _time("at"),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(100), nullable=False),
        sa.Column("actor_role", sa.String(20), nullable=False),
        sa.Column("action", sa.String(30), nullable=False),
        sa.Column("state_before", sa.String(30), nullable=True),
        sa.Column("state_after", sa.String(30), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("survey_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_events")),
        sa.UniqueConstraint("survey_id", name=op.f("uq_review_events_survey_id")),
    )
    op.create_index(op.f("ix_review_events_review_id"), "review_events", ["review_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_review_events_review_id"), table_name="review_events")
    op.drop_table("review_events")
    for column in ("unit_id", "recorded_at"):
        op.drop_index(op.f(f"ix_review_responsibilities_{column}"), table_name="review_responsibilities")
    op.drop_table("review_responsibilities")
    for column in ("review_id", "unit_id", "rated_at"):
        op.drop_index(op.f(f"ix_review_bad_reviews_{column}"), table_name="review_bad_reviews")
    op.drop_table("review_bad_reviews")
    for column in ("workorder_id", "workorder_number", "unit_id", "state", "opened_at", "revisited_at"):
        op.drop_index(op.f(f"ix_review_rectifications_{column}"), table_name="review_rectifications")
    op.drop_table("review_rectifications")
