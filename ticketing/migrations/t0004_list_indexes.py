"""ticketing: indexes for the work-order list (a unit's orders newest first; class and service filters)

Revision ID: t0004_list_indexes
Revises: t0003_event_guard
Create Date: 2026-11-30 11:55:00
"""

from __future__ import annotations

from alembic import op

revision = "t0004_list_indexes"
down_revision = "t0003_event_guard"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_work_orders_unit_received", "work_orders", ["unit_id", "received_at"], unique=False)
    op.create_index(
        "ix_work_orders_class_service", "work_orders", ["order_class", "service", "received_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_work_orders_class_service", table_name="work_orders")
    op.drop_index("ix_work_orders_unit_received", table_name="work_orders")
