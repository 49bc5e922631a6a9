"""Linking repeat complaints (重复投诉) in the database: find the earlier work order, flag, supervise.

`RepeatLinker.link(session, order, now)` works inside the caller's transaction (the registration, or
the watcher's sweep). It loads the candidates: orders received within the window before this one from
the same phone or the same enterprise, looked up through the indexed columns in their usual stored
forms (the number as given, as digits, with 86/+86/0086; the name as given, without spaces, with ASCII
or full-width brackets). The pure `find_repeat` decides. On a match it sets `repeat_of` and
`repeat_reason`, opens a supervision order of kind "repeat" against the unit that handled the earlier
order (the repeat counts against its first-time resolution), writes a "supervise" event on the new
order's trail, and queues a DingTalk notice to that unit when it has a robot. Idempotent: an order
already linked, or already supervised as a repeat, is left alone.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ticketing.adapters.orm import SupervisionOrderRow, UnitRow, WorkOrderEventRow, WorkOrderRow
from ticketing.domain.repeats import (
    ComplaintFacts,
    RepeatMatch,
    RepeatPolicy,
    find_repeat,
    normalise_enterprise,
    normalise_phone,
)
from ticketing.outbox import DINGTALK_UNIT, enqueue

W = WorkOrderRow
CHECKED_CLASSES = ("complaint",)  # a repeat complaint is a complaint; consultations are not counted
LINKER_NAME = "重复投诉识别"


def facts(row: WorkOrderRow) -> ComplaintFacts:
    return ComplaintFacts(
        id=row.id,
        number=row.number,
        received_at=row.received_at,
        phone=row.caller_phone,
        enterprise=row.enterprise,
        service=row.service or "",
        location=row.location,
        title=row.title or "",
        content=row.content or "",
    )


def phone_variants(phone: str | None) -> list[str]:
    """The ways a caller's number is stored (as given, digits, with 86/+86/0086): an indexed IN lookup."""
    digits = normalise_phone(phone)
    if not digits or not phone:
        return []
    return sorted({phone, phone.strip(), digits, f"86{digits}", f"+86{digits}", f"+86 {digits}", f"0086{digits}"})


def enterprise_variants(name: str | None) -> list[str]:
    """The enterprise name as given, folded, and with full-width brackets: an indexed IN lookup."""
    folded = normalise_enterprise(name)
    if not folded or not name:
        return []
    full_width = folded.replace("(", "（").replace(")", "）")
    return sorted({name, name.strip(), folded, full_width})


class RepeatLinker:
    """Flags a new complaint as the repeat of an earlier work order of the same caller or enterprise."""

    def __init__(self, policy: RepeatPolicy | None = None) -> None:
        self.policy = policy or RepeatPolicy()

    async def candidates(self, session: AsyncSession, order: WorkOrderRow) -> list[WorkOrderRow]:
        same = []
        if phones := phone_variants(order.caller_phone):
            same.append(W.caller_phone.in_(phones))
        if names := enterprise_variants(order.enterprise):
            same.append(W.enterprise.in_(names))
        if not same:
            return []
        stmt = (
            select(W)
            .where(
                W.id != order.id,
                W.state != "draft",
                W.received_at >= order.received_at - timedelta(days=self.policy.window_days),
                W.received_at <= order.received_at,
                or_(*same),
            )
            .order_by(W.received_at.desc())
            .limit(200)
        )
        return list((await session.scalars(stmt)).all())

    async def link(self, session: AsyncSession, order: WorkOrderRow, now: datetime) -> RepeatMatch | None:
        """Check `order` and record a match in the caller's transaction; None when it is no repeat."""
        if order.repeat_of is not None or order.order_class not in CHECKED_CLASSES:
            return None
        earlier = await self.candidates(session, order)
        match = find_repeat(facts(order), [facts(row) for row in earlier], self.policy)
        if match is None:
            return None
        key = f"repeat:{order.id}"
        if await session.scalar(select(SupervisionOrderRow.id).where(SupervisionOrderRow.idempotency_key == key)):
            return None
        first = next(row for row in earlier if row.id == match.earlier.id)
        order.repeat_of = first.id
        order.repeat_reason = match.reason[:300]
        supervision = SupervisionOrderRow(
            work_order_id=order.id, unit_id=first.unit_id, kind="repeat", opened_at=now,
            reason=f"重复投诉：{match.reason}", idempotency_key=key,
        )
        session.add(supervision)
        await session.flush()
        session.add(
            WorkOrderEventRow(
                work_order_id=order.id, at=now, actor_id=None, actor_name=LINKER_NAME, actor_role="system",
                action="supervise", state_before=order.state, state_after=order.state,
                reason=supervision.reason, before={"repeat_of": None},
                after={"repeat_of": first.id, "repeat_of_number": first.number,
                       "supervision_order": supervision.id, "similarity": match.similarity},
            )
        )
        unit = await session.get(UnitRow, first.unit_id) if first.unit_id is not None else None
        if unit is not None and unit.dingtalk_webhook:
            await enqueue(
                session,
                DINGTALK_UNIT,
                {
                    "unit_id": unit.id,
                    "work_order": order.number,
                    "title": f"重复投诉督办：工单{order.number}",
                    "text": f"### 重复投诉督办\n\n工单 **{order.number}**（{order.title or '未命名事项'}）"
                    f"与贵单位办理的工单 **{first.number}** 为同一诉求的重复投诉。\n\n"
                    f"- 识别依据：{match.reason}\n\n请核查原办理情况并切实解决。",
                },
                key,
                work_order_id=order.id,
                now=now,
            )
        return match
