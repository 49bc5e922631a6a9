"""SQLAlchemy store of the seat (implements `SeatStore`) and the call-record queries of `/api/v1/calls`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callflow.adapters.orm import CallRecordRow
from callflow.seat.domain import Agent, StateChange
from callflow.seat.orm import AgentStateChangeRow, CallbackRequestRow, SeatCallRow, SeatMemberRow
from callflow.seat.records import CallbackRequest, SeatCall


@dataclass(frozen=True)
class CallFilters:
    """Filters of the call-record list: a date range, disposition, agent, (part of a) number."""

    since: datetime | None = None
    until: datetime | None = None
    disposition: str | None = None
    agent: str | None = None
    number: str | None = None
    limit: int = 50
    offset: int = 0


class SqlSeatStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def record_changes(self, changes: list[StateChange]) -> None:
        async with self.sessions.begin() as db:
            db.add_all(
                AgentStateChangeRow(agent_id=c.agent_id, state=c.state.value, reason=c.reason, at=c.at)
                for c in changes
            )

    async def save_member(self, agent: Agent) -> None:
        async with self.sessions.begin() as db:
            row = await db.get(SeatMemberRow, agent.id)
            if row is None:
                row = SeatMemberRow(agent_id=agent.id, added_at=agent.since or datetime.now().astimezone())
                db.add(row)
            row.name = agent.name
            row.endpoint = agent.endpoint or row.endpoint

    async def remove_member(self, agent_id: str) -> None:
        async with self.sessions.begin() as db:
            await db.execute(delete(SeatMemberRow).where(SeatMemberRow.agent_id == agent_id))

    async def members(self) -> list[SeatMemberRow]:
        async with self.sessions() as db:
            return list((await db.execute(select(SeatMemberRow).order_by(SeatMemberRow.agent_id))).scalars())

    async def state_changes(self, agent_id: str) -> list[AgentStateChangeRow]:
        async with self.sessions() as db:
            result = await db.execute(
                select(AgentStateChangeRow)
                .where(AgentStateChangeRow.agent_id == agent_id)
                .order_by(AgentStateChangeRow.id)
            )
            return list(result.scalars())

    async def save_call(self, call: SeatCall) -> None:
        async with self.sessions.begin() as db:
            row = await db.get(SeatCallRow, call.call_id)
            if row is None:
                row = SeatCallRow(call_id=call.call_id)
                db.add(row)
            row.caller_number = call.caller_number
            row.destination = call.destination
            row.queued_at = call.queued_at
            row.answered_at = call.answered_at
            row.ended_at = call.ended_at
            row.wait_s = call.wait_s
            row.talk_s = call.talk_s
            row.agent_id = call.agents[0] if call.agents else None
            row.agents = list(call.agents)
            row.rung = [dict(r) for r in call.rung]
            row.legs = [dict(leg) for leg in call.legs]
            row.disposition = call.disposition
            row.overflow_reason = call.overflow_reason
            row.ended_by = call.ended_by

    async def add_callback(self, request: CallbackRequest) -> int:
        async with self.sessions.begin() as db:
            row = CallbackRequestRow(
                call_id=request.call_id,
                caller_number=request.caller_number,
                callback_number=request.callback_number,
                service=request.service,
                requested_at=request.requested_at,
                status=request.status,
            )
            db.add(row)
            await db.flush()
            return int(row.id)

    async def callback_ordered(self, request_id: int, work_order: str) -> None:
        async with self.sessions.begin() as db:
            row = await db.get(CallbackRequestRow, request_id)
            if row is not None:
                row.status = "ordered"
                row.work_order = work_order

    async def callbacks(self, status: str | None = None) -> list[CallbackRequestRow]:
        async with self.sessions() as db:
            query = select(CallbackRequestRow).order_by(CallbackRequestRow.id)
            if status:
                query = query.where(CallbackRequestRow.status == status)
            return list((await db.execute(query)).scalars())

    # --- call records (通话记录) ---
    async def calls(self, filters: CallFilters) -> list[dict[str, Any]]:
        query = (
            select(CallRecordRow, SeatCallRow)
            .outerjoin(SeatCallRow, SeatCallRow.call_id == CallRecordRow.id)
            .order_by(CallRecordRow.started_at.desc())
        )
        if filters.since is not None:
            query = query.where(CallRecordRow.started_at >= filters.since)
        if filters.until is not None:
            query = query.where(CallRecordRow.started_at < filters.until)
        if filters.disposition:
            query = query.where(
                (SeatCallRow.disposition == filters.disposition) | (CallRecordRow.disposition == filters.disposition)
            )
        if filters.agent:
            query = query.where(SeatCallRow.agent_id == filters.agent)
        if filters.number:
            query = query.where(CallRecordRow.caller_number.contains(filters.number))
        query = query.limit(filters.limit).offset(filters.offset)
        async with self.sessions() as db:
            rows = (await db.execute(query)).all()
        return [call_json(record, seat) for record, seat in rows]

    async def call(self, call_id: str) -> dict[str, Any] | None:
        async with self.sessions() as db:
            record = await db.get(CallRecordRow, call_id)
            if record is None:
                return None
            seat = await db.get(SeatCallRow, call_id)
            callbacks = list(
                (await db.execute(select(CallbackRequestRow).where(CallbackRequestRow.call_id == call_id))).scalars()
            )
        out = call_json(record, seat)
        out["menu_path"] = list(record.menu_path or [])
        out["queue"] = (
            None
            if seat is None
            else {"destination": seat.destination, "rung": seat.rung, "overflow_reason": seat.overflow_reason}
        )
        out["legs"] = seat.legs if seat is not None else []
        out["callbacks"] = [
            {"id": c.id, "number": c.callback_number, "status": c.status, "work_order": c.work_order}
            for c in callbacks
        ]
        return out


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def call_json(record: CallRecordRow, seat: SeatCallRow | None) -> dict[str, Any]:
    """One call record as the API shows it (the seat's disposition wins once the call reached the seat)."""
    return {
        "id": record.id,
        "caller_number": record.caller_number,
        "entered_at": _iso(record.started_at),
        "destination": record.destination,
        "service": record.service,
        "queued_at": _iso(seat.queued_at) if seat else None,
        "answered_at": _iso(seat.answered_at) if seat else None,
        "ended_at": _iso(seat.ended_at if seat and seat.ended_at else record.ended_at),
        "wait_s": seat.wait_s if seat else None,
        "talk_s": seat.talk_s if seat else None,
        "agents": list(seat.agents) if seat else [],
        "disposition": seat.disposition if seat else record.disposition,
        "menu_disposition": record.disposition,
        "ended_by": seat.ended_by if seat else None,
    }
