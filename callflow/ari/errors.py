"""Typed ARI errors. A channel that is gone is a normal event of telephony, not a crash: `ChannelGone`."""

from __future__ import annotations


class AriError(Exception):
    """An ARI request failed with an HTTP status (0 when Asterisk could not be reached)."""

    error_id = "ari-error"

    def __init__(self, status: int, message: str, method: str = "", path: str = "") -> None:
        super().__init__(f"{method} {path}: {status} {message}" if method else message)
        self.status = status
        self.message = message
        self.method = method
        self.path = path


class AriUnavailable(AriError):
    """Asterisk did not answer (connection refused, reset, or timed out)."""

    error_id = "ari-unavailable"


class NotFound(AriError):
    """The object named in the request does not exist (any more)."""

    error_id = "ari-not-found"


class ChannelGone(NotFound):
    """The channel hung up: 404 `Channel not found` (400 for bridge add/remove of a gone channel)."""

    error_id = "ari-channel-gone"


class PlaybackGone(NotFound):
    """The playback already finished (Asterisk forgets finished playbacks at once)."""

    error_id = "ari-playback-gone"


class BridgeGone(NotFound):
    error_id = "ari-bridge-gone"


class RecordingGone(NotFound):
    error_id = "ari-recording-gone"


class NotInStasis(AriError):
    """409/422 `Channel not in Stasis application`: the channel left our app (e.g. went back to dialplan)."""

    error_id = "ari-not-in-stasis"


def error_for(status: int, message: str, method: str, path: str) -> AriError:
    """Map Asterisk's status and message to the most precise error class."""
    kinds: dict[str, type[AriError]] = {
        "Channel not found": ChannelGone,
        "Playback not found": PlaybackGone,
        "Bridge not found": BridgeGone,
        "Recording not found": RecordingGone,
    }
    if message in kinds and status in (400, 404):
        return kinds[message](status, message, method, path)
    if message == "Channel not in Stasis application" or status in (409, 422) and "Stasis" in message:
        return NotInStasis(status, message, method, path)
    if status == 404:
        return NotFound(status, message, method, path)
    return AriError(status, message, method, path)
