"""The agent console's table: each work order an agent made from a call, with what the draft suggested
and what the agent chose (坐席采纳记录), so the draft extractor's suggestions can be measured."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base, UtcDateTime


class AgentDecisionRow(Base):
    """One 当场办结 or 登记派单 from the agent console. `suggested` / `chosen` are JSON objects of the form
    fields (class, service, complexity, title, enterprise, contact, location, unit); `changed_fields`
    lists, comma-separated, the fields where the agent departed from the suggestion."""

    __tablename__ = "console_agent_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    call_id: Mapped[str | None] = mapped_column(String(100), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(20))  # answered | dispatched
    suggested: Mapped[str] = mapped_column(Text)
    chosen: Mapped[str] = mapped_column(Text)
    changed_fields: Mapped[str] = mapped_column(String(300))
    kb_entry_id: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
