"""SQLAlchemy models of the calendar tables: local overrides and imported year schedules.

They belong to the ticketing migration chain (ticketing/migrations). Times are written as aware UTC;
SQLite gives them back naive, so readers attach UTC (see calendar_store).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base


class CalendarOverrideRow(Base):
    """A local decision for one day (本地调整): a working day or a day off, winning over everything."""

    __tablename__ = "calendar_overrides"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    working: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(200), default="")
    updated_by: Mapped[str | None] = mapped_column(String(60))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CalendarYearRow(Base):
    """An imported year schedule (国务院办公厅节假日安排): once imported, the year is known."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(300), default="")
    imported_by: Mapped[str | None] = mapped_column(String(60))
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CalendarYearDayRow(Base):
    """One listed day of an imported year: `kind` is "holiday" (放假) or "workday" (调休上班)."""

    __tablename__ = "calendar_year_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    year: Mapped[int] = mapped_column(
        Integer, ForeignKey("calendar_years.year", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(String(200), default="")
