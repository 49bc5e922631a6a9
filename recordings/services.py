"""The recordings service (录音服务): register finished recordings, audited access, purge and verify.

Ports come in through the constructor: the session factory, the disk store, the source that brings a
finished recording over (ARI or a local spool folder), and the lookup of the units handling a call's
work orders. Who may access what is decided by `recordings.domain.access.decide`; every decision,
allowed or denied, is written to `recording_access_log` before anything is served.
"""

from __future__ import annotations

import asyncio
import logging
import wave
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import BinaryIO, Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from recordings.adapters import repository
from recordings.adapters.store import RecordingStore, StoredFile, hash_open_file, read_chunks
from recordings.domain.access import AccessDecision, CallFacts, decide
from recordings.domain.errors import (
    RecordingAccessDenied,
    RecordingAlreadyRegistered,
    RecordingFileMissing,
    RecordingIntegrityFailed,
    RecordingNotFound,
    RecordingsError,
    RecordingUnreadable,
)
from recordings.domain.integrity import IntegrityCheck, check
from recordings.domain.model import AudioFormat, Recording, RecordingKind, RecordingState, audio_format
from recordings.domain.names import stored_path, validate_name
from recordings.domain.retention import RetentionPolicy, due_for_purge
from ticketing.domain.roles import SUPERVISORS, Actor

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC)


class RecordingSource(Protocol):
    """Where finished recordings come from: Asterisk over ARI, or its spool folder on this host."""

    kind: str

    async def bring(self, name: str, fmt: AudioFormat, store: RecordingStore, relative: str) -> StoredFile: ...

    async def release(self, name: str) -> None: ...


class HandlingUnits(Protocol):
    async def units_for_call(self, call_id: str) -> frozenset[int]: ...


class NoSource:
    """For commands that never register recordings (purge, verify)."""

    kind = "none"

    async def bring(self, name: str, fmt: AudioFormat, store: RecordingStore, relative: str) -> StoredFile:
        raise RecordingsError("未配置录音来源 (no recording source configured)")

    async def release(self, name: str) -> None:
        return None


@dataclass
class Download:
    """An allowed, verified download: the open file (already hashed) and its recording."""

    recording: Recording
    handle: BinaryIO

    def chunks(self) -> AsyncIterator[bytes]:
        return read_chunks(self.handle)

    def close(self) -> None:
        self.handle.close()


@dataclass
class PurgeReport:
    """What a purge removed (or, on a dry run, would remove) and what legal hold kept."""

    now: datetime
    dry_run: bool
    purged: list[Recording] = field(default_factory=list)
    held: list[Recording] = field(default_factory=list)
    files_already_gone: list[str] = field(default_factory=list)

    @property
    def bytes_freed(self) -> int:
        return sum(r.size_bytes for r in self.purged)


class RecordingService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        store: RecordingStore,
        units: HandlingUnits,
        *,
        source: RecordingSource | None = None,
        policy: RetentionPolicy | None = None,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self.store = store
        self._units = units
        self.source: RecordingSource = source or NoSource()
        self.policy = policy or RetentionPolicy()
        self._now = now

    # --- registering -----------------------------------------------------------------------------

    async def register_finished(
        self,
        name: str,
        call_id: str,
        kind: RecordingKind | str,
        fmt: str = "wav",
        *,
        agent_user_id: int | None = None,
        created_at: datetime | None = None,
    ) -> Recording:
        """Bring a finished recording into the store, hash and probe it, and keep its row.

        Registering the same name for the same call again returns the stored recording (a restarted
        controller may repeat itself); the same name for another call is `recording-exists`.
        """
        validate_name(name)
        kind = RecordingKind(kind)
        audio = audio_format(fmt)
        async with self._sessions() as session:
            existing = await repository.by_name(session, name)
        if existing is not None:
            kept = self._same_or_refuse(existing, call_id, kind)
            await self.source.release(name)  # the first time may have stopped before releasing
            return kept
        created = created_at or self._now()
        relative = stored_path(name, audio.extension, created)
        stored = await self.source.bring(name, audio, self.store, relative)
        try:
            facts = await self.store.probe(relative, audio, stored.size)
        except (wave.Error, EOFError) as exc:
            await self.store.delete(relative)
            raise RecordingUnreadable(f"录音 {name} 不是有效的 {audio.name} 文件: {exc} (unreadable audio)") from exc
        recording = Recording(
            id=None,
            name=name,
            call_id=call_id,
            kind=kind,
            format=audio.name,
            sample_rate=facts.sample_rate,
            channels=facts.channels,
            duration_s=facts.duration_s,
            size_bytes=stored.size,
            sha256=stored.sha256,
            stored_path=relative,
            created_at=created,
            retention_until=self.policy.until(kind, created),
            agent_user_id=agent_user_id,
            checked_at=created,
        )
        row = repository.to_row(recording)
        try:
            async with self._sessions.begin() as session:
                session.add(row)
                await session.flush()
                recording_id = row.id
        except IntegrityError:
            async with self._sessions() as session:
                winner = await repository.by_name(session, name)
            if winner is None:
                raise
            if winner.stored_path != relative:
                await self.store.delete(relative)
            return self._same_or_refuse(winner, call_id, kind)
        await self.source.release(name)
        log.info("recording %s stored (%s, %.1f s, %d bytes, sha256 %s)", name, kind, facts.duration_s, stored.size, stored.sha256)
        return Recording(**{**recording.__dict__, "id": recording_id})

    @staticmethod
    def _same_or_refuse(existing: Recording, call_id: str, kind: RecordingKind) -> Recording:
        if existing.call_id == call_id and existing.kind is kind:
            return existing
        raise RecordingAlreadyRegistered(
            f"录音名 {existing.name} 已属于通话 {existing.call_id} (name already used by another call)"
        )

    async def note_agent(self, call_id: str, agent_user_id: int) -> int:
        """Remember the agent who took the call on its recordings (for the access policy)."""
        async with self._sessions.begin() as session:
            return await repository.set_agent(session, call_id, agent_user_id)

    # --- audited access --------------------------------------------------------------------------

    async def facts(self, call_id: str) -> CallFacts:
        async with self._sessions() as session:
            agents = await repository.agents_of_call(session, call_id)
        return CallFacts(call_id, agents, await self._units.units_for_call(call_id))

    async def _log(
        self,
        actor: Actor,
        action: str,
        allowed: bool,
        reason: str,
        remote: str | None,
        recording: Recording | None = None,
        call_id: str | None = None,
        mark: RecordingState | None = None,
    ) -> None:
        at = self._now()
        async with self._sessions.begin() as session:
            session.add(
                repository.access_row(
                    at=at,
                    user_id=actor.id,
                    user_name=actor.name,
                    role=actor.role.value,
                    action=action,
                    recording_id=recording.id if recording else None,
                    recording_name=recording.name if recording else None,
                    call_id=recording.call_id if recording else call_id,
                    remote=(remote or "")[:100] or None,
                    allowed=allowed,
                    reason=reason[:60],
                )
            )
            if mark is not None and recording is not None and recording.id is not None:
                await repository.mark(session, recording.id, mark, at)

    async def _decide(
        self, actor: Actor, action: str, call_id: str, remote: str | None, recording: Recording | None = None
    ) -> AccessDecision:
        decision = decide(actor, await self.facts(call_id))
        if not decision.allowed:
            await self._log(actor, action, False, decision.reason, remote, recording, call_id)
            raise RecordingAccessDenied(decision.reason, decision.message)
        return decision

    async def _get(self, recording_id: int) -> Recording:
        async with self._sessions() as session:
            found = await repository.by_id(session, recording_id)
        if found is None:
            raise RecordingNotFound(f"录音 {recording_id} 不存在 (no such recording)")
        return self.policy.applied(found)

    async def list_for_call(self, actor: Actor, call_id: str, remote: str | None = None) -> list[Recording]:
        """Recordings of one call, for someone allowed to hear that call."""
        decision = await self._decide(actor, "list", call_id, remote)
        async with self._sessions() as session:
            found = await repository.of_call(session, call_id)
        await self._log(actor, "list", True, decision.reason, remote, call_id=call_id)
        return [self.policy.applied(r) for r in found]

    async def metadata(self, actor: Actor, recording_id: int, remote: str | None = None) -> Recording:
        recording = await self._get(recording_id)
        decision = await self._decide(actor, "view", recording.call_id, remote, recording)
        await self._log(actor, "view", True, decision.reason, remote, recording)
        return recording

    async def open_for_download(self, actor: Actor, recording_id: int, remote: str | None = None) -> Download:
        """Check the role, log the access, re-hash the file: a mismatch marks it corrupt and is refused.

        The hash is taken on the very handle that is then served, so the bytes sent are the bytes checked
        (a file swapped on disk afterwards does not change what this handle reads).
        """
        recording = await self._get(recording_id)
        decision = await self._decide(actor, "download", recording.call_id, remote, recording)
        try:
            handle = await self.store.open(recording.stored_path)
        except RecordingFileMissing:
            await self._log(
                actor, "download", False, RecordingFileMissing.error_id, remote, recording, mark=RecordingState.MISSING
            )
            log.error("recording %s (%s) is missing from disk", recording.id, recording.stored_path)
            raise
        try:
            size, sha = await asyncio.to_thread(hash_open_file, handle)
        except BaseException:
            handle.close()
            raise
        result = check(recording, sha, size)
        if not result.ok:
            handle.close()
            await self._log(
                actor, "download", False, RecordingIntegrityFailed.error_id, remote, recording, mark=RecordingState.CORRUPT
            )
            log.error("recording integrity failed: %s", result.describe())
            raise RecordingIntegrityFailed(
                f"录音 {recording.name} 的哈希与入库时不符，已标记为损坏并拒绝提供 (hash mismatch: marked corrupt, not served)"
            )
        await self._log(
            actor,
            "download",
            True,
            decision.reason,
            remote,
            recording,
            mark=RecordingState.STORED if recording.state is not RecordingState.STORED else None,
        )
        return Download(recording.marked(RecordingState.STORED, self._now()), handle)

    async def set_legal_hold(
        self, actor: Actor, recording_id: int, hold: bool, reason: str | None = None, remote: str | None = None
    ) -> Recording:
        """Put a recording under legal hold (never purged) or release it; supervisors and admins only."""
        recording = await self._get(recording_id)
        action = "hold" if hold else "release"
        if actor.role not in SUPERVISORS:
            await self._log(actor, action, False, "role-not-allowed", remote, recording)
            raise RecordingAccessDenied("role-not-allowed", "只有督查员和管理员可以设置录音保全 (supervisors and admins only)")
        if hold and not (reason or "").strip():
            raise RecordingsError("设置保全须说明原因 (a legal hold needs a reason)")
        async with self._sessions.begin() as session:
            await repository.set_hold(session, recording_id, hold, (reason or "").strip()[:300] or None)
        await self._log(actor, action, True, "supervisor" if actor.role.value == "supervisor" else "admin", remote, recording)
        return await self._get(recording_id)

    # --- retention and integrity ---------------------------------------------------------------

    async def purge(self, now: datetime | None = None, *, dry_run: bool = False) -> PurgeReport:
        """Delete files and rows past retention, except under legal hold; each purge is logged."""
        at = now or self._now()
        report = PurgeReport(at, dry_run)
        async with self._sessions() as session:
            candidates = await repository.created_before(session, at - self.policy.shortest)
        for stored in candidates:
            recording = self.policy.applied(stored)
            if recording.retention_until > at:
                if recording is not stored and not dry_run:
                    async with self._sessions.begin() as session:
                        assert recording.id is not None
                        await repository.set_retention(session, recording.id, recording.retention_until)
                continue
            if not due_for_purge(recording, at):
                report.held.append(recording)
                continue
            report.purged.append(recording)
            if dry_run:
                continue
            assert recording.id is not None
            deleted = await self.store.delete(recording.stored_path)
            if not deleted:
                report.files_already_gone.append(recording.name)
            async with self._sessions.begin() as session:
                session.add(repository.purge_row(recording, at, deleted))
                await repository.remove(session, recording.id)
            log.info("recording %s purged (retention until %s)", recording.name, recording.retention_until)
        return report

    async def counts(self) -> dict[str, int]:
        """How many recordings are stored, corrupt or missing (for /healthz)."""
        async with self._sessions() as session:
            found = await repository.count_by_state(session)
        return {state.value: found.get(state.value, 0) for state in RecordingState}

    async def verify_all(self) -> list[IntegrityCheck]:
        """Re-hash every stored recording; mark each stored, corrupt or missing as found."""
        async with self._sessions() as session:
            ids = await repository.all_ids(session)
        results: list[IntegrityCheck] = []
        for recording_id in ids:
            async with self._sessions() as session:
                recording = await repository.by_id(session, recording_id)
            if recording is None:  # purged meanwhile
                continue
            found = await self.store.hash(recording.stored_path)
            result = check(recording, found[1], found[0]) if found else check(recording, None, None)
            results.append(result)
            async with self._sessions.begin() as session:
                await repository.mark(session, recording_id, result.state, self._now())
            if not result.ok:
                log.error("recording integrity: %s", result.describe())
        return results
