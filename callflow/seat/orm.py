"""Tables of the dedicated seat: members, agent state changes, the seat part of call records, callbacks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base


class SeatMemberRow(Base):
    """An agent of the dedicated seat (专席成员), with the endpoint it last logged in with."""

    __tablename__ = "callflow_seat_members"

    agent_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(128), default="")
    endpoint: Mapped[str | None] = mapped_column(String(128), nullable=True)
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AgentStateChangeRow(Base):
    """One timestamped change of an agent's state (append-only)."""

    __tablename__ = "callflow_agent_state_changes"
    __table_args__ = (Index("ix_callflow_agent_state_changes_agent_at", "agent_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    agent_id: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(128), nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SeatCallRow(Base):
    """The seat part of a call record: queued, answered, ended, wait, talk, agents, legs, disposition."""

    __tablename__ = "callflow_seat_calls"

    call_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    """The call record's id (no foreign key: the menu writes its record in the background)."""
    caller_number: Mapped[str] = mapped_column(String(64), default="")
    destination: Mapped[str] = mapped_column(String(64), default="")
    queued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    wait_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    talk_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    agent_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    agents: Mapped[list[str]] = mapped_column(JSON, default=list)
    rung: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    legs: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    disposition: Mapped[str] = mapped_column(String(16), default="waiting", index=True)
    overflow_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    ended_by: Mapped[str | None] = mapped_column(String(16), nullable=True)


class CallbackRequestRow(Base):
    """A callback request (回拨请求) confirmed by keypad; `work_order` once ticketing made one."""

    __tablename__ = "callflow_callback_requests"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(String(36), index=True)
    caller_number: Mapped[str] = mapped_column(String(64), default="")
    callback_number: Mapped[str] = mapped_column(String(64))
    service: Mapped[str | None] = mapped_column(String(64), nullable=True)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), default="new", index=True)
    work_order: Mapped[str | None] = mapped_column(String(32), nullable=True)
