"""Call records and voice messages survive `hotline db upgrade`'s schema on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from callflow.adapters.orm import CallRecordRow, VoiceMessageRow
from callflow.adapters.store import SqlCallRecordStore
from callflow.domain.call import CallRecord, PathEntry, VoiceMessage
from hotline.db import make_engine, make_sessionmaker
from tests.fakes.schema import schema_drift

OUR_TABLES = {CallRecordRow.__tablename__, VoiceMessageRow.__tablename__}


async def test_the_callflow_migration_matches_the_models(migrated_url: str) -> None:
    drift, tables = await schema_drift(migrated_url, OUR_TABLES)
    assert OUR_TABLES <= tables
    assert drift == []


async def test_a_call_record_and_its_voice_message_round_trip(migrated_url: str) -> None:
    engine = make_engine(migrated_url)
    store = SqlCallRecordStore(make_sessionmaker(engine))
    started = datetime(2026, 11, 30, 14, 5, tzinfo=UTC)
    channel = f"1796099999.{started.microsecond}{id(store) % 1000}"
    try:
        record = CallRecord(id=f"rt-{id(store)}", channel_id=channel, caller_number="13800138000", started_at=started)
        await store.save(record)
        assert (await store.find_open(channel)) is not None

        record.path = [PathEntry("closed", None, "closed"), PathEntry("closed", None, "voice_message")]
        record.disposition = "voice-message"
        await store.add_voice_message(
            VoiceMessage(record.id, "13800138000", "hotline-voicemsg-x", "wav", 12.5, started + timedelta(seconds=40)),
            "/var/hotline/recordings/voice-messages/hotline-voicemsg-x.wav",
        )
        record.close(started + timedelta(seconds=55))
        await store.save(record)

        again = await store.get(record.id)
        assert again is not None
        assert again.path == record.path and again.disposition == "voice-message"
        assert again.ended_at is not None and again.ended_at.replace(tzinfo=UTC) == started + timedelta(seconds=55)
        assert await store.find_open(channel) is None
        messages = [m for m in await store.voice_messages() if m.call_id == record.id]
        assert [(m.status, m.duration_s, m.recording_name) for m in messages] == [("new", 12.5, "hotline-voicemsg-x")]
    finally:
        await engine.dispose()
