"""Reading and writing recording rows; rows become `Recording` values at this edge."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from recordings.adapters.orm import RecordingAccessRow, RecordingPurgeRow, RecordingRow
from recordings.domain.model import Recording, RecordingKind, RecordingState


def to_recording(row: RecordingRow) -> Recording:
    return Recording(
        id=row.id,
        name=row.name,
        call_id=row.call_id,
        kind=RecordingKind(row.kind),
        format=row.format,
        sample_rate=row.sample_rate,
        channels=row.channels,
        duration_s=row.duration_s,
        size_bytes=row.size_bytes,
        sha256=row.sha256,
        stored_path=row.stored_path,
        created_at=row.created_at,
        retention_until=row.retention_until,
        state=RecordingState(row.state),
        legal_hold=row.legal_hold,
        legal_hold_reason=row.legal_hold_reason,
        agent_user_id=row.agent_user_id,
        checked_at=row.checked_at,
    )


def to_row(recording: Recording) -> RecordingRow:
    return RecordingRow(
        name=recording.name,
        call_id=recording.call_id,
        kind=recording.kind.value,
        format=recording.format,
        sample_rate=recording.sample_rate,
        channels=recording.channels,
        duration_s=recording.duration_s,
        size_bytes=recording.size_bytes,
        sha256=recording.sha256,
        stored_path=recording.stored_path,
        created_at=recording.created_at,
        retention_until=recording.retention_until,
        state=recording.state.value,
        checked_at=recording.checked_at,
        legal_hold=recording.legal_hold,
        legal_hold_reason=recording.legal_hold_reason,
        agent_user_id=recording.agent_user_id,
    )


async def by_id(session: AsyncSession, recording_id: int) -> Recording | None:
    row = await session.get(RecordingRow, recording_id)
    return None if row is None else to_recording(row)


async def by_name(session: AsyncSession, name: str) -> Recording | None:
    row = (await session.execute(select(RecordingRow).where(RecordingRow.name == name))).scalar_one_or_none()
    return None if row is None else to_recording(row)


async def of_call(session: AsyncSession, call_id: str) -> list[Recording]:
    rows = await session.execute(
        select(RecordingRow).where(RecordingRow.call_id == call_id).order_by(RecordingRow.id)
    )
    return [to_recording(r) for r in rows.scalars()]


async def agents_of_call(session: AsyncSession, call_id: str) -> frozenset[int]:
    rows = await session.execute(
        select(RecordingRow.agent_user_id).where(
            RecordingRow.call_id == call_id, RecordingRow.agent_user_id.is_not(None)
        )
    )
    return frozenset(int(a) for a in rows.scalars() if a is not None)


async def created_before(session: AsyncSession, before: datetime) -> list[Recording]:
    rows = await session.execute(
        select(RecordingRow).where(RecordingRow.created_at <= before).order_by(RecordingRow.id)
    )
    return [to_recording(r) for r in rows.scalars()]


async def set_retention(session: AsyncSession, recording_id: int, until: datetime) -> None:
    await session.execute(
        update(RecordingRow).where(RecordingRow.id == recording_id).values(retention_until=until)
    )


async def all_ids(session: AsyncSession) -> Sequence[int]:
    return list((await session.execute(select(RecordingRow.id).order_by(RecordingRow.id))).scalars())


async def mark(session: AsyncSession, recording_id: int, state: RecordingState, at: datetime) -> None:
    await session.execute(
        update(RecordingRow).where(RecordingRow.id == recording_id).values(state=state.value, checked_at=at)
    )


async def set_hold(session: AsyncSession, recording_id: int, hold: bool, reason: str | None) -> None:
    await session.execute(
        update(RecordingRow)
        .where(RecordingRow.id == recording_id)
        .values(legal_hold=hold, legal_hold_reason=reason if hold else None)
    )


async def set_agent(session: AsyncSession, call_id: str, agent_user_id: int) -> int:
    result = await session.execute(
        update(RecordingRow).where(RecordingRow.call_id == call_id).values(agent_user_id=agent_user_id)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def remove(session: AsyncSession, recording_id: int) -> None:
    row = await session.get(RecordingRow, recording_id)
    if row is not None:
        await session.delete(row)


def access_row(**values: object) -> RecordingAccessRow:
    return RecordingAccessRow(**values)


def purge_row(recording: Recording, at: datetime, file_deleted: bool) -> RecordingPurgeRow:
    assert recording.id is not None
    return RecordingPurgeRow(
        at=at,
        recording_id=recording.id,
        recording_name=recording.name,
        call_id=recording.call_id,
        kind=recording.kind.value,
        sha256=recording.sha256,
        size_bytes=recording.size_bytes,
        created_at=recording.created_at,
        retention_until=recording.retention_until,
        file_deleted=file_deleted,
    )


async def count_by_state(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(RecordingRow.state, func.count()).group_by(RecordingRow.state))
    return {str(state): int(count) for state, count in rows.all()}
