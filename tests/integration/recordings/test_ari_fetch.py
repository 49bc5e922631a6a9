"""Finished recordings brought over from Asterisk on another host, through ARI's stored-recordings API.

Against the fake Asterisk (which serves its stored recordings as real WAV files) and, for a transfer
that breaks halfway, a small local server that promises more bytes than it sends.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callflow.ari.client import AriClient
from hotline.db import Base, make_engine, make_sessionmaker
from recordings.adapters.ari_fetch import AriStoredRecordings
from recordings.adapters.orm import RecordingAccessRow, RecordingPurgeRow, RecordingRow
from recordings.adapters.store import RecordingStore
from recordings.domain.errors import (
    RecordingFetchFailed,
    RecordingSourceMissing,
    RecordingUnreadable,
    UnsafeRecordingName,
)
from recordings.domain.model import RecordingKind
from recordings.services import RecordingService
from tests.fakes.asterisk import FakeAsterisk, Speak, Wait, WaitUntilBridged, WaitUntilHungUp
from tests.fakes.asterisk.client import RawAri
from tests.integration.recordings.support import write_wav


class NoWorkOrders:
    """No call has a work order yet: only the recordings' own facts count."""

    async def units_for_call(self, call_id: str) -> frozenset[int]:
        return frozenset()


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/recordings.sqlite3")
    tables = [RecordingRow.__table__, RecordingAccessRow.__table__, RecordingPurgeRow.__table__]
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: Base.metadata.create_all(c, tables=tables))
    yield make_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
async def ari(fake_asterisk: FakeAsterisk) -> AsyncIterator[AriClient]:
    client = AriClient(fake_asterisk.url, "asterisk", "asterisk")
    yield client
    await client.close()


def _service(
    sessions: async_sessionmaker[AsyncSession], root: Path, client: AriClient, delete: bool = True
) -> RecordingService:
    return RecordingService(
        sessions, RecordingStore(root), NoWorkOrders(), source=AriStoredRecordings(client, delete_after_fetch=delete)
    )


async def _rows(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return int((await session.execute(select(func.count()).select_from(RecordingRow))).scalar_one())


async def test_a_finished_recording_is_fetched_hashed_probed_and_then_deleted_in_asterisk(
    fake_asterisk: FakeAsterisk, ari: AriClient, sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    original = write_wav(fake_asterisk.recordings_dir / "call-7-mix.wav", 4.0).read_bytes()
    service = _service(sessions, tmp_path / "store", ari)
    rec = await service.register_finished("call-7-mix", "call-7", RecordingKind.MIX, "wav", agent_user_id=12)
    assert rec.id is not None
    assert rec.sha256 == hashlib.sha256(original).hexdigest()
    assert (rec.size_bytes, rec.duration_s, rec.sample_rate, rec.channels) == (len(original), 4.0, 8000, 1)
    assert (tmp_path / "store" / rec.stored_path).read_bytes() == original
    assert "call-7-mix" not in fake_asterisk.stored_recordings  # deleted once our row was committed
    asked = [(r.method, r.operation.split(" ")[0], r.status) for r in fake_asterisk.requests]
    assert asked == [
        ("GET", "recordings.getStored", 200),
        ("GET", "recordings.getStoredFile", 200),
        ("DELETE", "recordings.deleteStored", 204),
    ]
    again = await service.register_finished("call-7-mix", "call-7", RecordingKind.MIX)
    assert again.id == rec.id and await _rows(sessions) == 1  # a repeated registration is harmless


async def test_asterisk_keeps_its_copy_when_deleting_is_off(
    fake_asterisk: FakeAsterisk, ari: AriClient, sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    write_wav(fake_asterisk.recordings_dir / "call-8-caller.wav", 1.0)
    service = _service(sessions, tmp_path / "store", ari, delete=False)
    await service.register_finished("call-8-caller", "call-8", RecordingKind.CALLER)
    assert "call-8-caller" in fake_asterisk.stored_recordings


@pytest.mark.parametrize("name", ["../../etc/passwd", "/abs", "a%2fb", "%2e%2e", "..\\x", "a/../../b"])
async def test_an_unsafe_name_is_refused_before_any_file_or_url_is_made(
    fake_asterisk: FakeAsterisk, ari: AriClient, sessions: async_sessionmaker[AsyncSession], tmp_path: Path, name: str
) -> None:
    service = _service(sessions, tmp_path / "store", ari)
    with pytest.raises(UnsafeRecordingName) as refused:
        await service.register_finished(name, "call-x", RecordingKind.MIX)
    assert refused.value.error_id == "recording-name-unsafe"
    assert fake_asterisk.requests == []
    assert not (tmp_path / "store").exists()
    assert await _rows(sessions) == 0


async def test_a_recording_asterisk_does_not_have_is_reported_and_nothing_is_kept(
    fake_asterisk: FakeAsterisk, ari: AriClient, sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    service = _service(sessions, tmp_path / "store", ari)
    with pytest.raises(RecordingSourceMissing) as missing:
        await service.register_finished("call-404-mix", "call-404", RecordingKind.MIX)
    assert missing.value.error_id == "recording-source-missing"
    assert await _rows(sessions) == 0
    assert not (tmp_path / "store").exists() or list((tmp_path / "store").rglob("*.wav")) == []


async def test_a_file_that_is_not_audio_is_refused_and_left_in_asterisk(
    fake_asterisk: FakeAsterisk, ari: AriClient, sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    fake_asterisk.recordings_dir.mkdir(parents=True, exist_ok=True)
    (fake_asterisk.recordings_dir / "call-9-mix.wav").write_bytes(b"this is not a RIFF file" * 40)
    service = _service(sessions, tmp_path / "store", ari)
    with pytest.raises(RecordingUnreadable):
        await service.register_finished("call-9-mix", "call-9", RecordingKind.MIX)
    assert await _rows(sessions) == 0
    assert list((tmp_path / "store").rglob("*")) == [] or all(p.is_dir() for p in (tmp_path / "store").rglob("*"))
    assert "call-9-mix" in fake_asterisk.stored_recordings


async def test_a_recorded_bridge_call_is_fetched_as_asterisk_wrote_it(
    fake_asterisk: FakeAsterisk, ari: AriClient, sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    """A real call on the fake: caller and agent bridged, the bridge recorded, then fetched over ARI."""
    voice = write_wav(tmp_path / "voice.wav", 1.0, freq=660)
    agent_line = fake_asterisk.add_endpoint(
        "PJSIP/agent101", answer_after=0.2, script=[WaitUntilBridged(), Wait(1.0), Speak(voice), WaitUntilHungUp()]
    )
    async with RawAri(fake_asterisk.url) as raw:
        await raw.connect()
        await fake_asterisk.place_call(script=[WaitUntilBridged(), Speak(voice), WaitUntilHungUp()])
        caller = (await raw.event("StasisStart"))["channel"]["id"]
        await raw.request("POST", f"/channels/{caller}/answer")
        _, agent = await raw.request("POST", "/channels", {"endpoint": "PJSIP/agent101", "app": "hotline"})
        await raw.event("StasisStart", {"channel.id": agent["id"]})
        _, bridge = await raw.request("POST", "/bridges", {"type": "mixing"})
        await raw.request("POST", f"/bridges/{bridge['id']}/addChannel", {"channel": f"{caller},{agent['id']}"})
        await raw.request("POST", f"/bridges/{bridge['id']}/record", {"name": "call-e2e-mix", "format": "wav"})
        await raw.event("RecordingStarted")
        assert await fake_asterisk.wait_until(lambda: agent_line.calls[0].steps_done >= 3, 5.0)
        await raw.request("DELETE", f"/channels/{caller}")
        await raw.request("POST", "/recordings/live/call-e2e-mix/stop")  # what the controller does on hang-up
        await raw.event("RecordingFinished")
        await raw.request("DELETE", f"/channels/{agent['id']}")
        await raw.request("DELETE", f"/bridges/{bridge['id']}")
        await raw.event("BridgeDestroyed")
    written = fake_asterisk.stored_recordings["call-e2e-mix"].read_bytes()
    service = _service(sessions, tmp_path / "store", ari)
    rec = await service.register_finished("call-e2e-mix", "call-e2e", RecordingKind.MIX)
    assert rec.sha256 == hashlib.sha256(written).hexdigest()
    assert rec.duration_s >= 1.5 and rec.sample_rate == 8000  # 1 s before the agent spoke, then 1 s of voice
    assert fake_asterisk.stored_recordings == {}
    await fake_asterisk.wait_empty()


async def test_a_transfer_cut_short_is_refused_and_leaves_nothing(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    """An Asterisk whose HTTP connection drops mid-file: Content-Length promised, half the bytes sent."""
    deletes: list[str] = []
    wav = write_wav(tmp_path / "long.wav", 2.0).read_bytes()

    async def stored(request: web.Request) -> web.Response:
        return web.json_response({"name": request.match_info["name"], "format": "wav"})

    async def file(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "audio/wav"})
        resp.content_length = len(wav)
        await resp.prepare(request)
        await resp.write(wav[: len(wav) // 2])
        assert request.transport is not None
        request.transport.close()
        return resp

    async def delete(request: web.Request) -> web.Response:
        deletes.append(request.match_info["name"])
        return web.Response(status=204)

    app = web.Application()
    app.router.add_get("/ari/recordings/stored/{name}", stored)
    app.router.add_get("/ari/recordings/stored/{name}/file", file)
    app.router.add_delete("/ari/recordings/stored/{name}", delete)
    async with TestServer(app, host="127.0.0.1") as server:
        client = AriClient(str(server.make_url("")).rstrip("/"), "asterisk", "asterisk")
        try:
            service = _service(sessions, tmp_path / "store", client)
            with pytest.raises(RecordingFetchFailed) as failed:
                await service.register_finished("call-cut-mix", "call-cut", RecordingKind.MIX)
        finally:
            await client.close()
    assert failed.value.error_id == "recording-fetch-failed"
    assert deletes == []  # Asterisk keeps the only whole copy
    assert await _rows(sessions) == 0
    assert [p for p in (tmp_path / "store").rglob("*") if p.is_file()] == []


async def test_an_unreachable_asterisk_is_a_fetch_failure(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    client = AriClient("http://127.0.0.1:9", "asterisk", "asterisk", timeout_s=2.0)
    try:
        with pytest.raises(RecordingFetchFailed, match="无法连接"):
            await _service(sessions, tmp_path / "store", client).register_finished("call-x", "x", "mix")
    finally:
        await client.close()


async def test_a_recording_in_another_format_than_declared_is_not_taken(
    fake_asterisk: FakeAsterisk, ari: AriClient, sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    write_wav(fake_asterisk.recordings_dir / "call-10-agent.wav", 1.0)
    with pytest.raises(RecordingFetchFailed, match="格式"):
        await _service(sessions, tmp_path / "store", ari).register_finished("call-10-agent", "call-10", "agent", "sln16")
    assert "call-10-agent" in fake_asterisk.stored_recordings and await _rows(sessions) == 0
