"""Tables of recordings: the recordings themselves, who accessed them, and what purging removed.

Times are stored as UTC (`UtcDateTime` refuses naive datetimes; SQLite keeps naive UTC text). The access
and purge logs carry the recording's id and name as plain columns, not foreign keys, so they outlive
the recordings they describe (a purge must not erase who listened).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base, UtcDateTime


class RecordingRow(Base):
    """One stored recording (通话录音) with its hash, duration and retention date."""

    __tablename__ = "recordings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    call_id: Mapped[str] = mapped_column(String(100), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # mix | caller | agent | voice_message
    format: Mapped[str] = mapped_column(String(10))
    sample_rate: Mapped[int | None] = mapped_column(Integer)
    channels: Mapped[int | None] = mapped_column(Integer)
    duration_s: Mapped[float] = mapped_column(Float)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    stored_path: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    retention_until: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    state: Mapped[str] = mapped_column(String(20), default="stored")  # stored | corrupt | missing
    checked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    legal_hold_reason: Mapped[str | None] = mapped_column(String(300))
    agent_user_id: Mapped[int | None] = mapped_column(Integer, index=True)


class RecordingAccessRow(Base):
    """One attempt to see or hear a recording (调听记录): who, when, which, from where, and the verdict."""

    __tablename__ = "recording_access_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    user_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(20))  # list | view | download | hold | release
    recording_id: Mapped[int | None] = mapped_column(Integer, index=True)
    recording_name: Mapped[str | None] = mapped_column(String(128))
    call_id: Mapped[str | None] = mapped_column(String(100))
    remote: Mapped[str | None] = mapped_column(String(100))
    allowed: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(String(60))


class RecordingPurgeRow(Base):
    """A recording removed when its retention ended (录音清理记录); kept after the recording is gone."""

    __tablename__ = "recording_purge_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    recording_id: Mapped[int] = mapped_column(Integer)
    recording_name: Mapped[str] = mapped_column(String(128))
    call_id: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    retention_until: Mapped[datetime] = mapped_column(UtcDateTime)
    file_deleted: Mapped[bool] = mapped_column(Boolean)  # False: the file was already gone
