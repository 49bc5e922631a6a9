"""JSON views of work orders, their trail and units, as the API shows them.

Times are given in the hotline's zone (ISO 8601 with offset); unit ids come with code and name; the
DingTalk secret of a unit never leaves the database.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ticketing.adapters.orm import (
    ExtensionRow,
    ReturnRow,
    SupervisionOrderRow,
    UnitRow,
    WorkOrderEventRow,
    WorkOrderRow,
)
from ticketing.domain import workorder as wo


class View:
    """JSON of rows, with times in the hotline's zone and unit names resolved."""

    def __init__(self, tz: ZoneInfo, units: dict[int, UnitRow], now: datetime) -> None:
        self.tz = tz
        self.units = units
        self.now = now

    def time(self, value: datetime | None) -> str | None:
        return value.astimezone(self.tz).isoformat() if value is not None else None

    def unit(self, unit_id: int | None) -> dict[str, Any] | None:
        if unit_id is None:
            return None
        unit = self.units.get(unit_id)
        return {"id": unit_id, "code": unit.code if unit else None, "name": unit.name if unit else None}

    def order(self, row: WorkOrderRow) -> dict[str, Any]:
        state = wo.State(row.state)
        overdue = state in wo.UNIT_STATES and (
            (row.due is not None and self.now > row.due)
            or (state is wo.State.DISPATCHED and row.sign_due is not None and self.now > row.sign_due)
        )
        return {
            "id": row.id,
            "number": row.number,
            "state": row.state,
            "state_label": state.label_zh,
            "class": row.order_class,
            "service": row.service,
            "complexity": row.complexity,
            "source": row.source,
            "caller_phone": row.caller_phone,
            "caller_name": row.caller_name,
            "enterprise": row.enterprise,
            "location": row.location,
            "title": row.title,
            "content": row.content,
            "call_id": row.call_id,
            "recording": row.recording,
            "suggested_unit": row.suggested_unit,
            "unit": self.unit(row.unit_id),
            "received_at": self.time(row.received_at),
            "registered_at": self.time(row.registered_at),
            "dispatched_at": self.time(row.dispatched_at),
            "clock_start": self.time(row.clock_start),
            "sign_due": self.time(row.sign_due),
            "due": self.time(row.due),
            "original_due": self.time(row.original_due),
            "signed_at": self.time(row.signed_at),
            "replied_at": self.time(row.replied_at),
            "closed_at": self.time(row.closed_at),
            "reply": row.reply,
            "result": row.result,
            "answered_on_line": row.answered_on_line,
            "repeat_of": row.repeat_of,
            "repeat_reason": row.repeat_reason,
            "reopened_count": row.reopened_count,
            "returns_count": row.returns_count,
            "extended": row.extended,
            "overdue": overdue,
            "rating": row.rating,
            "rated_at": self.time(row.rated_at),
            "revisit_rating": row.revisit_rating,
            "revisited_at": self.time(row.revisited_at),
        }

    def event(self, row: WorkOrderEventRow) -> dict[str, Any]:
        return {
            "id": row.id,
            "at": self.time(row.at),
            "actor": {"id": row.actor_id, "name": row.actor_name, "role": row.actor_role},
            "action": row.action,
            "action_label": wo.Action(row.action).label_zh,
            "state_before": row.state_before,
            "state_after": row.state_after,
            "reason": row.reason,
            "before": row.before,
            "after": row.after,
        }

    def extension(self, row: ExtensionRow) -> dict[str, Any]:
        return {
            "id": row.id,
            "status": row.status,
            "working_days": row.working_days,
            "reason": row.reason,
            "basis": row.basis,
            "requested_at": self.time(row.requested_at),
            "requested_by": row.requested_by,
            "decided_at": self.time(row.decided_at),
            "decided_by": row.decided_by,
            "decision_note": row.decision_note,
            "old_due": self.time(row.old_due),
            "new_due": self.time(row.new_due),
        }

    def returned(self, row: ReturnRow) -> dict[str, Any]:
        return {
            "id": row.id,
            "unit": self.unit(row.unit_id),
            "returned_at": self.time(row.returned_at),
            "reason": row.reason,
            "redispatched_at": self.time(row.redispatched_at),
            "redispatched_to": self.unit(row.redispatched_to),
        }

    def supervision(self, row: SupervisionOrderRow) -> dict[str, Any]:
        return {
            "id": row.id,
            "kind": row.kind,
            "unit": self.unit(row.unit_id),
            "opened_at": self.time(row.opened_at),
            "reason": row.reason,
            "due": self.time(row.due),
            "status": row.status,
        }


def unit_json(row: UnitRow) -> dict[str, Any]:
    """A unit as the API shows it; the DingTalk secret never leaves the database."""
    return {
        "id": row.id,
        "code": row.code,
        "name": row.name,
        "short_name": row.short_name,
        "kind": row.kind,
        "active": row.active,
        "dingtalk": bool(row.dingtalk_webhook),
    }
