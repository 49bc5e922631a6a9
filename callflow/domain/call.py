"""A call record (通话记录): who called, the path through the voice menu, where the call went, how it ended.

Pure: no I/O. The navigation session fills it in; a store persists it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Disposition = Literal[
    "routed-to-seat",  # handed to the dedicated seat (专席) queue
    "transferred",  # continued in the dialplan at a configured destination
    "ended-by-menu",  # the menu itself hung up (a "hangup" destination)
    "voice-message",  # closed hours: the caller left a voice message (留言)
    "abandoned-in-menu",  # the caller hung up before reaching a destination
    "fallback-to-agent",  # our handler failed; the caller was sent to an agent anyway
    "fallback-to-dialplan",  # even the agent hand-off failed; the caller went back to the dialplan
]
DISPOSITIONS: tuple[str, ...] = Disposition.__args__  # type: ignore[attr-defined]


class CallRecordError(Exception):
    error_id = "call-record-invalid"


@dataclass(frozen=True)
class PathEntry:
    """One step of the menu path: the node, the key pressed (None for timeout), and what it meant."""

    node: str
    key: str | None
    outcome: str

    def as_json(self) -> dict[str, str | None]:
        return {"node": self.node, "key": self.key, "outcome": self.outcome}


@dataclass
class CallRecord:
    id: str
    channel_id: str
    caller_number: str
    started_at: datetime
    path: list[PathEntry] = field(default_factory=list)
    destination: str | None = None
    service: str | None = None
    disposition: Disposition | None = None
    ended_at: datetime | None = None

    @property
    def closed(self) -> bool:
        return self.ended_at is not None

    def routed(self, destination: str, service: str | None, disposition: Disposition) -> None:
        """The call reached a destination (the record stays open until the channel leaves us)."""
        if self.closed:
            raise CallRecordError(f"call {self.id} is already closed")
        self.destination = destination
        self.service = service
        self.disposition = disposition

    def close(self, at: datetime, default: Disposition = "abandoned-in-menu") -> None:
        """End the record; without a disposition so far the caller abandoned the menu."""
        if self.closed:
            return
        if self.disposition is None:
            self.disposition = default
        self.ended_at = at

    def path_text(self) -> str:
        """Readable path, e.g. `main:1 → business:3`, with timeouts and invalid keys shown."""
        parts = []
        for step in self.path:
            key = step.key if step.key is not None else "∅"
            parts.append(f"{step.node}:{key}({step.outcome})")
        return " → ".join(parts)


@dataclass(frozen=True)
class VoiceMessage:
    """A voice message left outside office hours (非工作时间留言); becomes a callback work order later."""

    call_id: str
    caller_number: str
    recording_name: str
    recording_format: str
    duration_s: float | None
    received_at: datetime
    status: Literal["new", "callback-created", "done"] = "new"
