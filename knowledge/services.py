"""The knowledge base and expert directory services (async; ports injected in the constructor).

`KnowledgeService`: entries with versions, Chinese full-text search, suggestions from a live transcript,
hit counts and the high-frequency and to-update lists per unit. `ExpertService`: the expert directory and
`pick(topic, at)`, the ordered candidates the three-way call (callflow) tries in turn.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from knowledge import search
from knowledge.adapters import repository as repo
from knowledge.adapters.orm import EntryHitRow, EntryRow, EntryVersionRow, ExpertRow
from knowledge.domain import access
from knowledge.domain.entry import (
    EDITABLE_FIELDS,
    Entry,
    FieldChange,
    Revision,
    Visibility,
    diff,
    history,
    new_entry,
    revise,
    search_fields,
    snapshot,
    visibility,
)
from knowledge.domain.errors import EntryNotFound, ExpertNotFound, InvalidField, StaleVersion
from knowledge.domain.expert import Expert, ExpertPick, WorkingDays, expert_from_fields, on_duty, pick_experts
from ticketing.domain.calendar import CalendarError
from ticketing.domain.roles import Actor

log = logging.getLogger(__name__)

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_RESULTS = 50
DOC_FREQ_TTL_S = 300.0  # word counts only decide which query words to skip: minutes-old counts are fine


def utcnow() -> datetime:
    return datetime.now(UTC)


class UnitNames(Protocol):
    """The units port: a unit's id and name from its id or code (ticketing's directory in production)."""

    async def resolve(self, ref: int | str) -> tuple[int, str]: ...


@dataclass(frozen=True)
class Found:
    """A search result: the entry, its rank score (higher is better) and a short excerpt of the answer."""

    entry: Entry
    score: float
    excerpt: str


@dataclass(frozen=True)
class EntryDetail:
    entry: Entry
    visibility: Visibility
    revisions: list[Revision]
    hits: int


@dataclass(frozen=True)
class ImportReport:
    created: int
    updated: int
    unchanged: int


class KnowledgeService:
    """Entries (知识条目), their versions, search and hit counts."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        units: UnitNames,
        index: search.FullTextIndex,
        now: Callable[[], datetime] = utcnow,
        tz: ZoneInfo = SHANGHAI,
    ) -> None:
        self._sessions = sessions
        self._units = units
        self._index = index
        self._now = now
        self._tz = tz
        self._shares: dict[str, tuple[float, float]] = {}  # word → (when looked up, share of entries with it)
        self._total: tuple[float, int] = (-DOC_FREQ_TTL_S, 0)

    def today(self) -> date:
        return self._now().astimezone(self._tz).date()

    async def _unit_of(self, actor: Actor, fields: Mapping[str, Any]) -> tuple[int, str]:
        ref = fields.get("unit_id", fields.get("unit"))
        if ref is None:
            if actor.unit_id is None:
                raise InvalidField("unit_id", "请指定所属单位 unit_id（unit_id is required）")
            ref = actor.unit_id
        if isinstance(ref, bool) or not isinstance(ref, int | str):
            raise InvalidField("unit_id", "所属单位须为单位编号或代码（unit_id must be an id or a code）")
        return await self._units.resolve(ref)

    async def create(self, actor: Actor, fields: Mapping[str, Any]) -> Entry:
        """A new entry (version 1) pushed by a unit (or by a supervisor for a unit)."""
        unit_id, unit_name = await self._unit_of(actor, fields)
        access.check_write_entry(actor, unit_id)
        entry = new_entry(fields, unit_id, unit_name)
        await search.ready()
        async with self._sessions.begin() as session:
            return await self._insert(session, actor, entry)

    async def _insert(self, session: AsyncSession, actor: Actor, entry: Entry) -> Entry:
        at = self._now()
        row = EntryRow(created_at=at, updated_at=at)
        repo.fill_entry_row(row, entry)
        session.add(row)
        await session.flush()
        filled = [
            name
            for name, value in snapshot(entry).items()
            if value not in (None, "", []) and name in EDITABLE_FIELDS
        ]
        self._add_version(session, row.id, entry, actor, at, filled)
        await self._index.put(session, row.id, search_fields(entry))
        return replace(entry, id=row.id)

    def _add_version(
        self,
        session: AsyncSession,
        entry_id: int,
        entry: Entry,
        actor: Actor,
        at: datetime,
        fields: list[str],
    ) -> None:
        session.add(
            EntryVersionRow(
                entry_id=entry_id,
                version=entry.version,
                actor_id=actor.id,
                actor_name=actor.name,
                at=at,
                changed_fields=fields,
                snapshot=snapshot(entry),
            )
        )

    async def update(
        self, actor: Actor, entry_id: int, changes: Mapping[str, Any]
    ) -> tuple[Entry, list[FieldChange]]:
        """Revise an entry: a new version with the changed fields, or nothing if nothing changed.

        `changes["version"]`, when given, is the version the editor started from; if someone else saved
        in between, `StaleVersion` is raised instead of silently overwriting their change.
        """
        await search.ready()
        based_on = 0
        try:
            async with self._sessions.begin() as session:
                row = await session.get(EntryRow, entry_id, with_for_update=True)
                if row is None:
                    raise EntryNotFound(entry_id)
                current = repo.to_entry(row)
                based_on = current.version
                access.check_write_entry(actor, current.unit_id)
                expected = changes.get("version")
                if expected is not None and expected != current.version:
                    raise StaleVersion(entry_id, int(expected), current.version)
                updated, delta = revise(current, changes)
                if delta:
                    await self._save_revision(session, row, updated, delta, actor)
        except IntegrityError as exc:
            # Another revision of the same version committed first (SQLite has no row lock to wait on):
            # the unique (entry, version) key refuses the second one.
            async with self._sessions() as session:
                latest = await session.get(EntryRow, entry_id)
            raise StaleVersion(entry_id, based_on, latest.version if latest else based_on) from exc
        return updated, delta

    async def _save_revision(
        self, session: AsyncSession, row: EntryRow, updated: Entry, delta: list[FieldChange], actor: Actor
    ) -> None:
        at = self._now()
        repo.fill_entry_row(row, updated)
        row.updated_at = at
        self._add_version(session, row.id, updated, actor, at, [c.field for c in delta])
        await self._index.put(session, row.id, search_fields(updated))

    async def get(self, actor: Actor, entry_id: int) -> EntryDetail:
        """An entry with its history; hidden (expired, not yet effective) ones only for their unit."""
        async with self._sessions() as session:
            row = await session.get(EntryRow, entry_id)
            if row is None:
                raise EntryNotFound(entry_id)
            entry = repo.to_entry(row)
            state = visibility(entry, self.today())
            if state is not Visibility.CURRENT and not access.sees_hidden_of(actor, entry.unit_id):
                raise EntryNotFound(entry_id)
            versions = await repo.versions_of(session, entry_id)
            hits = await repo.hit_count(session, entry_id)
        revisions = history([(v.version, v.actor_id, v.actor_name, v.at, v.snapshot) for v in versions])
        return EntryDetail(entry, state, revisions, hits)

    async def entries(
        self, actor: Actor, unit_id: int | None, limit: int = 50, offset: int = 0
    ) -> list[Entry]:
        """Entries newest first; a unit's staff list their own unit's, hidden ones included."""
        if actor.role.is_unit_staff:
            unit_id = actor.unit_id
        async with self._sessions() as session:
            rows = await repo.entries_of_unit(session, unit_id, min(limit, 200), offset)
        today = self.today()
        out = [repo.to_entry(r) for r in rows]
        return [
            e
            for e in out
            if visibility(e, today) is Visibility.CURRENT or access.sees_hidden_of(actor, e.unit_id)
        ]

    async def search(self, query: str, limit: int = 10, unit_id: int | None = None) -> list[Found]:
        """Entries in force matching a typed Chinese query, best first (知识检索)."""
        await search.ready()
        return await self._find(search.query_terms(query), limit, unit_id)

    async def suggest(self, transcript: str, limit: int = 5) -> list[Found]:
        """Entries in force that match what is being said on a call (the console's 推荐知识, the draft)."""
        await search.ready()
        return await self._find(search.transcript_terms(transcript), limit, None)

    async def _find(self, terms: Sequence[str], limit: int, unit_id: int | None) -> list[Found]:
        if not terms:
            return []
        scope = search.Scope(today=self.today(), unit_id=unit_id)
        async with self._sessions() as session:
            chosen = await self._selective(session, terms)
            ranked = await self._index.search(session, terms, scope, max(1, min(limit, MAX_RESULTS)), chosen)
            rows = await repo.entries_by_id(session, [entry_id for entry_id, _ in ranked])
        found = []
        for entry_id, score in ranked:
            entry = repo.to_entry(rows[entry_id])
            found.append(Found(entry, score, search.excerpt(entry.answer, terms)))
        return found

    async def _selective(self, session: AsyncSession, terms: Sequence[str]) -> list[str]:
        """The words to rank on (see `search.selective_terms`), with entry counts cached for a few minutes."""
        clock = time.monotonic()
        if clock - self._total[0] > DOC_FREQ_TTL_S:
            self._total = (clock, await repo.entry_count(session))
        total = self._total[1]
        if total < search.COMMON_MIN_ENTRIES:
            return list(terms)
        stale = [t for t in terms if clock - self._shares.get(t, (-DOC_FREQ_TTL_S, 0.0))[0] > DOC_FREQ_TTL_S]
        if stale:
            if len(self._shares) > 50_000:
                self._shares.clear()
            shares = await self._index.word_shares(session, stale, total)
            self._shares.update({t: (clock, shares.get(t, 0.0)) for t in stale})
        return search.selective_terms(terms, {t: self._shares[t][1] for t in terms}, total)

    async def record_hit(
        self, actor: Actor, entry_id: int, query: str | None = None, call_id: str | None = None
    ) -> int:
        """Count an agent opening or using an entry; returns the entry's total hits."""
        async with self._sessions.begin() as session:
            row = await session.get(EntryRow, entry_id)
            if row is None:
                raise EntryNotFound(entry_id)
            if visibility(repo.to_entry(row), self.today()) is not Visibility.CURRENT and not (
                access.sees_hidden_of(actor, row.unit_id)
            ):
                raise EntryNotFound(entry_id)
            session.add(
                EntryHitRow(
                    entry_id=entry_id,
                    actor_id=actor.id,
                    at=self._now(),
                    query=(query or None) and query[:200],
                    call_id=(call_id or None) and call_id[:100],
                )
            )
            await session.flush()
            return await repo.hit_count(session, entry_id)

    async def frequent(self, unit_id: int, days: int = 30, limit: int = 20) -> list[tuple[Entry, int]]:
        """The unit's high-frequency questions (高频问题): its entries by hits in the last `days` days."""
        since = self._now() - timedelta(days=days)
        async with self._sessions() as session:
            rows = await repo.most_hit(session, unit_id, since, min(limit, 200))
        return [(repo.to_entry(row), hits) for row, hits in rows]

    async def to_update(
        self, actor: Actor, unit_id: int, within_days: int = 0
    ) -> list[tuple[Entry, Visibility]]:
        """The unit's entries hidden from agents today, or expiring within `within_days` (待更新清单)."""
        access.check_unit_list(actor, unit_id)
        today = self.today()
        async with self._sessions() as session:
            rows = await repo.hidden_of_unit(session, unit_id, today, today + timedelta(days=within_days))
        return [(e, visibility(e, today)) for e in map(repo.to_entry, rows)]

    async def import_entries(self, actor: Actor, items: Sequence[Mapping[str, Any]]) -> ImportReport:
        """Create or revise entries in one transaction, matched by (unit, title); unchanged ones stay as they are."""
        created = updated = unchanged = 0
        await search.ready()
        resolved = [await self._unit_of(actor, item) for item in items]
        async with self._sessions.begin() as session:
            for item, (unit_id, unit_name) in zip(items, resolved, strict=True):
                access.check_write_entry(actor, unit_id)
                fresh = new_entry(item, unit_id, unit_name)
                row = await repo.entry_by_title(session, unit_id, fresh.title)
                if row is None:
                    await self._insert(session, actor, fresh)
                    created += 1
                    continue
                current = repo.to_entry(row)
                delta = diff(current, replace(fresh, id=current.id, version=current.version))
                if not delta:
                    unchanged += 1
                    continue
                revised = replace(fresh, id=current.id, version=current.version + 1)
                await self._save_revision(session, row, revised, delta, actor)
                updated += 1
        return ImportReport(created, updated, unchanged)


# --- experts ------------------------------------------------------------------------------------------

CalendarProvider = Callable[[], Awaitable[WorkingDays]]


class _WeekdaysWhenUnknown:
    """The working-day calendar, falling back to Monday–Friday for a year it has no data for.

    Picking an expert must never fail a live call; the work-order clock refuses instead (ticketing).
    """

    def __init__(self, inner: WorkingDays) -> None:
        self._inner = inner

    def is_working_day(self, day: date) -> bool:
        try:
            return self._inner.is_working_day(day)
        except CalendarError as exc:
            log.warning("expert duty: %s; assuming Monday to Friday", exc)
            return day.weekday() < 5


class ExpertService:
    """The expert directory (专家库) and the choice of whom to call for a topic."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        units: UnitNames,
        calendar: CalendarProvider,
        now: Callable[[], datetime] = utcnow,
        tz: ZoneInfo = SHANGHAI,
    ) -> None:
        self._sessions = sessions
        self._units = units
        self._calendar = calendar
        self._now = now
        self._tz = tz

    async def _resolve_unit(self, fields: Mapping[str, Any]) -> tuple[dict[str, Any], str | None]:
        """`fields` with `unit` (an id or a code) resolved into `unit_id`, and that unit's name."""
        values = dict(fields)
        ref = values.pop("unit", None)
        if values.get("unit_id") is not None:
            ref = values["unit_id"]
        if ref is None:
            return values, None
        if isinstance(ref, bool) or not isinstance(ref, int | str):
            raise InvalidField("unit_id", "所属单位须为单位编号或代码（unit_id must be an id or a code）")
        values["unit_id"], unit_name = await self._units.resolve(ref)
        return values, unit_name

    async def add(self, actor: Actor, fields: Mapping[str, Any]) -> Expert:
        access.check_manage_experts(actor)
        values, unit_name = await self._resolve_unit(fields)
        expert = replace(expert_from_fields(values), unit_name=unit_name)
        async with self._sessions.begin() as session:
            await self._check_backup(session, expert.backup_id, None)
            at = self._now()
            row = ExpertRow(created_at=at, updated_at=at)
            repo.fill_expert_row(row, expert)
            session.add(row)
            await session.flush()
            return repo.to_expert(row)

    async def update(self, actor: Actor, expert_id: int, fields: Mapping[str, Any]) -> Expert:
        access.check_manage_experts(actor)
        values, unit_name = await self._resolve_unit(fields)
        async with self._sessions.begin() as session:
            row = await session.get(ExpertRow, expert_id, with_for_update=True)
            if row is None:
                raise ExpertNotFound(expert_id)
            expert = expert_from_fields(values, repo.to_expert(row))
            if "unit_id" in values:
                expert = replace(expert, unit_name=unit_name)
            await self._check_backup(session, expert.backup_id, expert_id)
            repo.fill_expert_row(row, expert)
            row.updated_at = self._now()
            return repo.to_expert(row)

    async def _check_backup(
        self, session: AsyncSession, backup_id: int | None, expert_id: int | None
    ) -> None:
        if backup_id is None:
            return
        backup = await session.get(ExpertRow, backup_id)
        if backup is None or not backup.active or backup_id == expert_id:
            raise InvalidField(
                "backup_id", f"备岗专家 {backup_id} 不存在或已停用（no such active backup expert）"
            )

    async def remove(self, actor: Actor, expert_id: int) -> Expert:
        """Take an expert out of the directory (停用); call records keep referring to them."""
        return await self.update(actor, expert_id, {"active": False})

    async def get(self, expert_id: int, at: datetime | None = None) -> ExpertPick:
        async with self._sessions() as session:
            row = await session.get(ExpertRow, expert_id)
        if row is None:
            raise ExpertNotFound(expert_id)
        days = _WeekdaysWhenUnknown(await self._calendar())
        expert = repo.to_expert(row)
        return ExpertPick(expert, on_duty(expert, at or self._now(), days, self._tz))

    async def directory(
        self,
        topic: str | None = None,
        on_duty_only: bool = False,
        at: datetime | None = None,
        include_inactive: bool = False,
    ) -> list[ExpertPick]:
        """Experts with their duty state now; for a topic, in the order to call them (see `pick`)."""
        at = at or self._now()
        async with self._sessions() as session:
            rows = await repo.all_experts(session, include_inactive and not topic)
        experts = [repo.to_expert(r) for r in rows]
        days = _WeekdaysWhenUnknown(await self._calendar())
        if topic:
            picks = pick_experts(experts, topic, at, days, self._tz)
        else:
            picks = [ExpertPick(e, on_duty(e, at, days, self._tz)) for e in experts]
        return [p for p in picks if p.on_duty] if on_duty_only else picks

    async def pick(self, topic: str, at: datetime | None = None) -> list[ExpertPick]:
        """On-duty experts for `topic`, each followed by their backup: the order a three-way call tries."""
        return await self.directory(topic, on_duty_only=True, at=at)


class DirectoryUnits:
    """`UnitNames` over ticketing's unit directory (承办单位)."""

    def __init__(self, lookup: Callable[[int | str], Awaitable[Any]]) -> None:
        self._lookup = lookup

    async def resolve(self, ref: int | str) -> tuple[int, str]:
        from ticketing.domain.errors import NotFound

        try:
            unit = await self._lookup(ref)
        except NotFound as exc:
            raise InvalidField("unit_id", f"单位 {ref} 不存在（no such unit）") from exc
        return int(unit.id), str(unit.name)
