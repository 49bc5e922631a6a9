"""Rows ↔ domain objects, and the few queries the services need (SQLAlchemy, async)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.adapters.orm import EntryHitRow, EntryRow, EntryVersionRow, ExpertRow
from knowledge.domain.entry import Entry
from knowledge.domain.expert import Expert


def to_entry(row: EntryRow) -> Entry:
    return Entry(
        id=row.id,
        title=row.title,
        question=row.question,
        answer=row.answer,
        unit_id=row.unit_id,
        unit_name=row.unit_name,
        key_points=tuple(row.key_points or ()),
        situations=tuple(row.situations or ()),
        policy_source=row.policy_source,
        effective_from=row.effective_from,
        expires_on=row.expires_on,
        tags=tuple(row.tags or ()),
        version=row.version,
    )


def fill_entry_row(row: EntryRow, entry: Entry) -> None:
    row.unit_id = entry.unit_id
    row.unit_name = entry.unit_name
    row.title = entry.title
    row.question = entry.question
    row.answer = entry.answer
    row.key_points = list(entry.key_points)
    row.situations = list(entry.situations)
    row.policy_source = entry.policy_source
    row.effective_from = entry.effective_from
    row.expires_on = entry.expires_on
    row.tags = list(entry.tags)
    row.version = entry.version


def to_expert(row: ExpertRow) -> Expert:
    return Expert(
        id=row.id,
        name=row.name,
        contact=row.contact,
        topics=tuple(row.topics or ()),
        unit_id=row.unit_id,
        unit_name=row.unit_name,
        duty=tuple(row.duty or ()),
        backup_id=row.backup_id,
        note=row.note,
        active=row.active,
    )


def fill_expert_row(row: ExpertRow, expert: Expert) -> None:
    row.name = expert.name
    row.contact = expert.contact
    row.topics = list(expert.topics)
    row.unit_id = expert.unit_id
    row.unit_name = expert.unit_name
    row.duty = list(expert.duty)
    row.backup_id = expert.backup_id
    row.note = expert.note
    row.active = expert.active


async def entries_by_id(session: AsyncSession, ids: Sequence[int]) -> dict[int, EntryRow]:
    if not ids:
        return {}
    rows = await session.scalars(select(EntryRow).where(EntryRow.id.in_(ids)))
    return {row.id: row for row in rows}


async def entry_count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count(EntryRow.id))) or 0)


async def versions_of(session: AsyncSession, entry_id: int) -> list[EntryVersionRow]:
    rows = await session.scalars(
        select(EntryVersionRow).where(EntryVersionRow.entry_id == entry_id).order_by(EntryVersionRow.version)
    )
    return list(rows)


async def hit_count(session: AsyncSession, entry_id: int, since: datetime | None = None) -> int:
    query = select(func.count(EntryHitRow.id)).where(EntryHitRow.entry_id == entry_id)
    if since is not None:
        query = query.where(EntryHitRow.at >= since)
    return int(await session.scalar(query) or 0)


async def most_hit(
    session: AsyncSession, unit_id: int, since: datetime, limit: int
) -> list[tuple[EntryRow, int]]:
    """The unit's entries by hits since `since`, most first (高频问题)."""
    hits = func.count(EntryHitRow.id).label("hits")
    query = (
        select(EntryRow, hits)
        .join(EntryHitRow, EntryHitRow.entry_id == EntryRow.id)
        .where(EntryRow.unit_id == unit_id, EntryHitRow.at >= since)
        .group_by(EntryRow.id)
        .order_by(hits.desc(), EntryRow.id)
        .limit(limit)
    )
    return [(row, int(n)) for row, n in (await session.execute(query)).all()]


async def hidden_of_unit(session: AsyncSession, unit_id: int, today: date, horizon: date) -> list[EntryRow]:
    """The unit's entries not in force today, or expiring by `horizon` (待更新)."""
    rows = await session.scalars(
        select(EntryRow)
        .where(
            EntryRow.unit_id == unit_id,
            (EntryRow.expires_on <= horizon) | (EntryRow.effective_from > today),
        )
        .order_by(EntryRow.expires_on, EntryRow.id)
    )
    return list(rows)


async def entries_of_unit(
    session: AsyncSession, unit_id: int | None, limit: int, offset: int
) -> list[EntryRow]:
    query = select(EntryRow).order_by(EntryRow.id.desc()).limit(limit).offset(offset)
    if unit_id is not None:
        query = query.where(EntryRow.unit_id == unit_id)
    return list(await session.scalars(query))


async def entry_by_title(session: AsyncSession, unit_id: int, title: str) -> EntryRow | None:
    return await session.scalar(select(EntryRow).where(EntryRow.unit_id == unit_id, EntryRow.title == title))


async def all_experts(session: AsyncSession, include_inactive: bool = False) -> list[ExpertRow]:
    query = select(ExpertRow).order_by(ExpertRow.id)
    if not include_inactive:
        query = query.where(ExpertRow.active.is_(True))
    return list(await session.scalars(query))
