"""A protocol-faithful fake Asterisk (ARI REST + events WebSocket) for tests. See README.md."""

from .dialplan import BusyExten, DialplanExten, StasisExten
from .fake import FakeAsterisk
from .model import AriError
from .parties import (
    Call,
    Endpoint,
    HangUp,
    Press,
    Speak,
    Wait,
    WaitForPlayback,
    WaitUntilAnswered,
    WaitUntilBridged,
    WaitUntilHungUp,
)
from .records import Violation
from .spec import AriSpec, EventModelError, EventValidator, load_spec

__all__ = [
    "AriError",
    "AriSpec",
    "BusyExten",
    "Call",
    "DialplanExten",
    "Endpoint",
    "EventModelError",
    "EventValidator",
    "FakeAsterisk",
    "HangUp",
    "Press",
    "Speak",
    "StasisExten",
    "Violation",
    "Wait",
    "WaitForPlayback",
    "WaitUntilAnswered",
    "WaitUntilBridged",
    "WaitUntilHungUp",
    "load_spec",
]
