"""The fake's dialplan (where Local channels go) and Asterisk's hangup causes."""

from __future__ import annotations

from dataclasses import dataclass

CAUSES = {
    0: "Unknown",
    1: "Unallocated (unassigned) number",
    16: "Normal Clearing",
    17: "User busy",
    19: "User alerting, no answer",
    20: "Subscriber absent",
    21: "Call Rejected",
    26: "Answered elsewhere",
    28: "Invalid number format (incomplete number)",
    31: "Normal, unspecified",
    34: "Circuit/channel congestion",
    38: "Network out of order",
    58: "Bearer capability not available",
    127: "Interworking, unspecified",
}

HANGUP_REASONS = {
    "normal": 16,
    "busy": 17,
    "congestion": 34,
    "no_answer": 19,
    "timeout": 19,
    "rejected": 21,
    "unallocated": 1,
    "normal_unspecified": 31,
    "number_incomplete": 28,
    "codec_mismatch": 58,
    "interworking": 127,
    "failure": 38,
    "answered_elsewhere": 26,
}


@dataclass(frozen=True)
class StasisExten:
    """A dialplan extension that runs `Stasis(app,args...)`."""

    app: str
    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class DialplanExten:
    """A dialplan extension that answers and stays in a dialplan application (`Wait(3600)`, `Echo`...)."""

    app_name: str = "Wait"
    app_data: str = "3600"


@dataclass(frozen=True)
class BusyExten:
    """A dialplan extension that refuses the call without answering: `Busy()` or `Congestion()`.

    As Asterisk 22 does for an originated Local channel (real-tier phone survey): ;2 goes to state Busy,
    ;1 gets `Dial BUSY` (or `CONGESTION`) and is destroyed with cause 0 `Unknown`; only ;2 carries the
    cause (17 `User busy`, 34 `Circuit/channel congestion`).
    """

    app_name: str = "Busy"
    dialstatus: str = "BUSY"
    cause: int = 17


DEFAULT_DIALPLAN: dict[tuple[str, str], StasisExten | DialplanExten | BusyExten] = {
    ("hotline-local", "stasis"): StasisExten("hotline", ("local",)),
    ("hotline-local", "wait"): DialplanExten("Wait", "3600"),
    ("hotline-local", "echo"): DialplanExten("Echo", ""),
    ("hotline-local", "tone"): DialplanExten("Playtones", "440"),
}
