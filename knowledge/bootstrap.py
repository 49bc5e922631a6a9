"""Builds the knowledge services over a database with the production ports (used by web.py and cli.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hotline.settings import Settings
from knowledge import search
from knowledge.services import DirectoryUnits, ExpertService, KnowledgeService, utcnow
from ticketing.adapters.calendar_store import CalendarStore
from ticketing.domain.calendar import OfficeHours
from ticketing.services import Directory, StoredCalendar


def build(
    sessions: async_sessionmaker[AsyncSession],
    dialect: str,
    settings: Settings,
    now: Callable[[], datetime] = utcnow,
) -> tuple[KnowledgeService, ExpertService]:
    """The knowledge base on the dialect's full-text index, and the expert directory on the stored calendar."""
    tz = ZoneInfo(settings.timezone)
    units = DirectoryUnits(Directory(sessions).unit)
    knowledge = KnowledgeService(sessions, units, search.index_for(dialect), now, tz)
    hours = OfficeHours.parse(settings.office_hours, settings.timezone)
    experts = ExpertService(sessions, units, StoredCalendar(CalendarStore(sessions), hours), now, tz)
    return knowledge, experts
