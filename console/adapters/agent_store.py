"""The agent console's database side: the caller's earlier work orders (by number or enterprise) and
the record of what the agent chose against the draft's suggestion (`console_agent_decisions`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from console.adapters.agent_orm import AgentDecisionRow
from console.agent_domain import PastOrder, enterprise_of
from ticketing.adapters.orm import UnitRow, WorkOrderRow
from ticketing.repeat_links import enterprise_variants, phone_variants

HIDDEN_STATES = ("draft", "discarded")


class AgentDeskStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def history(self, phone: str | None, enterprise: str | None = None, limit: int = 20) -> list[PastOrder]:
        """Earlier work orders of this number, and of its enterprise (named on them, or given), newest first."""
        phones = phone_variants(phone)
        async with self.sessions() as session:
            by_phone = await self._orders(session, phones, [], limit) if phones else []
            named = enterprise or enterprise_of(by_phone)
            names = enterprise_variants(named)
            if not names:
                return by_phone
            both = await self._orders(session, phones, names, limit)
        return both

    async def _orders(
        self, session: AsyncSession, phones: list[str], names: list[str], limit: int
    ) -> list[PastOrder]:
        w = WorkOrderRow
        same = []
        if phones:
            same.append(w.caller_phone.in_(phones))
        if names:
            same.append(w.enterprise.in_(names))
        stmt = (
            select(w, UnitRow.name)
            .outerjoin(UnitRow, UnitRow.id == w.unit_id)
            .where(w.state.not_in(HIDDEN_STATES), or_(*same))
            .order_by(w.received_at.desc(), w.id.desc())
            .limit(limit)
        )
        rows = (await session.execute(stmt)).all()
        return [
            PastOrder(
                id=row.id,
                number=row.number,
                state=row.state,
                order_class=row.order_class,
                service=row.service,
                title=row.title,
                enterprise=row.enterprise,
                caller_phone=row.caller_phone,
                received_at=row.received_at,
                unit_name=unit_name,
                repeat_of=row.repeat_of,
            )
            for row, unit_name in rows
        ]

    async def order_of_call(self, call_id: str) -> WorkOrderRow | None:
        """The system's draft work order of a call (made from its transcription), if there is one."""
        async with self.sessions() as session:
            stmt = (
                select(WorkOrderRow)
                .where(WorkOrderRow.call_id == call_id, WorkOrderRow.state == "draft", WorkOrderRow.source == "call")
                .order_by(WorkOrderRow.id)
                .limit(1)
            )
            return (await session.execute(stmt)).scalar_one_or_none()

    async def record_decision(
        self,
        *,
        work_order_id: int,
        call_id: str | None,
        user_id: int,
        action: str,
        suggested: Mapping[str, str],
        chosen: Mapping[str, str],
        changed: list[str],
        kb_entry_id: int | None,
        at: datetime,
    ) -> int:
        async with self.sessions.begin() as session:
            row = AgentDecisionRow(
                work_order_id=work_order_id,
                call_id=call_id,
                user_id=user_id,
                action=action,
                suggested=json.dumps(dict(suggested), ensure_ascii=False),
                chosen=json.dumps(dict(chosen), ensure_ascii=False),
                changed_fields=",".join(changed)[:300],
                kb_entry_id=kb_entry_id,
                at=at,
            )
            session.add(row)
            await session.flush()
            return row.id

    async def decisions(self, work_order_id: int) -> list[AgentDecisionRow]:
        async with self.sessions() as session:
            stmt = select(AgentDecisionRow).where(AgentDecisionRow.work_order_id == work_order_id)
            return list((await session.scalars(stmt)).all())
