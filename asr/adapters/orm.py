"""The transcription-job table (转写任务): one row per call, queued when its recordings are registered.

Times are stored as UTC: SQLite keeps no zone, so values go in as naive UTC and come back aware.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect, Integer, String, Text, TypeDecorator
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base


class _Utc(TypeDecorator[datetime]):
    """An aware datetime kept as UTC (naive values are refused: they are a bug)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime refused: {value!r}")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class TranscriptionJobRow(Base):
    """One call to transcribe: its tracks, where the job stands, and what it produced."""

    __tablename__ = "transcription_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[str] = mapped_column(String(100), unique=True)
    tracks: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    """[{"name", "kind" (mix | caller | agent), "path"}]: the registered recordings, read only."""
    state: Mapped[str] = mapped_column(String(20), index=True)  # queued | running | done | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(_Utc, index=True)
    lease_until: Mapped[datetime | None] = mapped_column(_Utc)
    leased_by: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)
    transcript: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    draft: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    workorder_number: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(_Utc)
    updated_at: Mapped[datetime] = mapped_column(_Utc)
