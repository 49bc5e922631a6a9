"""ticketing: the database refuses to update or delete work-order events (append-only trail)

Revision ID: t0003_event_guard
Revises: t0002_calendar
Create Date: 2026-11-30 11:45:00
"""

from __future__ import annotations

from alembic import op

revision = "t0003_event_guard"
down_revision = "t0002_calendar"
branch_labels = None
depends_on = None

MESSAGE = "work_order_events is append-only (工单事件只增不改)"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION work_order_events_append_only() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{MESSAGE}'; END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER work_order_events_append_only BEFORE UPDATE OR DELETE ON work_order_events "
            "FOR EACH ROW EXECUTE FUNCTION work_order_events_append_only()"
        )
        return
    for event in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER work_order_events_no_{event.lower()} BEFORE {event} ON work_order_events "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER work_order_events_append_only ON work_order_events")
        op.execute("DROP FUNCTION work_order_events_append_only()")
        return
    for event in ("update", "delete"):
        op.execute(f"DROP TRIGGER work_order_events_no_{event}")
