"""Read-only lists for the supervisor's SLA board that ticketing's search does not offer: open
supervision orders (督办单) and extension requests awaiting a decision (待审批延期)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ticketing.adapters.orm import ExtensionRow, SupervisionOrderRow, WorkOrderRow


@dataclass(frozen=True)
class Supervised:
    supervision: SupervisionOrderRow
    order: WorkOrderRow


@dataclass(frozen=True)
class PendingExtension:
    extension: ExtensionRow
    order: WorkOrderRow


class Board:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def open_supervision(self, limit: int = 100) -> list[Supervised]:
        stmt = (
            select(SupervisionOrderRow, WorkOrderRow)
            .join(WorkOrderRow, WorkOrderRow.id == SupervisionOrderRow.work_order_id)
            .where(SupervisionOrderRow.status == "open")
            .order_by(SupervisionOrderRow.opened_at.desc())
            .limit(limit)
        )
        async with self._sessions() as session:
            return [Supervised(s, o) for s, o in (await session.execute(stmt)).all()]

    async def pending_extensions(self, limit: int = 100) -> list[PendingExtension]:
        stmt = (
            select(ExtensionRow, WorkOrderRow)
            .join(WorkOrderRow, WorkOrderRow.id == ExtensionRow.work_order_id)
            .where(ExtensionRow.status == "pending")
            .order_by(ExtensionRow.requested_at)
            .limit(limit)
        )
        async with self._sessions() as session:
            return [PendingExtension(e, o) for e, o in (await session.execute(stmt)).all()]
