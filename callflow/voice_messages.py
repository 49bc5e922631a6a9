"""Voice messages left after hours become callback work orders (留言 → 回拨工单).

The menu stores each message with status `new` (callflow_voice_messages). The pickup hands every new
message to a `CallbackDrafts` port — the composition root connects it to ticketing's service — and
marks it `drafted` with the work-order number. A message whose drafting fails stays `new` and is tried
again on the next round; drafting is idempotent per call, so a crash between the two steps makes no
second work order.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callflow.adapters.orm import VoiceMessageRow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PendingVoiceMessage:
    """What a callback work order needs to know about one voice message."""

    id: int
    call_id: str
    caller_number: str
    recording_name: str
    duration_s: float | None
    received_at: datetime


def _utc(at: datetime) -> datetime:
    """SQLite hands back the stored UTC time without its zone; PostgreSQL keeps it."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


class CallbackDrafts(Protocol):
    async def draft_for_voice_message(self, message: PendingVoiceMessage) -> str:
        """Create (once) the callback work order of `message`; returns its number."""
        ...


class VoiceMessagePickup:
    """Turns new voice messages into callback drafts, now and then and whenever woken."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        drafts: CallbackDrafts,
        *,
        interval_s: float = 30.0,
        batch: int = 50,
    ) -> None:
        self.sessions = sessions
        self.drafts = drafts
        self.interval_s = interval_s
        self.batch = batch
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run_once(self) -> int:
        """Draft every new message (up to `batch`); returns how many were drafted."""
        async with self.sessions() as session:
            rows = (
                await session.execute(
                    select(VoiceMessageRow)
                    .where(VoiceMessageRow.status == "new")
                    .order_by(VoiceMessageRow.id)
                    .limit(self.batch)
                )
            ).scalars().all()
            pending = [
                PendingVoiceMessage(
                    r.id, r.call_id, r.caller_number, r.recording_name, r.duration_s, _utc(r.received_at)
                )
                for r in rows
            ]
        drafted = 0
        for message in pending:
            try:
                number = await self.drafts.draft_for_voice_message(message)
            except Exception:
                log.exception("voice message %s: callback draft failed; will retry", message.id)
                continue
            async with self.sessions.begin() as session:
                row = await session.get(VoiceMessageRow, message.id)
                if row is not None:
                    row.status = "drafted"  # the work order carries the call id back to this message
            drafted += 1
            log.info("voice message %s of %s → callback work order %s", message.id, message.caller_number, number)
        return drafted

    async def run(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:  # database down: keep the messages, try again later
                log.exception("voice message pickup failed; retrying in %.0f s", self.interval_s)
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), self.interval_s)
            except TimeoutError:
                pass
