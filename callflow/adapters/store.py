"""SQLAlchemy store of call records and voice messages."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callflow.adapters.orm import CallRecordRow, VoiceMessageRow
from callflow.domain.call import CallRecord, PathEntry, VoiceMessage


class SqlCallRecordStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def save(self, record: CallRecord) -> None:
        """Insert or update in one statement: two saves of a new call at once (the menu and the seat, as
        the call starts) must not both insert (found by bench/soak.py)."""
        values = {
            "channel_id": record.channel_id,
            "caller_number": record.caller_number,
            "started_at": record.started_at,
            "menu_path": [step.as_json() for step in record.path],
            "destination": record.destination,
            "service": record.service,
            "disposition": record.disposition,
            "ended_at": record.ended_at,
        }
        async with self.sessions.begin() as db:
            dialect = (await db.connection()).dialect.name
            insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            statement = insert(CallRecordRow).values(id=record.id, **values)
            await db.execute(statement.on_conflict_do_update(index_elements=[CallRecordRow.id], set_=values))

    async def add_voice_message(self, message: VoiceMessage, file_path: str | None) -> None:
        async with self.sessions.begin() as db:
            db.add(
                VoiceMessageRow(
                    call_id=message.call_id,
                    caller_number=message.caller_number,
                    recording_name=message.recording_name,
                    recording_format=message.recording_format,
                    file_path=file_path,
                    duration_s=message.duration_s,
                    received_at=message.received_at,
                    status=message.status,
                )
            )

    async def get(self, call_id: str) -> CallRecord | None:
        async with self.sessions() as db:
            row = await db.get(CallRecordRow, call_id)
            return None if row is None else _record(row)

    async def by_channel(self, channel_id: str) -> CallRecord | None:
        """The latest record of a call on this channel."""
        async with self.sessions() as db:
            result = await db.execute(
                select(CallRecordRow)
                .where(CallRecordRow.channel_id == channel_id)
                .order_by(CallRecordRow.started_at.desc())
            )
            row = result.scalars().first()
            return None if row is None else _record(row)

    async def find_open(self, channel_id: str) -> CallRecord | None:
        async with self.sessions() as db:
            result = await db.execute(
                select(CallRecordRow)
                .where(CallRecordRow.channel_id == channel_id, CallRecordRow.ended_at.is_(None))
                .order_by(CallRecordRow.started_at.desc())
            )
            row = result.scalars().first()
            return None if row is None else _record(row)

    async def voice_messages(self) -> list[VoiceMessageRow]:
        async with self.sessions() as db:
            result = await db.execute(select(VoiceMessageRow).order_by(VoiceMessageRow.id))
            return list(result.scalars())


def _record(row: CallRecordRow) -> CallRecord:
    disposition = row.disposition
    return CallRecord(
        id=row.id,
        channel_id=row.channel_id,
        caller_number=row.caller_number,
        started_at=row.started_at,
        path=[PathEntry(p["node"], p.get("key"), p.get("outcome", "")) for p in row.menu_path or []],
        destination=row.destination,
        service=row.service,
        disposition=disposition,  # type: ignore[arg-type]
        ended_at=row.ended_at,
    )
