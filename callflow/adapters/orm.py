"""Tables of callflow: call records (通话记录) and voice messages (留言)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base


class CallRecordRow(Base):
    """One call that reached the Stasis app: menu path, destination and how it ended."""

    __tablename__ = "callflow_call_records"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(64), index=True)
    caller_number: Mapped[str] = mapped_column(String(64), default="")
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    menu_path: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    destination: Mapped[str | None] = mapped_column(String(64), nullable=True)
    service: Mapped[str | None] = mapped_column(String(64), nullable=True)
    disposition: Mapped[str | None] = mapped_column(String(32), nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class VoiceMessageRow(Base):
    """A voice message left outside office hours, waiting for a callback work order (status `new`)."""

    __tablename__ = "callflow_voice_messages"
    __table_args__ = (Index("ix_callflow_voice_messages_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("callflow_call_records.id"), index=True)
    caller_number: Mapped[str] = mapped_column(String(64), default="")
    recording_name: Mapped[str] = mapped_column(String(128))
    recording_format: Mapped[str] = mapped_column(String(16), default="wav")
    file_path: Mapped[str | None] = mapped_column(String(512), nullable=True)
    duration_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(24), default="new")
