"""ticketing: calendar overrides and imported years

Revision ID: t0002_calendar
Revises: t0001_workorders
Create Date: 2026-11-30 11:22:40.818030
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "t0002_calendar"
down_revision = "t0001_workorders"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_overrides",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("working", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("updated_by", sa.String(length=60), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_calendar_overrides")),
    )
    op.create_table(
        "calendar_years",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("imported_by", sa.String(length=60), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_calendar_years")),
    )
    op.create_table(
        "calendar_year_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["year"],
            ["calendar_years.year"],
            name=op.f("fk_calendar_year_days_year_calendar_years"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_calendar_year_days")),
    )
    op.create_index(op.f("ix_calendar_year_days_year"), "calendar_year_days", ["year"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_calendar_year_days_year"), table_name="calendar_year_days")
    op.drop_table("calendar_year_days")
    op.drop_table("calendar_years")
    op.drop_table("calendar_overrides")
