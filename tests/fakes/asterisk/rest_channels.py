"""REST operations on channels: originate, answer, play, record, dtmf, variables, snoop, externalMedia…"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import dialing
from .dialplan import HANGUP_REASONS
from .media import run_playback, run_recording
from .model import AriError, Channel
from .rest import Reply, new_recording, nothing, op, start_playback

if TYPE_CHECKING:
    from .fake import FakeAsterisk


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
    return nothing()


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
    return nothing()


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
    return nothing()


@op("channels.ringStop")
async def channels_ring_stop(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    channel = fake.stasis_channel(path["channelId"])
    _async_command(fake, channel, lambda: setattr(channel, "ringing", False))
    return nothing()


@op("channels.progress")
async def channels_progress(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    fake.stasis_channel(path["channelId"])
    return nothing()


@op("channels.hold")
async def channels_hold(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    channel = fake.stasis_channel(path["channelId"])
    _async_command(fake, channel, lambda: setattr(channel, "on_hold", True))
    return nothing()


@op("channels.unhold")
async def channels_unhold(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    channel = fake.stasis_channel(path["channelId"])
    _async_command(fake, channel, lambda: setattr(channel, "on_hold", False))
    return nothing()


@op("channels.startMoh")
async def channels_start_moh(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    channel = fake.stasis_channel(path["channelId"])
    _async_command(fake, channel, lambda: setattr(channel, "moh_class", p.get("mohClass", "default")))
    return nothing()


@op("channels.stopMoh")
async def channels_stop_moh(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    channel = fake.stasis_channel(path["channelId"])
    _async_command(fake, channel, lambda: setattr(channel, "moh_class", None))
    return nothing()


@op("channels.startSilence")
async def channels_start_silence(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    channel = fake.stasis_channel(path["channelId"])
    _async_command(fake, channel, lambda: setattr(channel, "silenced", True))
    return nothing()


@op("channels.stopSilence")
async def channels_stop_silence(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    channel = fake.stasis_channel(path["channelId"])
    _async_command(fake, channel, lambda: setattr(channel, "silenced", False))
    return nothing()


@op("channels.mute")
async def channels_mute(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    channel = fake.stasis_channel(path["channelId"])
    channel.muted = p.get("direction", "both")
    return nothing()


@op("channels.unmute")
async def channels_unmute(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    channel = fake.stasis_channel(path["channelId"])
    channel.muted = None
    return nothing()


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
    return nothing()


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
    return nothing()


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
    return nothing()


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
    return nothing()


async def _channel_play(
    fake: FakeAsterisk, channel_id: str, p: dict[str, Any], playback_id: str | None
) -> Reply:
    channel = fake.get_channel(channel_id)
    if not p.get("media"):
        raise AriError(500, "Failed to queue media for playback")
    if channel.app is None:
        raise AriError(409, "Channel not in Stasis application")
    pb = start_playback(fake, f"channel:{channel.id}", p, playback_id)
    assert channel.queue is not None
    channel.queue.submit(lambda: run_playback(fake, pb))
    return Reply(201, pb.to_json())


@op("channels.play")
async def channels_play(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    return await _channel_play(fake, path["channelId"], p, p.get("playbackId"))


@op("channels.playWithId")
async def channels_play_with_id(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    return await _channel_play(fake, path["channelId"], p, path["playbackId"])


@op("channels.record")
async def channels_record(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    channel = fake.get_channel(path["channelId"])
    if channel.app is None:
        raise AriError(409, "Channel is not in a Stasis application")
    if channel.bridge is not None:
        raise AriError(409, "Channel is currently bridged with other channels")
    rec = new_recording(fake, f"channel:{channel.id}", p)
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
    return nothing()


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
    return nothing()


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
