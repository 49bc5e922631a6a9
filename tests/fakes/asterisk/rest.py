"""REST operations of the fake Asterisk, one function per ARI operation (`resource.nickname`)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .model import AriError, LiveRecording, Playback

if TYPE_CHECKING:
    from .fake import FakeAsterisk


@dataclass
class Reply:
    status: int
    body: Any = None
    after: Callable[[], Awaitable[None]] | None = None  # runs once the response is written
    content_type: str = "application/json"
    raw: bytes | None = None


Handler = Callable[["FakeAsterisk", dict[str, str], dict[str, Any]], Awaitable[Reply]]
HANDLERS: dict[str, Handler] = {}

# Messages real Asterisk gives when a parameter it needs is missing (errors.jsonl).
MISSING: dict[str, tuple[int, str]] = {
    "channels.play": (500, "Failed to queue media for playback"),
    "channels.playWithId": (500, "Failed to queue media for playback"),
    "bridges.play": (500, "Failed to queue media for playback"),
    "bridges.playWithId": (500, "Failed to queue media for playback"),
    "channels.originate": (400, "Endpoint must be specified"),
    "channels.originateWithId": (400, "Endpoint must be specified"),
    "channels.create": (400, "Endpoint must be specified"),
    "bridges.addChannel": (400, "Missing parameter channel"),
    "bridges.removeChannel": (400, "Missing parameter channel"),
    "channels.getChannelVar": (400, "Variable name is required"),
    "channels.setChannelVar": (400, "Variable name is required"),
    "channels.externalMedia": (400, "external_host is required for all but websocket server connections"),
    "channels.snoopChannel": (400, "Direction must be specified for at least spy or whisper"),
    "channels.snoopChannelWithId": (400, "Direction must be specified for at least spy or whisper"),
}


def op(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[name] = fn
        return fn

    return register


def nothing() -> Reply:
    return Reply(204)


def start_playback(
    fake: FakeAsterisk, target_uri: str, p: dict[str, Any], playback_id: str | None
) -> Playback:
    media = p.get("media") or []
    if not media:
        raise AriError(500, "Failed to queue media for playback")
    pb = Playback(
        id=playback_id or str(uuid.uuid4()),
        media=list(media),
        target_uri=target_uri,
        language=str(p.get("lang", "en")),
    )
    fake.playbacks[pb.id] = pb
    return pb


def new_recording(fake: FakeAsterisk, target_uri: str, p: dict[str, Any]) -> LiveRecording:
    name = str(p["name"])
    fmt = str(p["format"])
    if fmt != "wav":
        raise AriError(422, "The format specified is unknown on this system")
    if name in fake.live_recordings:
        raise AriError(
            409,
            "A recording with the same name already exists on the system and can not be overwritten "
            "because it is in progress or ifExists=fail",
        )
    path = fake.recordings_dir / f"{name}.{fmt}"
    if_exists = str(p.get("ifExists", "fail"))
    if path.exists() and if_exists == "fail":
        raise AriError(
            409,
            "A recording with the same name already exists on the system and can not be overwritten "
            "because it is in progress or ifExists=fail",
        )
    rec = LiveRecording(
        name=name,
        format=fmt,
        target_uri=target_uri,
        path=path,
        max_duration=int(p.get("maxDurationSeconds", 0)),
        max_silence=int(p.get("maxSilenceSeconds", 0)),
        if_exists=if_exists,
        beep=bool(p.get("beep", False)),
        terminate_on=str(p.get("terminateOn", "none")),
    )
    fake.live_recordings[name] = rec
    return rec


# The operations, by resource (each module registers its handlers with `op`).
from . import rest_bridges, rest_channels, rest_media, rest_system  # noqa: E402, F401
