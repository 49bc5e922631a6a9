"""REST operations of the fake Asterisk, one function per ARI operation (`resource.nickname`)."""

from __future__ import annotations

import platform
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import dialing
from .fake import HANGUP_REASONS, Application
from .media import run_playback, run_recording
from .model import AriError, Channel, LiveRecording, Playback, ari_timestamp

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


def _nothing() -> Reply:
    return Reply(204)


# --------------------------------------------------------------------------- channels
@op("channels.list")
async def channels_list(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    return Reply(200, [c.to_json() for c in fake.channels.values() if c.alive])


@op("channels.get")
async def channels_get(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    return Reply(200, fake.get_channel(path["channelId"]).to_json())


@op("channels.originate")
async def channels_originate(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    channel = dialing.originate(fake, p, p.get("channelId"))
    return Reply(200, channel.to_json())


@op("channels.originateWithId")
async def channels_originate_with_id(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    channel = dialing.originate(fake, p, path["channelId"])
    return Reply(200, channel.to_json())


@op("channels.create")
async def channels_create(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    channel = dialing.originate(fake, p, p.get("channelId"), create_only=True)
    return Reply(200, channel.to_json())


@op("channels.dial")
async def channels_dial(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    channel = fake.get_channel(path["channelId"])
    dialing.dial_created(fake, channel, p.get("timeout"))
    return _nothing()


@op("channels.hangup")
async def channels_hangup(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    channel = fake.get_channel(path["channelId"])
    cause = 16
    if "reason_code" in p:
        try:
            cause = int(p["reason_code"])
        except ValueError:
            raise AriError(400, "Invalid reason for hangup provided") from None
    elif "reason" in p:
        cause = HANGUP_REASONS[p["reason"]]

    async def after() -> None:
        await fake.app_hangup(channel, cause)

    return Reply(204, after=after)


@op("channels.answer")
async def channels_answer(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    channel = fake.stasis_channel(path["channelId"])
    await fake.channel_sync(channel, lambda: fake.answer(channel))
    return _nothing()


def _async_command(fake: FakeAsterisk, channel: Channel, action: Callable[[], None]) -> None:
    assert channel.queue is not None

    async def job() -> None:
        if channel.alive:
            action()
            fake.poke(channel)

    channel.queue.submit(job)


@op("channels.ring")
async def channels_ring(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    channel = fake.stasis_channel(path["channelId"])
    _async_command(fake, channel, lambda: setattr(channel, "ringing", True))
    return _nothing()


@op("channels.ringStop")
async def channels_ring_stop(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    channel = fake.stasis_channel(path["channelId"])
    _async_command(fake, channel, lambda: setattr(channel, "ringing", False))
    return _nothing()


@op("channels.progress")
async def channels_progress(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    fake.stasis_channel(path["channelId"])
    return _nothing()


@op("channels.hold")
async def channels_hold(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    channel = fake.stasis_channel(path["channelId"])
    _async_command(fake, channel, lambda: setattr(channel, "on_hold", True))
    return _nothing()


@op("channels.unhold")
async def channels_unhold(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    channel = fake.stasis_channel(path["channelId"])
    _async_command(fake, channel, lambda: setattr(channel, "on_hold", False))
    return _nothing()


@op("channels.startMoh")
async def channels_start_moh(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    channel = fake.stasis_channel(path["channelId"])
    _async_command(fake, channel, lambda: setattr(channel, "moh_class", p.get("mohClass", "default")))
    return _nothing()


@op("channels.stopMoh")
async def channels_stop_moh(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    channel = fake.stasis_channel(path["channelId"])
    _async_command(fake, channel, lambda: setattr(channel, "moh_class", None))
    return _nothing()


@op("channels.startSilence")
async def channels_start_silence(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    channel = fake.stasis_channel(path["channelId"])
    _async_command(fake, channel, lambda: setattr(channel, "silenced", True))
    return _nothing()


@op("channels.stopSilence")
async def channels_stop_silence(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    channel = fake.stasis_channel(path["channelId"])
    _async_command(fake, channel, lambda: setattr(channel, "silenced", False))
    return _nothing()


@op("channels.mute")
async def channels_mute(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    channel = fake.stasis_channel(path["channelId"])
    channel.muted = p.get("direction", "both")
    return _nothing()


@op("channels.unmute")
async def channels_unmute(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    channel = fake.stasis_channel(path["channelId"])
    channel.muted = None
    return _nothing()


@op("channels.sendDTMF")
async def channels_send_dtmf(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    channel = fake.get_channel(path["channelId"])
    if not p.get("dtmf"):
        raise AriError(400, "DTMF is required")
    if channel.app is None:
        raise AriError(409, "Channel not in Stasis application")
    dialing.send_dtmf(
        fake,
        channel,
        str(p["dtmf"]),
        int(p.get("before", 0)),
        int(p.get("between", 100)),
        int(p.get("duration", 100)),
        int(p.get("after", 0)),
    )
    return _nothing()


@op("channels.continueInDialplan")
async def channels_continue(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    channel = fake.stasis_channel(path["channelId"])

    def go() -> None:
        from .model import Dialplan

        here = channel.dialplan
        if "context" in p or "extension" in p or "label" in p:
            target = Dialplan(
                str(p.get("context", here.context)),
                str(p.get("extension", here.exten)),
                int(p.get("priority", 1)),
            )
        else:
            target = Dialplan(here.context, here.exten, here.priority + 1)
        channel.left_to = target
        fake.exit_stasis(channel)
        channel.dialplan = target
        fake.poke(channel)

    _async_command(fake, channel, go)  # asynchronous in Asterisk: runs after a running playback
    return _nothing()


@op("channels.redirect")
async def channels_redirect(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    channel = fake.stasis_channel(path["channelId"])
    endpoint = str(p["endpoint"])
    if "/" not in endpoint:
        raise AriError(400, "Endpoint parameter not provided")
    if endpoint.split("/", 1)[0] != channel.tech:
        raise AriError(422, "Endpoint is not the same type as the channel")

    def go() -> None:
        channel.redirected_to = endpoint
        fake.exit_stasis(channel)
        fake._forget_channel(channel)

    _async_command(fake, channel, go)
    return _nothing()


@op("channels.move")
async def channels_move(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    channel = fake.stasis_channel(path["channelId"])
    app = str(p["app"])
    args = [a for a in str(p.get("appArgs", "")).split(",") if a]

    def go() -> None:
        target = fake.apps.get(app)
        if target is None or not target.active:
            fake.channel_event("ApplicationMoveFailed", channel, destination=app, args=args)
            return
        fake.channel_event("StasisEnd", channel)
        if not channel.created_by_ari:
            channel.subscribed.discard(channel.app or "")
        fake.enter_stasis(channel, app, args, varset=False)

    _async_command(fake, channel, go)
    return _nothing()


def _start_playback(
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


async def _channel_play(
    fake: FakeAsterisk, channel_id: str, p: dict[str, Any], playback_id: str | None
) -> Reply:
    channel = fake.get_channel(channel_id)
    if not p.get("media"):
        raise AriError(500, "Failed to queue media for playback")
    if channel.app is None:
        raise AriError(409, "Channel not in Stasis application")
    pb = _start_playback(fake, f"channel:{channel.id}", p, playback_id)
    assert channel.queue is not None
    channel.queue.submit(lambda: run_playback(fake, pb))
    return Reply(201, pb.to_json())


@op("channels.play")
async def channels_play(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    return await _channel_play(fake, path["channelId"], p, p.get("playbackId"))


@op("channels.playWithId")
async def channels_play_with_id(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    return await _channel_play(fake, path["channelId"], p, path["playbackId"])


def _new_recording(fake: FakeAsterisk, target_uri: str, p: dict[str, Any]) -> LiveRecording:
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


@op("channels.record")
async def channels_record(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    channel = fake.get_channel(path["channelId"])
    if channel.app is None:
        raise AriError(409, "Channel is not in a Stasis application")
    if channel.bridge is not None:
        raise AriError(409, "Channel is currently bridged with other channels")
    rec = _new_recording(fake, f"channel:{channel.id}", p)
    assert channel.queue is not None
    channel.queue.submit(lambda: run_recording(fake, rec))
    return Reply(201, rec.to_json())


@op("channels.getChannelVar")
async def channels_get_var(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    channel = fake.get_channel(path["channelId"])
    name = p.get("variable")
    if not name:
        raise AriError(400, "Variable name is required")
    if channel.app is None:
        raise AriError(409, "Channel not in Stasis application")
    value = await fake.channel_sync(channel, lambda: _read_var(channel, str(name)))
    if value is None:
        raise AriError(404, "Provided variable was not found")
    return Reply(200, {"value": value})


def _read_var(channel: Channel, name: str) -> str | None:
    functions = {
        "CALLERID(num)": channel.caller[1],
        "CALLERID(name)": channel.caller[0],
        "CHANNEL(name)": channel.name,
        "UNIQUEID": channel.id,
        "CHANNEL(language)": channel.language,
    }
    if name in functions:
        return functions[name]
    return channel.variables.get(name)


@op("channels.setChannelVar")
async def channels_set_var(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    channel = fake.get_channel(path["channelId"])
    name = p.get("variable")
    if not name:
        raise AriError(400, "Variable name is required")
    if channel.app is None:
        raise AriError(409, "Channel not in Stasis application")
    value = str(p.get("value", ""))

    def set_it() -> None:
        if "(" in str(name):
            fake.write_function(channel, str(name), value)
            return
        channel.variables[str(name)] = value
        fake.varset(channel, str(name), value)

    await fake.channel_sync(channel, set_it)
    return _nothing()


@op("channels.getChannelVars")
async def channels_get_vars(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    channel = fake.stasis_channel(path["channelId"])
    out: dict[str, str] = {}
    for name in p["variables"]:
        value = _read_var(channel, name)
        if value is None:
            raise AriError(404, "Provided variable was not found")
        out[name] = value
    return Reply(200, out)


@op("channels.setChannelVars")
async def channels_set_vars(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    channel = fake.stasis_channel(path["channelId"])

    def set_them() -> None:
        for name, value in dict(p["variables"]).items():
            channel.variables[name] = value
            fake.varset(channel, name, value)

    await fake.channel_sync(channel, set_them)
    return _nothing()


@op("channels.snoopChannel")
async def channels_snoop(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    target = fake.get_channel(path["channelId"])
    return Reply(200, dialing.snoop(fake, target, p, p.get("snoopId")).to_json())


@op("channels.snoopChannelWithId")
async def channels_snoop_with_id(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    target = fake.get_channel(path["channelId"])
    return Reply(200, dialing.snoop(fake, target, p, path["snoopId"]).to_json())


@op("channels.externalMedia")
async def channels_external_media(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    channel = dialing.external_media(fake, p)
    return Reply(200, channel.to_json(with_vars=True))


@op("channels.rtpstatistics")
async def channels_rtp_statistics(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    channel = fake.channels.get(path["channelId"])
    stream = fake.rtp_streams.get(path["channelId"])
    if channel is None or stream is None:
        raise AriError(404, "Channel cannot be found.")
    return Reply(
        200,
        {
            "txcount": stream.sent,
            "rxcount": stream.received,
            "txploss": 0,
            "rxploss": 0,
            "local_ssrc": stream.ssrc,
            "remote_ssrc": 0,
            "txoctetcount": stream.sent * 652,
            "rxoctetcount": 0,
            "channel_uniqueid": channel.id,
        },
    )


# --------------------------------------------------------------------------- bridges
@op("bridges.list")
async def bridges_list(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    return Reply(200, [b.to_json() for b in fake.bridges.values()])


@op("bridges.create")
async def bridges_create(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    bridge = fake.new_bridge(p.get("bridgeId"), str(p.get("type", "mixing")), str(p.get("name", "")))
    return Reply(200, bridge.to_json())


@op("bridges.createWithId")
async def bridges_create_with_id(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    bridge = fake.new_bridge(path["bridgeId"], str(p.get("type", "mixing")), str(p.get("name", "")))
    return Reply(200, bridge.to_json())


@op("bridges.get")
async def bridges_get(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    return Reply(200, fake.get_bridge(path["bridgeId"]).to_json())


@op("bridges.destroy")
async def bridges_destroy(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    bridge = fake.get_bridge(path["bridgeId"])

    async def after() -> None:
        if bridge.alive:
            fake.destroy_bridge(bridge)

    return Reply(204, after=after)


@op("bridges.addChannel")
async def bridges_add_channel(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    bridge = fake.get_bridge(path["bridgeId"])
    if not p.get("channel"):
        raise AriError(400, "Missing parameter channel")
    channels = []
    for cid in p["channel"]:
        channel = fake.get_channel(cid, missing_status=400)
        if channel.app is None:
            raise AriError(422, "Channel not in Stasis application")
        channels.append(channel)
    for channel in channels:

        def join(c: Channel = channel) -> None:
            if bridge.alive:
                fake.join_bridge(c, bridge)

        try:
            await fake.channel_sync(channel, join)
        except AriError:
            raise AriError(400, "Channel not found") from None
    if bridge.alive:
        fake.update_connected_lines(bridge)
    return _nothing()


@op("bridges.removeChannel")
async def bridges_remove_channel(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    bridge = fake.get_bridge(path["bridgeId"])
    if not p.get("channel"):
        raise AriError(400, "Missing parameter channel")
    channels = [fake.get_channel(cid, missing_status=400) for cid in p["channel"]]
    for channel in channels:
        if channel.bridge is not bridge:
            raise AriError(422, "Channel not in this bridge")
    for channel in channels:
        fake.leave_bridge(channel, bridge, moved=False)
    return _nothing()


@op("bridges.startMoh")
async def bridges_start_moh(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    bridge = fake.get_bridge(path["bridgeId"])
    bridge.moh_class = str(p.get("mohClass", "default"))
    fake.poke(*bridge.channels)
    return _nothing()


@op("bridges.stopMoh")
async def bridges_stop_moh(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    bridge = fake.get_bridge(path["bridgeId"])
    bridge.moh_class = None
    fake.poke(*bridge.channels)
    return _nothing()


async def _bridge_play(
    fake: FakeAsterisk, bridge_id: str, p: dict[str, Any], playback_id: str | None
) -> Reply:
    bridge = fake.get_bridge(bridge_id)
    pb = _start_playback(fake, f"bridge:{bridge.id}", p, playback_id)
    if not bridge.announcer_id:
        fake.ids.unique()  # Announcer/ARI-…;1
        bridge.announcer_id = fake.ids.unique()  # Announcer/ARI-…;2, the one inside the bridge
    assert bridge.queue is not None
    bridge.queue.submit(lambda: run_playback(fake, pb))
    return Reply(201, pb.to_json())


@op("bridges.play")
async def bridges_play(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    return await _bridge_play(fake, path["bridgeId"], p, p.get("playbackId"))


@op("bridges.playWithId")
async def bridges_play_with_id(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    return await _bridge_play(fake, path["bridgeId"], p, path["playbackId"])


@op("bridges.record")
async def bridges_record(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    bridge = fake.get_bridge(path["bridgeId"])
    rec = _new_recording(fake, f"bridge:{bridge.id}", p)
    fake.spawn(run_recording(fake, rec), f"record {rec.name}")
    return Reply(201, rec.to_json())


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
    return _nothing()


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
    return _nothing()


@op("recordings.unpause")
async def recordings_unpause(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    rec = _live(fake, path["recordingName"])
    if rec.state not in ("recording", "paused"):
        raise AriError(409, "Recording not in session")
    if rec.paused_since is not None:
        rec.paused.append((rec.paused_since, fake.clock.monotonic()))
        rec.paused_since = None
        rec.state = "recording"
    return _nothing()


@op("recordings.mute")
async def recordings_mute(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    rec = _live(fake, path["recordingName"])
    if rec.state not in ("recording", "paused"):
        raise AriError(409, "Recording not in session")
    if rec.muted_since is None:
        rec.muted_since = fake.clock.monotonic()
    return _nothing()


@op("recordings.unmute")
async def recordings_unmute(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    rec = _live(fake, path["recordingName"])
    if rec.state not in ("recording", "paused"):
        raise AriError(409, "Recording not in session")
    if rec.muted_since is not None:
        rec.muted.append((rec.muted_since, fake.clock.monotonic()))
        rec.muted_since = None
    return _nothing()


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
    return _nothing()


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


# --------------------------------------------------------------------------- applications
def _app_json(fake: FakeAsterisk, app: Application) -> dict[str, Any]:
    channel_ids = sorted(
        {c.id for c in fake.channels.values() if c.alive and app.name in c.subscribed} | app.channel_ids
    )
    bridge_ids = sorted({b.id for b in fake.bridges.values() if app.name in b.apps} | app.bridge_ids)
    return {
        "name": app.name,
        "channel_ids": channel_ids,
        "bridge_ids": bridge_ids,
        "endpoint_ids": sorted(app.endpoint_ids),
        "device_names": sorted(app.device_names),
        "events_allowed": [],
        "events_disallowed": [],
    }


def _app(fake: FakeAsterisk, name: str) -> Application:
    app = fake.apps.get(name)
    if app is None:
        raise AriError(404, "Application does not exist.")
    return app


@op("applications.list")
async def applications_list(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    return Reply(200, [_app_json(fake, a) for a in fake.apps.values()])


@op("applications.get")
async def applications_get(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    return Reply(200, _app_json(fake, _app(fake, path["applicationName"])))


def _event_sources(fake: FakeAsterisk, app: Application, sources: list[str], add: bool) -> None:
    for source in sources:
        scheme, _, ident = source.partition(":")
        if scheme == "channel":
            if ident not in fake.channels:
                raise AriError(422, "Event source does not exist.")
            channel = fake.channels[ident]
            (channel.subscribed.add if add else channel.subscribed.discard)(app.name)
        elif scheme == "bridge":
            if ident not in fake.bridges:
                raise AriError(422, "Event source does not exist.")
            bridge = fake.bridges[ident]
            (bridge.apps.add if add else bridge.apps.discard)(app.name)
        elif scheme == "endpoint":
            (app.endpoint_ids.add if add else app.endpoint_ids.discard)(ident)
        elif scheme == "deviceState":
            (app.device_names.add if add else app.device_names.discard)(ident)
        else:
            raise AriError(400, "Invalid event source URI scheme.")


@op("applications.subscribe")
async def applications_subscribe(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    app = _app(fake, path["applicationName"])
    _event_sources(fake, app, p["eventSource"], add=True)
    return Reply(200, _app_json(fake, app))


@op("applications.unsubscribe")
async def applications_unsubscribe(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    app = _app(fake, path["applicationName"])
    _event_sources(fake, app, p["eventSource"], add=False)
    return Reply(200, _app_json(fake, app))


@op("applications.filter")
async def applications_filter(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    return Reply(200, _app_json(fake, _app(fake, path["applicationName"])))


# --------------------------------------------------------------------------- asterisk
@op("asterisk.getInfo")
async def asterisk_info(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    info = {
        "build": {
            "os": "Linux",
            "kernel": platform.release(),
            "options": "",
            "machine": platform.machine(),
            "date": "2026-11-30 00:00:00 UTC",
            "user": "fake",
        },
        "system": {"version": "22.10.1", "entity_id": fake.asterisk_id},
        "config": {
            "name": "",
            "default_language": "en",
            "setid": {"user": "", "group": ""},
        },
        "status": {"startup_time": fake.started_at, "last_reload_time": fake.started_at},
    }
    only = p.get("only")
    if only:
        info = {k: v for k, v in info.items() if k in only}
    fake.validator.validate("AsteriskInfo", info, "AsteriskInfo")
    return Reply(200, info)


@op("asterisk.ping")
async def asterisk_ping(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    return Reply(200, {"asterisk_id": fake.asterisk_id, "ping": "pong", "timestamp": ari_timestamp()})


@op("asterisk.getGlobalVar")
async def asterisk_get_global(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    return Reply(200, {"value": fake.global_vars.get(str(p["variable"]), "")})


@op("asterisk.setGlobalVar")
async def asterisk_set_global(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    fake.global_vars[str(p["variable"])] = str(p.get("value", ""))
    return _nothing()


# --------------------------------------------------------------------------- endpoints, sounds, device states
def _endpoint_json(fake: FakeAsterisk, resource: str) -> dict[str, Any]:
    tech, name = resource.split("/", 1)
    return {
        "technology": tech,
        "resource": name,
        "state": "offline" if fake.endpoints[resource].unreachable else "online",
        "channel_ids": [c.id for c in fake.channels.values() if c.endpoint == resource],
    }


@op("endpoints.list")
async def endpoints_list(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    return Reply(200, [_endpoint_json(fake, r) for r in fake.endpoints])


@op("endpoints.listByTech")
async def endpoints_list_by_tech(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    found = [_endpoint_json(fake, r) for r in fake.endpoints if r.split("/", 1)[0] == path["tech"]]
    if not found:
        raise AriError(404, "No Endpoints found - invalid tech")
    return Reply(200, found)


@op("endpoints.get")
async def endpoints_get(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    resource = f"{path['tech']}/{path['resource']}"
    if resource not in fake.endpoints:
        raise AriError(404, "Endpoint not found")
    return Reply(200, _endpoint_json(fake, resource))


def _sound_json(sound_id: str, formats: list[str]) -> dict[str, Any]:
    return {"id": sound_id, "formats": [{"language": "en", "format": f} for f in formats]}


@op("sounds.list")
async def sounds_list(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    return Reply(200, [_sound_json(k, v) for k, v in fake.known_sounds().items()])


@op("sounds.get")
async def sounds_get(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    formats = fake.known_sounds().get(path["soundId"])
    if formats is None:
        raise AriError(404, "Sound not found")
    return Reply(200, _sound_json(path["soundId"], formats))


@op("deviceStates.list")
async def device_states_list(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    return Reply(200, [{"name": n, "state": s} for n, s in fake.device_states.items()])


@op("deviceStates.get")
async def device_states_get(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    name = path["deviceName"]
    return Reply(200, {"name": name, "state": fake.device_states.get(name, "UNKNOWN")})


@op("deviceStates.update")
async def device_states_update(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    name = path["deviceName"]
    if not name.startswith("Stasis:"):
        raise AriError(409, "Uncontrolled device specified")
    fake.device_states[name] = str(p["deviceState"])
    for app in fake.apps.values():
        if name in app.device_names:
            fake.emit("DeviceStateChanged", app.name, device_state={"name": name, "state": p["deviceState"]})
    return _nothing()


@op("deviceStates.delete")
async def device_states_delete(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    name = path["deviceName"]
    if not name.startswith("Stasis:"):
        raise AriError(409, "Uncontrolled device specified")
    if fake.device_states.pop(name, None) is None:
        raise AriError(404, "Device name is missing")
    return _nothing()
