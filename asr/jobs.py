"""Transcription jobs after the call (通话结束后转写): a queue in the database and the worker that runs it.

When a call's recordings are registered, `TranscriptionQueue.enqueue(call_id, tracks)` keeps one job per
call (a track registered again, or late, joins the queued job). A job waits a short settling time for the
other tracks unless both the caller and the agent track are already there. `TranscriptionWorker` claims
due jobs with a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL, a conditional update everywhere, so two
workers never run one job), transcribes each party's track with the `Transcriber` port, merges them
into one speaker-labelled transcript, drafts the work order from it, stores both, and hands them to a
`DraftSink` (ticketing, wired in `hotline/transcription.py`). A failure is retried with exponential
backoff; a worker that dies leaves a lease that expires, and the next worker claims the job again.
Recordings are only read: a job never moves, rewrites or deletes one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from asr.adapters.orm import TranscriptionJobRow
from asr.domain.transcript import AGENT, CALLER, UNKNOWN, turns_from_json
from asr.ports import AudioSource, Transcriber
from asr.transcript import Transcript, merge_tracks

log = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
PARTY_KINDS = (CALLER, AGENT)
MIX = "mix"


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class TrackRef:
    """One registered recording of a call: its name, kind (mix | caller | agent) and file on disk."""

    name: str
    kind: str
    path: str

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "kind": self.kind, "path": self.path}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TrackRef:
        return cls(str(data["name"]), str(data["kind"]), str(data["path"]))


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff between attempts (base, doubled each time, capped) and the attempts allowed."""

    base: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(minutes=30)
    max_attempts: int = 8

    def delay(self, attempts: int) -> timedelta:
        """The wait after the `attempts`-th failed attempt (1-based): base, 2×base, 4×base … ≤ cap."""
        return min(self.base * (2 ** max(0, attempts - 1)), self.cap)


def tracks_to_transcribe(tracks: Sequence[TrackRef]) -> list[TrackRef]:
    """The parties' own tracks when there are any (caller, then agent); else the mix (speaker unknown)."""
    parties = sorted((t for t in tracks if t.kind in PARTY_KINDS), key=lambda t: PARTY_KINDS.index(t.kind))
    return parties or [t for t in tracks if t.kind == MIX][:1]


def speaker_of(track: TrackRef) -> str:
    return track.kind if track.kind in PARTY_KINDS else UNKNOWN


@dataclass(frozen=True)
class TranscriptionJob:
    """A job as read from the database."""

    id: int
    call_id: str
    tracks: tuple[TrackRef, ...]
    state: str
    attempts: int
    next_attempt_at: datetime
    lease_until: datetime | None
    leased_by: str | None
    last_error: str | None
    transcript: dict[str, Any] | None
    draft: dict[str, Any] | None
    workorder_number: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: TranscriptionJobRow) -> TranscriptionJob:
        return cls(
            id=row.id,
            call_id=row.call_id,
            tracks=tuple(TrackRef.from_json(t) for t in row.tracks),
            state=row.state,
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at,
            lease_until=row.lease_until,
            leased_by=row.leased_by,
            last_error=row.last_error,
            transcript=row.transcript,
            draft=row.draft,
            workorder_number=row.workorder_number,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "call_id": self.call_id,
            "state": self.state,
            "attempts": self.attempts,
            "next_attempt_at": self.next_attempt_at.isoformat(),
            "last_error": self.last_error,
            "tracks": [{"name": t.name, "kind": t.kind} for t in self.tracks],
            "transcript": self.transcript,
            "draft": self.draft,
            "workorder_number": self.workorder_number,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


class TranscriptionQueue:
    """The jobs table: enqueue, claim with a lease, renew, finish, fail (with backoff)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        now: Callable[[], datetime] = utcnow,
        settle: timedelta = timedelta(seconds=20),
        retry: RetryPolicy | None = None,
    ) -> None:
        self._sessions = sessions
        self._now = now
        self.settle = settle
        self.retry = retry or RetryPolicy()
        self.wake = asyncio.Event()
        """Set on every enqueue, so a waiting worker looks at once instead of at its next poll."""

    async def enqueue(self, call_id: str, tracks: Sequence[TrackRef]) -> TranscriptionJob:
        """The call's job, created once; tracks not yet known join it while it is still queued."""
        for _ in range(3):
            try:
                job = await self._enqueue(call_id, tracks)
            except IntegrityError:  # another registration created the job meanwhile: join it
                continue
            self.wake.set()
            return job
        raise RuntimeError(f"could not enqueue the transcription of call {call_id}")

    async def _enqueue(self, call_id: str, tracks: Sequence[TrackRef]) -> TranscriptionJob:
        now = self._now()
        async with self._sessions.begin() as session:
            # Write first: the call's tracks finish together and register concurrently. A no-op update
            # takes the row lock on PostgreSQL and the write lock on SQLite (whose driver would otherwise
            # read outside the transaction), so the read below sees the tracks another enqueue added.
            await session.execute(
                update(TranscriptionJobRow)
                .where(TranscriptionJobRow.call_id == call_id)
                .values(call_id=TranscriptionJobRow.call_id)
                .execution_options(synchronize_session=False)
            )
            row = (
                await session.execute(
                    select(TranscriptionJobRow).where(TranscriptionJobRow.call_id == call_id).with_for_update()
                )
            ).scalar_one_or_none()
            if row is None:
                row = TranscriptionJobRow(
                    call_id=call_id, tracks=[], state=QUEUED, attempts=0, created_at=now, next_attempt_at=now
                )
                session.add(row)
            if row.state == QUEUED:
                known = {t["name"] for t in row.tracks}
                added = [t.to_json() for t in tracks if t.name not in known]
                if added or not row.tracks:
                    row.tracks = [*row.tracks, *added]
                    kinds = {t["kind"] for t in row.tracks}
                    complete = all(k in kinds for k in PARTY_KINDS)
                    row.next_attempt_at = now if complete else now + self.settle
                    row.updated_at = now
            elif tracks:
                log.info("call %s: transcription already %s, late tracks ignored", call_id, row.state)
            await session.flush()
            return TranscriptionJob.of(row)

    def _due(self, now: datetime) -> Any:
        return or_(
            and_(TranscriptionJobRow.state == QUEUED, TranscriptionJobRow.next_attempt_at <= now),
            and_(TranscriptionJobRow.state == RUNNING, TranscriptionJobRow.lease_until < now),
        )

    async def claim(self, worker_id: str, lease: timedelta) -> TranscriptionJob | None:
        """The next due job (queued and due, or running with an expired lease), leased to `worker_id`."""
        now = self._now()
        async with self._sessions.begin() as session:
            job_id = (
                await session.execute(
                    select(TranscriptionJobRow.id)
                    .where(self._due(now))
                    .order_by(TranscriptionJobRow.next_attempt_at, TranscriptionJobRow.id)
                    .limit(1)
                    .with_for_update(skip_locked=True)
                )
            ).scalar_one_or_none()
            if job_id is None:
                return None
            claimed = await session.execute(
                update(TranscriptionJobRow)
                .where(TranscriptionJobRow.id == job_id, self._due(now))
                .values(
                    state=RUNNING,
                    attempts=TranscriptionJobRow.attempts + 1,
                    lease_until=now + lease,
                    leased_by=worker_id,
                    updated_at=now,
                )
                .execution_options(synchronize_session=False)
            )
            if getattr(claimed, "rowcount", 0) != 1:  # another worker was quicker (SQLite)
                return None
            row = await session.get(TranscriptionJobRow, job_id, populate_existing=True)
            assert row is not None
            return TranscriptionJob.of(row)

    async def _update_held(self, job: TranscriptionJob, worker_id: str, **values: Any) -> bool:
        """Change a job only while `worker_id` still holds it; False if its lease went to another worker."""
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(TranscriptionJobRow)
                .where(
                    TranscriptionJobRow.id == job.id,
                    TranscriptionJobRow.state == RUNNING,
                    TranscriptionJobRow.leased_by == worker_id,
                )
                .values(updated_at=self._now(), **values)
                .execution_options(synchronize_session=False)
            )
            return getattr(result, "rowcount", 0) == 1

    async def renew(self, job: TranscriptionJob, worker_id: str, lease: timedelta) -> bool:
        return await self._update_held(job, worker_id, lease_until=self._now() + lease)

    async def save_result(
        self, job: TranscriptionJob, worker_id: str, transcript: dict[str, Any], draft: dict[str, Any]
    ) -> bool:
        """Keep the transcript and draft before handing them on: a retry then only hands them on again."""
        return await self._update_held(job, worker_id, transcript=transcript, draft=draft)

    async def finish(self, job: TranscriptionJob, worker_id: str, workorder_number: str) -> bool:
        return await self._update_held(
            job, worker_id, state=DONE, workorder_number=workorder_number, lease_until=None, last_error=None
        )

    async def fail(self, job: TranscriptionJob, worker_id: str, error: str) -> bool:
        """Back to the queue after the backoff, or `failed` once the attempts are used up."""
        gave_up = job.attempts >= self.retry.max_attempts
        return await self._update_held(
            job,
            worker_id,
            state=FAILED if gave_up else QUEUED,
            next_attempt_at=self._now() + self.retry.delay(job.attempts),
            lease_until=None,
            leased_by=None,
            last_error=error[:2000],
        )

    async def get(self, call_id: str) -> TranscriptionJob | None:
        async with self._sessions() as session:
            row = (
                await session.execute(select(TranscriptionJobRow).where(TranscriptionJobRow.call_id == call_id))
            ).scalar_one_or_none()
        return TranscriptionJob.of(row) if row is not None else None

    async def counts(self) -> dict[str, int]:
        """Jobs per state (for /healthz)."""
        async with self._sessions() as session:
            rows = (
                await session.execute(
                    select(TranscriptionJobRow.state, func.count()).group_by(TranscriptionJobRow.state)
                )
            ).all()
        found = {str(state): int(n) for state, n in rows}
        return {state: found.get(state, 0) for state in (QUEUED, RUNNING, DONE, FAILED)}


class DraftSink(Protocol):
    """Where a finished job goes: the draft work order of the call (ticketing); returns its number."""

    async def deliver(self, call_id: str, transcript: dict[str, Any], draft: dict[str, Any]) -> str: ...


Drafter = Callable[[list[dict[str, str]]], dict[str, Any]]


def default_drafter(turns: list[dict[str, str]]) -> dict[str, Any]:
    """The shipped rules (`asr.data.default_extractor`): the draft as the eval set's fields."""
    from asr.data import default_extractor

    return default_extractor().draft(turns_from_json({"turns": turns})).to_dict()


@dataclass
class TranscriptionWorker:
    """Claims due jobs and runs them to a draft work order; several may share one database."""

    queue: TranscriptionQueue
    transcriber: Transcriber
    sink: DraftSink
    drafter: Drafter = default_drafter
    lease: timedelta = timedelta(minutes=10)
    poll_interval: float = 5.0
    worker_id: str = field(default_factory=lambda: f"asr-{uuid.uuid4().hex[:12]}")

    async def run_once(self) -> TranscriptionJob | None:
        """Claim and run one due job; None when nothing is due. Never raises for a failing job."""
        job = await self.queue.claim(self.worker_id, self.lease)
        if job is None:
            return None
        heartbeat = asyncio.create_task(self._keep_lease(job), name=f"asr-lease-{job.call_id}")
        try:
            number = await self._run(job)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # any failure is retried later; the recordings stay as they are
            log.warning("call %s: transcription attempt %d failed: %s", job.call_id, job.attempts, exc)
            await self.queue.fail(job, self.worker_id, f"{type(exc).__name__}: {exc}")
        else:
            if not await self.queue.finish(job, self.worker_id, number):
                log.warning("call %s: lease lost before the job was marked done", job.call_id)
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
        return await self.queue.get(job.call_id)

    async def _run(self, job: TranscriptionJob) -> str:
        transcript, draft = job.transcript, job.draft
        if transcript is None or draft is None:
            merged = await self.transcribe(job)
            transcript = merged.to_json()
            draft = await asyncio.to_thread(self.drafter, merged.to_turns())
            await self.queue.save_result(job, self.worker_id, transcript, draft)
        return await self.sink.deliver(job.call_id, transcript, draft)

    async def transcribe(self, job: TranscriptionJob) -> Transcript:
        """Each party's track apart, merged into one speaker-labelled transcript in time order."""
        chosen = tracks_to_transcribe(job.tracks)
        if not chosen:
            raise ValueError(f"call {job.call_id} has no recording to transcribe")
        parts: list[Transcript] = []
        for track in chosen:
            speaker = speaker_of(track)
            heard = await self.transcriber.transcribe(AudioSource(Path(track.path), speaker=speaker))
            parts.append(heard.by(speaker))
        return merge_tracks(parts, source=job.call_id)

    async def _keep_lease(self, job: TranscriptionJob) -> None:
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            if not await self.queue.renew(job, self.worker_id, self.lease):
                return

    async def run(self) -> None:
        """Work until cancelled: run due jobs; when none is due, wait for an enqueue or the next poll."""
        while True:
            try:
                job = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database is away: try again at the next poll
                log.exception("transcription worker: claiming failed")
                job = None
            if job is not None:
                continue
            self.queue.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.queue.wake.wait(), self.poll_interval)
