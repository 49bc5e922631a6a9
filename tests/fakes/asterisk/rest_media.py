"""REST operations on playbacks and recordings (live and stored)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from .model import AriError, LiveRecording, Playback
from .rest import Reply, nothing, op

if TYPE_CHECKING:
    from .fake import FakeAsterisk


# --------------------------------------------------------------------------- playbacks
def _playback(fake: FakeAsterisk, playback_id: str) -> Playback:
    pb = fake.playbacks.get(playback_id)
    if pb is None:
        raise AriError(404, "Playback not found")
    return pb


@op("playbacks.get")
async def playbacks_get(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    return Reply(200, _playback(fake, path["playbackId"]).to_json())


@op("playbacks.stop")
async def playbacks_stop(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    pb = _playback(fake, path["playbackId"])

    async def after() -> None:
        if pb.state == "queued" and pb.id in fake.playbacks:
            # Stopped before it started: it is dropped, it finishes when its turn comes.
            pb.stopped_by = "stop"
            pb.state = "done"
        else:
            pb.stopped_by = "stop"
            pb.stop.set()

    return Reply(204, after=after)


@op("playbacks.control")
async def playbacks_control(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    pb = _playback(fake, path["playbackId"])
    if pb.state != "playing":
        raise AriError(409, "Playback not playing")
    pb.control_op = str(p["operation"])
    pb.control.set()
    return nothing()


# --------------------------------------------------------------------------- recordings
def _live(fake: FakeAsterisk, name: str) -> LiveRecording:
    rec = fake.live_recordings.get(name)
    if rec is None:
        raise AriError(404, "Recording not found")
    return rec


@op("recordings.getLive")
async def recordings_get_live(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    return Reply(200, _live(fake, path["recordingName"]).to_json())


def _end_recording(fake: FakeAsterisk, rec: LiveRecording, why: str) -> Reply:
    async def after() -> None:
        rec.ended_by = rec.ended_by or why
        rec.end.set()
        if rec.state == "queued":
            from .media import finalize_recording

            finalize_recording(fake, rec)

    return Reply(204, after=after)


@op("recordings.stop")
async def recordings_stop(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    return _end_recording(fake, _live(fake, path["recordingName"]), "stop")


@op("recordings.cancel")
async def recordings_cancel(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    return _end_recording(fake, _live(fake, path["recordingName"]), "cancel")


@op("recordings.pause")
async def recordings_pause(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    rec = _live(fake, path["recordingName"])
    if rec.state not in ("recording", "paused"):
        raise AriError(409, "Recording not in session")
    if rec.paused_since is None:
        rec.paused_since = fake.clock.monotonic()
        rec.state = "paused"
    return nothing()


@op("recordings.unpause")
async def recordings_unpause(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    rec = _live(fake, path["recordingName"])
    if rec.state not in ("recording", "paused"):
        raise AriError(409, "Recording not in session")
    if rec.paused_since is not None:
        rec.paused.append((rec.paused_since, fake.clock.monotonic()))
        rec.paused_since = None
        rec.state = "recording"
    return nothing()


@op("recordings.mute")
async def recordings_mute(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    rec = _live(fake, path["recordingName"])
    if rec.state not in ("recording", "paused"):
        raise AriError(409, "Recording not in session")
    if rec.muted_since is None:
        rec.muted_since = fake.clock.monotonic()
    return nothing()


@op("recordings.unmute")
async def recordings_unmute(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    rec = _live(fake, path["recordingName"])
    if rec.state not in ("recording", "paused"):
        raise AriError(409, "Recording not in session")
    if rec.muted_since is not None:
        rec.muted.append((rec.muted_since, fake.clock.monotonic()))
        rec.muted_since = None
    return nothing()


def _stored(fake: FakeAsterisk, name: str) -> Path:
    path = fake.stored_recordings.get(name)
    if path is None:
        raise AriError(404, "Recording not found")
    return path


@op("recordings.listStored")
async def recordings_list_stored(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    return Reply(200, [{"name": name, "format": "wav"} for name in fake.stored_recordings])


@op("recordings.getStored")
async def recordings_get_stored(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    _stored(fake, path["recordingName"])
    return Reply(200, {"name": path["recordingName"], "format": "wav"})


@op("recordings.deleteStored")
async def recordings_delete_stored(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    _stored(fake, path["recordingName"]).unlink()
    return nothing()


@op("recordings.getStoredFile")
async def recordings_get_stored_file(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    data = _stored(fake, path["recordingName"]).read_bytes()
    return Reply(200, content_type="audio/wav", raw=data)


@op("recordings.copyStored")
async def recordings_copy_stored(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    source = _stored(fake, path["recordingName"])
    destination = str(p["destinationRecordingName"])
    if destination in fake.stored_recordings:
        raise AriError(409, "A recording with the same name already exists on the system")
    target = fake.recordings_dir / f"{destination}.wav"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(source.read_bytes())
    return Reply(200, {"name": destination, "format": "wav"})
