"""Ports of the call flow and the small services built on them.

`CallRecordStore` persists call records and voice messages (SQLAlchemy adapter in
`callflow.adapters.store`; `MemoryCallRecordStore` here serves benches and unit tests).
`SeatHandoff` hands a caller to the dedicated seat (专席); until the seat queue exists
(issue 4) `DialplanSeatHandoff` continues in the dialplan where a real Asterisk `Queue()` waits.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Protocol

from callflow.ari.client import AriClient
from callflow.domain.call import CallRecord, VoiceMessage

log = logging.getLogger(__name__)


class CallRecordStore(Protocol):
    async def save(self, record: CallRecord) -> None:
        """Insert or update the record."""
        ...

    async def add_voice_message(self, message: VoiceMessage, file_path: str | None) -> None: ...

    async def find_open(self, channel_id: str) -> CallRecord | None:
        """The record of a call on `channel_id` that has not ended (a restarted controller takes it up)."""
        ...


@dataclass
class MemoryCallRecordStore:
    """Keeps records in memory (bench, unit tests)."""

    records: dict[str, CallRecord] = field(default_factory=dict)
    voice_messages: list[tuple[VoiceMessage, str | None]] = field(default_factory=list)

    async def save(self, record: CallRecord) -> None:
        self.records[record.id] = record

    async def add_voice_message(self, message: VoiceMessage, file_path: str | None) -> None:
        self.voice_messages.append((message, file_path))

    async def find_open(self, channel_id: str) -> CallRecord | None:
        for record in self.records.values():
            if record.channel_id == channel_id and not record.closed:
                return record
        return None


@dataclass(frozen=True)
class SeatRequest:
    """What the seat needs to know about a caller handed over by the menu."""

    channel_id: str
    call_id: str
    caller_number: str
    destination: str
    service: str | None
    path_text: str


class SeatHandoff(Protocol):
    """Hands a caller to the dedicated seat (专席). Issue 4 replaces the dialplan version by an ARI queue."""

    async def enqueue(self, call: SeatRequest, destination: str) -> None: ...


@dataclass
class DialplanSeatHandoff:
    """Continue in the dialplan at `context`/`extension` (a real Asterisk `Queue()` for the seat).

    Sets HOTLINE_CALL_ID on the channel first (the navigation session has already set HOTLINE_SERVICE,
    HOTLINE_DESTINATION and HOTLINE_MENU_PATH), so the dialplan queue knows the call and its service.
    """

    client: AriClient
    context: str = "hotline-seat"
    extension: str = "s"
    priority: int = 1

    async def enqueue(self, call: SeatRequest, destination: str) -> None:
        await self.client.set_variable(call.channel_id, "HOTLINE_CALL_ID", call.call_id)
        await self.client.continue_in_dialplan(call.channel_id, self.context, self.extension, self.priority)
