"""Agent reservations across controllers (坐席占用): the `SeatReservations` port and its two adapters.

Each controller (one per Asterisk node) runs its own pure `Seat`, which never reserves one agent twice
inside that controller. With several controllers the agent must also be held where they all look: the
queue *claims* the agent before ringing it and *releases* it once the agent is free again (after
wrap-up, or when the ring ended without a call). A claim that fails means another controller holds the
agent: this controller rings somebody else and tries that agent again a little later.

- `MemorySeatReservations`: one process, one controller (SQLite, the embedded default, the bench).
- `SqlSeatReservations`: a row per held agent in `callflow_seat_reservations`, the agent id its
  primary key. The claim is one INSERT: of two controllers inserting the same agent at the same
  moment PostgreSQL lets exactly one commit (the other waits for the first, then gets a unique
  violation), so no agent is ever rung for two callers on two nodes.

`reservations_for(dialect, ...)` chooses: PostgreSQL → SQL, anything else → memory.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import DateTime, String, delete, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base

log = logging.getLogger(__name__)

LOCK_TIMEOUT_MS = 2000
"""How long a claim or release waits behind another transaction on the same agent's row."""


class SeatReservations(Protocol):
    """Who holds which agent, seen by every controller of the seat."""

    controller_id: str

    async def claim(self, agent_id: str, call_id: str) -> bool:
        """Hold `agent_id` for `call_id`; False when someone (another controller) already holds it."""
        ...

    async def release(self, agent_id: str, call_id: str) -> None:
        """Let `agent_id` go, if it is still held for `call_id` by this controller."""
        ...

    async def release_stale(self, keep: set[str]) -> list[str]:
        """Release this controller's holds for calls not in `keep` (after a restart); returns the agents."""
        ...

    async def holders(self) -> dict[str, tuple[str, str]]:
        """agent id → (call id, controller id) for every held agent."""
        ...


@dataclass
class MemorySeatReservations:
    """Reservations in this process (a single controller; or several sharing one instance in a test)."""

    controller_id: str = "local"
    held: dict[str, tuple[str, str]] = field(default_factory=dict)

    async def claim(self, agent_id: str, call_id: str) -> bool:
        if agent_id in self.held:
            return self.held[agent_id] == (call_id, self.controller_id)
        self.held[agent_id] = (call_id, self.controller_id)
        return True

    async def release(self, agent_id: str, call_id: str) -> None:
        if self.held.get(agent_id) == (call_id, self.controller_id):
            del self.held[agent_id]

    async def release_stale(self, keep: set[str]) -> list[str]:
        stale = [a for a, (call, owner) in self.held.items() if owner == self.controller_id and call not in keep]
        for agent_id in stale:
            del self.held[agent_id]
        return sorted(stale)

    async def holders(self) -> dict[str, tuple[str, str]]:
        return dict(self.held)


class SeatReservationRow(Base):
    """An agent held for a call by one controller (坐席占用): ringing, talking or wrapping up."""

    __tablename__ = "callflow_seat_reservations"

    agent_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    call_id: Mapped[str] = mapped_column(String(36))
    controller_id: Mapped[str] = mapped_column(String(64), index=True)
    reserved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SqlSeatReservations:
    """Reservations in the shared database (PostgreSQL in a multi-node deployment)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], controller_id: str) -> None:
        self.sessions = sessions
        self.controller_id = controller_id
        bind = sessions.kw.get("bind")
        self._postgres = bind is not None and bind.dialect.name == "postgresql"

    async def claim(self, agent_id: str, call_id: str) -> bool:
        try:
            async with self.sessions.begin() as db:
                await self._bounded_lock_wait(db)
                db.add(
                    SeatReservationRow(
                        agent_id=agent_id,
                        call_id=call_id,
                        controller_id=self.controller_id,
                        reserved_at=datetime.now(UTC),
                    )
                )
        except IntegrityError:
            async with self.sessions() as db:
                row = await db.get(SeatReservationRow, agent_id)
            # Our own hold for the same call (a retried claim) counts as held.
            return row is not None and (row.call_id, row.controller_id) == (call_id, self.controller_id)
        except DBAPIError as exc:
            if "lock timeout" not in str(exc):
                raise  # the database is away: the queue decides
            log.warning("seat: claim of %s for %s gave up waiting behind another hold", agent_id, call_id)
            return False  # waited too long behind another transaction on this agent: it is held
        return True

    async def release(self, agent_id: str, call_id: str) -> None:
        async with self.sessions.begin() as db:
            await self._bounded_lock_wait(db)
            await db.execute(
                delete(SeatReservationRow).where(
                    SeatReservationRow.agent_id == agent_id,
                    SeatReservationRow.call_id == call_id,
                    SeatReservationRow.controller_id == self.controller_id,
                )
            )

    async def release_stale(self, keep: set[str]) -> list[str]:
        async with self.sessions.begin() as db:
            rows = (
                await db.execute(
                    select(SeatReservationRow).where(SeatReservationRow.controller_id == self.controller_id)
                )
            ).scalars()
            stale = [row for row in rows if row.call_id not in keep]
            for row in stale:
                await db.delete(row)
        if stale:
            log.info("seat: released %d stale reservations of %s", len(stale), self.controller_id)
        return sorted(row.agent_id for row in stale)

    async def _bounded_lock_wait(self, db: AsyncSession) -> None:
        """A claim never waits long behind another transaction holding the agent's row (PostgreSQL)."""
        if self._postgres:
            await db.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT_MS}ms'"))

    async def holders(self) -> dict[str, tuple[str, str]]:
        async with self.sessions() as db:
            rows = (await db.execute(select(SeatReservationRow))).scalars()
            return {row.agent_id: (row.call_id, row.controller_id) for row in rows}


def reservations_for(
    dialect: str, sessions: async_sessionmaker[AsyncSession], controller_id: str
) -> SeatReservations:
    """PostgreSQL (shared by every controller) → rows in the database; SQLite (one node) → memory."""
    if dialect == "postgresql":
        return SqlSeatReservations(sessions, controller_id)
    return MemorySeatReservations(controller_id)
