"""Which units handle the work orders made from a call (工单承办单位), for the access policy.

Read-only over ticketing's `work_orders` (call_id → current unit_id): the one fact recordings needs
from ticketing, and ticketing's service has no call-id lookup. Nothing here writes that table.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ticketing.adapters.orm import WorkOrderRow


class WorkOrderUnits:
    """Units handling a call's work orders now (a returned and re-dispatched order counts for its new unit)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def units_for_call(self, call_id: str) -> frozenset[int]:
        async with self._sessions() as session:
            rows = await session.execute(
                select(WorkOrderRow.unit_id).where(
                    WorkOrderRow.call_id == call_id, WorkOrderRow.unit_id.is_not(None)
                )
            )
            return frozenset(int(unit) for unit in rows.scalars() if unit is not None)
