"""After the call: its recordings become one transcription job, and the job a draft work order (工单草稿)
the agent opens at GET /api/v1/calls/{call_id}/draft — on SQLite and PostgreSQL, across failures and a
worker that died. The recognizer is a small typed fake that "hears" a fixed Chinese transcript per track;
everything else (the app, the recordings service, ticketing, the queue, the draft rules) is real.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from asr.adapters.orm import TranscriptionJobRow
from asr.engines.vosk_engine import VoskTranscriber
from asr.jobs import DONE, QUEUED, RUNNING, RetryPolicy, TrackRef, TranscriptionQueue, TranscriptionWorker
from asr.ports import AsrCapacityExhausted, AsrUnavailable, AudioSource, LiveStream
from asr.transcript import Segment, Transcript
from callflow.seat.expert_web import RecordingsService
from hotline.app import create_app
from hotline.db import make_engine, make_sessionmaker, upgrade_async
from hotline.settings import Settings
from hotline.transcription import (
    TRANSCRIBER,
    TRANSCRIPTION_NOW,
    TRANSCRIPTION_QUEUE,
    TRANSCRIPTION_WORKER,
    EnqueueingRegistry,
)
from recordings.adapters.orm import RecordingRow
from recordings.adapters.spool import SpoolFolder
from recordings.domain.model import Recording
from recordings.web import RECORDINGS, RECORDINGS_NOW, RECORDINGS_SOURCE
from tests.fakes.schema import schema_drift
from tests.fakes.vosk_server import KoreanSpeech
from tests.integration.recordings.support import TZ, write_wav
from tests.integration.ticketing.api_fixtures import USERS, MovableClock, _clean_copy
from ticketing.adapters.orm import WorkOrderRow
from ticketing.background import BACKGROUND
from ticketing.services import Directory
from ticketing.web import NOW

CALLER_SAYS = [
    (0.5, 6.0, "你好 我 是 宏达 路桥 工程 有限公司 的 负责人 我 要 投诉 县里 一个 工程 项目 拖欠 我们 工程款 一百八十万 已经 半年 了"),
    (9.0, 12.0, "我的 电话 是 幺 三 九 幺 二 三 四 五 六 七 八"),
]
AGENT_SAYS = [
    (0.0, 0.4, "您好 营商 环境 专线 请 讲"),
    (6.5, 8.5, "好的 请 留 一下 您的 联系 电话"),
    (12.5, 15.0, "好的 我们 记录 下来 会 转 给 相关 部门 处理"),
]
MIX_SAYS = [(0.0, 6.0, "您好 请 讲 我 想 问 一下 营业 执照 怎么 变更 地址")]


@dataclass
class ScriptedTranscriber:
    """A `Transcriber` that hears fixed utterances per kind of track, and can be made to fail first."""

    failures_left: int = 0
    heard: list[AudioSource] = field(default_factory=list)
    started: bool = False

    async def start(self) -> None:
        self.started = True

    async def transcribe(self, audio: AudioSource) -> Transcript:
        self.heard.append(audio)
        if self.failures_left > 0:
            self.failures_left -= 1
            raise AsrUnavailable("所有 vosk-server 均无响应 (every vosk-server refused)")
        assert audio.path.is_file(), audio.path
        kind = audio.path.stem.rsplit("-", 1)[-1]
        said = {"caller": CALLER_SAYS, "agent": AGENT_SAYS}.get(kind, MIX_SAYS)
        segments = tuple(Segment(audio.speaker, text, start, end) for start, end, text in said)
        return Transcript(segments, duration=15.0, sample_rate=8000, source=str(audio.path))

    async def open_stream(self, sample_rate: int, speaker: str = "unknown") -> LiveStream:
        raise AsrCapacityExhausted("no live streams in this test")

    async def close(self) -> None:
        return None


@dataclass
class TranscriptionApp:
    """The running app, its database, clock, spool folder and one user per role."""

    client: TestClient
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    clock: MovableClock
    spool: Path
    transcriber: ScriptedTranscriber
    tokens: dict[str, str]

    @property
    def queue(self) -> TranscriptionQueue:
        return self.client.app[TRANSCRIPTION_QUEUE]

    @property
    def worker(self) -> TranscriptionWorker:
        return self.client.app[TRANSCRIPTION_WORKER]

    async def recording_finished(self, call_id: str, kind: str, seconds: float = 2.0) -> Path:
        """What the seat's recorder does when Asterisk finishes a track: register it (wrapped as in the app)."""
        name = f"{call_id}-{kind}"
        write_wav(self.spool / f"{name}.wav", seconds, freq=300.0 + 100 * len(kind))
        registry = EnqueueingRegistry(RecordingsService(self.client.app), self.client.app)
        stored = await registry.register_finished(name, call_id, kind, "wav")
        assert isinstance(stored, Recording)
        return self.client.app[RECORDINGS].store.path_for(stored.stored_path)

    def later(self, **delta: float) -> None:
        self.clock.set(self.clock.now() + timedelta(**delta))

    async def draft_of(self, call_id: str, who: str | None = "agent") -> tuple[int, dict[str, Any]]:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        resp = await self.client.get(f"/api/v1/calls/{call_id}/draft", headers=headers)
        return resp.status, await resp.json()

    async def work_orders(self, call_id: str) -> list[WorkOrderRow]:
        async with self.sessions() as session:
            rows = await session.execute(select(WorkOrderRow).where(WorkOrderRow.call_id == call_id))
            return list(rows.scalars())


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
async def transcription_app(migrated_url: str, aiohttp_client: Any, tmp_path: Path) -> AsyncIterator[TranscriptionApp]:
    url = await _clean_copy(migrated_url, tmp_path)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    async with sessions.begin() as session:
        await session.execute(delete(TranscriptionJobRow))
        await session.execute(delete(RecordingRow))
    directory = Directory(sessions)
    tokens: dict[str, str] = {}
    for login, (role, unit) in USERS.items():
        _, tokens[login] = await directory.add_user(login, login, role, unit)
    clock = MovableClock(datetime(2025, 9, 30, 16, 0, tzinfo=TZ))
    spool = tmp_path / "asterisk-spool"
    spool.mkdir()
    transcriber = ScriptedTranscriber()
    settings = Settings(
        database_url=url,
        data_dir=tmp_path,
        prompts_dir=tmp_path / "prompts",
        recordings_dir=tmp_path / "recordings",
        ari_url="http://127.0.0.1:9",
    )
    app = create_app(
        settings,
        overrides={
            NOW: clock.now,
            RECORDINGS_NOW: clock.now,
            RECORDINGS_SOURCE: SpoolFolder(spool),
            TRANSCRIBER: transcriber,
            TRANSCRIPTION_NOW: clock.now,
            BACKGROUND: False,  # the scenario runs the worker itself, on its own clock
        },
    )
    client = await aiohttp_client(app)
    yield TranscriptionApp(client, engine, sessions, clock, spool, transcriber, tokens)
    await engine.dispose()


async def test_a_calls_tracks_make_one_job_and_one_draft_work_order_the_agent_opens(
    transcription_app: TranscriptionApp,
) -> None:
    app = transcription_app
    files = [await app.recording_finished("call-1", kind) for kind in ("mix", "caller")]
    job = await app.queue.get("call-1")
    assert job is not None and job.state == QUEUED
    assert job.next_attempt_at == app.clock.now() + app.queue.settle  # the agent's track may still come
    assert await app.worker.run_once() is None

    files.append(await app.recording_finished("call-1", "agent"))
    await app.recording_finished("call-1", "caller")  # a restarted controller registers again
    job = await app.queue.get("call-1")
    assert job is not None and [t.kind for t in job.tracks] == ["mix", "caller", "agent"]
    assert job.next_attempt_at == app.clock.now()  # both parties are in: due at once
    before = {path: sha256(path) for path in files}

    done = await app.worker.run_once()

    assert done is not None and done.state == DONE and done.attempts == 1
    assert [(a.path, a.speaker) for a in app.transcriber.heard] == [(files[1], "caller"), (files[2], "agent")]
    assert {path: sha256(path) for path in files} == before  # recordings read, never touched
    (order,) = await app.work_orders("call-1")
    assert order.number == done.workorder_number
    assert (order.source, order.state) == ("call", "draft")
    assert (order.order_class, order.service, order.complexity) == ("complaint", "complaint", "difficult")
    assert order.caller_phone == "13912345678"
    assert order.enterprise == "宏达路桥工程有限公司"
    assert order.content.startswith("话务员：您好营商环境专线请讲\n来电人：你好我是宏达路桥工程有限公司的负责人")

    status, body = await app.draft_of("call-1")
    assert status == 200
    assert body["state"] == "done" and body["workorder_number"] == order.number
    assert body["draft"]["class"] == "complaint"
    assert body["draft"]["contact_phone"] == "13912345678"
    assert body["draft"]["enterprise"] == "宏达路桥工程有限公司"
    assert [t["speaker"] for t in body["transcript"]["turns"]] == ["agent", "caller", "agent", "caller", "agent"]
    assert "path" not in body["tracks"][0]  # where files lie on disk is not the console's business

    await app.queue.enqueue("call-1", [TrackRef("call-1-late", "caller", str(files[1]))])
    assert await app.worker.run_once() is None
    assert len(await app.work_orders("call-1")) == 1
    assert (await app.draft_of("call-1", "market"))[0] == 403  # unit staff see the dispatched order, not this
    assert (await app.draft_of("call-1", None))[0] == 401
    assert (await app.draft_of("no-such-call"))[0] == 404


async def test_a_failing_recognizer_is_retried_with_growing_waits_until_it_succeeds(
    transcription_app: TranscriptionApp,
) -> None:
    app = transcription_app
    app.transcriber.failures_left = 2
    await app.recording_finished("call-2", "caller")
    await app.recording_finished("call-2", "agent")
    policy = RetryPolicy()

    first = await app.worker.run_once()
    assert first is not None and (first.state, first.attempts) == (QUEUED, 1)
    assert first.next_attempt_at == app.clock.now() + policy.delay(1)
    assert first.last_error is not None and "AsrUnavailable" in first.last_error
    assert await app.worker.run_once() is None  # waiting out the backoff

    app.later(seconds=policy.delay(1).total_seconds())
    second = await app.worker.run_once()
    assert second is not None and (second.state, second.attempts) == (QUEUED, 2)
    assert second.next_attempt_at == app.clock.now() + policy.delay(2) and policy.delay(2) == 2 * policy.delay(1)
    app.later(seconds=policy.delay(2).total_seconds() - 1)
    assert await app.worker.run_once() is None

    app.later(seconds=1)
    third = await app.worker.run_once()
    assert third is not None and (third.state, third.attempts, third.last_error) == (DONE, 3, None)
    assert len(await app.work_orders("call-2")) == 1


async def test_a_job_left_by_a_dead_worker_is_taken_by_the_next_once_its_lease_expires(
    transcription_app: TranscriptionApp,
) -> None:
    app = transcription_app
    await app.recording_finished("call-3", "caller")
    await app.recording_finished("call-3", "agent")
    lease = timedelta(minutes=10)
    crashed = await app.queue.claim("worker-that-died", lease)  # took the job, then its process was killed
    assert crashed is not None and crashed.state == RUNNING

    restarted = TranscriptionWorker(app.queue, app.transcriber, app.worker.sink, lease=lease)
    assert await restarted.run_once() is None  # the lease still holds
    assert app.transcriber.heard == []

    app.later(seconds=lease.total_seconds() + 1)
    done = await restarted.run_once()
    assert done is not None and (done.state, done.attempts) == (DONE, 2)
    assert done.leased_by == restarted.worker_id
    assert len(await app.work_orders("call-3")) == 1
    assert not await app.queue.finish(crashed, "worker-that-died", "X")  # a late report changes nothing


async def test_a_call_with_only_the_mixed_recording_is_transcribed_after_the_settling_time(
    transcription_app: TranscriptionApp,
) -> None:
    app = transcription_app
    mix = await app.recording_finished("call-4", "mix")
    assert await app.worker.run_once() is None
    app.later(seconds=app.queue.settle.total_seconds())

    done = await app.worker.run_once()

    assert done is not None and done.state == DONE
    assert [(a.path, a.speaker) for a in app.transcriber.heard] == [(mix, "unknown")]
    (order,) = await app.work_orders("call-4")
    assert order.order_class == "consultation"
    assert order.content is not None and order.content.startswith("通话：您好请讲")


@dataclass
class TicketingDown:
    """A draft sink whose database is away for the first `failures` deliveries."""

    inner: Any
    failures: int = 1
    tried: int = 0

    async def deliver(self, call_id: str, transcript: dict[str, Any], draft: dict[str, Any]) -> str:
        self.tried += 1
        if self.tried <= self.failures:
            raise ConnectionError("work-order database unreachable")
        number: str = await self.inner.deliver(call_id, transcript, draft)
        return number


async def test_a_draft_that_could_not_be_handed_on_is_retried_without_transcribing_again(
    transcription_app: TranscriptionApp,
) -> None:
    app = transcription_app
    await app.recording_finished("call-5", "caller")
    await app.recording_finished("call-5", "agent")
    sink = TicketingDown(app.worker.sink)
    worker = TranscriptionWorker(app.queue, app.transcriber, sink)

    failed = await worker.run_once()
    assert failed is not None and failed.state == QUEUED and failed.draft is not None
    assert failed.draft["contact_phone"] == "13912345678"
    assert (await app.draft_of("call-5"))[1]["workorder_number"] is None
    app.later(seconds=app.queue.retry.delay(1).total_seconds())

    done = await worker.run_once()

    assert done is not None and done.state == DONE and sink.tried == 2
    assert len(app.transcriber.heard) == 2  # the two tracks, once
    assert len(await app.work_orders("call-5")) == 1


async def test_the_asr_migration_builds_exactly_the_job_table(migrated_url: str) -> None:
    differences, present = await schema_drift(migrated_url, {"transcription_jobs"})
    assert "transcription_jobs" in present
    assert differences == []


async def test_without_a_speech_model_jobs_wait_and_healthz_says_transcription_is_off(
    aiohttp_client: Any, settings: Settings, tmp_path: Path
) -> None:
    await upgrade_async(settings.database_url)
    not_a_model = tmp_path / "empty-folder"
    not_a_model.mkdir()
    for configured, reason in ((settings, "VOSK_MODEL_PATH"), (replace(settings, vosk_model_path=not_a_model), "asr-model-invalid")):
        client = await aiohttp_client(create_app(configured, {BACKGROUND: False}))
        report = await (await client.get("/healthz")).json()
        assert report["transcription"]["enabled"] is False
        assert "通话转写未启用" in report["transcription"]["message"] and reason in report["transcription"]["message"]
        assert TRANSCRIPTION_WORKER not in client.app
        job = await client.app[TRANSCRIPTION_QUEUE].enqueue("call-9", [TrackRef("call-9-mix", "mix", "/nowhere")])
        assert job.state == QUEUED  # kept for when a model is installed
        await client.close()


async def test_tracks_registered_at_the_same_moment_all_join_the_one_job_and_one_worker_takes_it(
    transcription_app: TranscriptionApp,
) -> None:
    app = transcription_app
    def track(kind: str) -> list[TrackRef]:
        return [TrackRef(f"call-6-{kind}", kind, f"/spool/call-6-{kind}.wav")]

    await asyncio.gather(*(app.queue.enqueue("call-6", track(k)) for k in ("mix", "caller")))  # creating it
    await asyncio.gather(*(app.queue.enqueue("call-6", track(k)) for k in ("agent", "caller", "agent")))  # joining
    async with app.sessions() as session:
        (row,) = (await session.execute(select(TranscriptionJobRow))).scalars().all()
    assert sorted(t["kind"] for t in row.tracks) == ["agent", "caller", "mix"]

    claims = await asyncio.gather(*(app.queue.claim(f"worker-{i}", timedelta(minutes=10)) for i in range(4)))
    assert len([c for c in claims if c is not None]) == 1


@dataclass
class KeptDrafts:
    """A draft sink that keeps what it was handed (ticketing is not what this test is about)."""

    delivered: list[tuple[str, dict[str, Any], dict[str, Any]]] = field(default_factory=list)

    async def deliver(self, call_id: str, transcript: dict[str, Any], draft: dict[str, Any]) -> str:
        self.delivered.append((call_id, transcript, draft))
        return f"WO-{len(self.delivered)}"


async def test_a_job_runs_on_the_real_vosk_engine_and_leaves_the_recordings_as_they_were(
    settings: Settings, vosk_transcriber: VoskTranscriber, korean_speech: KoreanSpeech
) -> None:
    await upgrade_async(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        queue = TranscriptionQueue(make_sessionmaker(engine))
        caller, agent = korean_speech.caller_track, korean_speech.agent_track
        before = (sha256(caller), sha256(agent))
        await queue.enqueue("call-ko", [TrackRef("call-ko-caller", "caller", str(caller))])
        await queue.enqueue("call-ko", [TrackRef("call-ko-agent", "agent", str(agent))])
        sink = KeptDrafts()

        done = await TranscriptionWorker(queue, vosk_transcriber, sink).run_once()

        assert done is not None and done.state == DONE and done.workorder_number == "WO-1"
        assert done.transcript is not None
        segments = done.transcript["segments"]
        assert {s["speaker"] for s in segments} == {"caller", "agent"} and all(s["text"] for s in segments)
        assert [s["start"] for s in segments] == sorted(s["start"] for s in segments)
        assert [t["speaker"] for t in done.transcript["turns"]] == ["caller", "agent", "caller"]
        assert [call for call, _, _ in sink.delivered] == ["call-ko"]
        assert (sha256(caller), sha256(agent)) == before
    finally:
        await engine.dispose()
