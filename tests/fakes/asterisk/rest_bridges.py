"""REST operations on bridges: create, add and remove channels, MOH, play, record, destroy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .media import run_playback, run_recording
from .model import AriError, Channel
from .rest import Reply, new_recording, nothing, op, start_playback

if TYPE_CHECKING:
    from .fake import FakeAsterisk


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
    return nothing()


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
    return nothing()


@op("bridges.startMoh")
async def bridges_start_moh(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    bridge = fake.get_bridge(path["bridgeId"])
    bridge.moh_class = str(p.get("mohClass", "default"))
    fake.poke(*bridge.channels)
    return nothing()


@op("bridges.stopMoh")
async def bridges_stop_moh(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    bridge = fake.get_bridge(path["bridgeId"])
    bridge.moh_class = None
    fake.poke(*bridge.channels)
    return nothing()


async def _bridge_play(
    fake: FakeAsterisk, bridge_id: str, p: dict[str, Any], playback_id: str | None
) -> Reply:
    bridge = fake.get_bridge(bridge_id)
    pb = start_playback(fake, f"bridge:{bridge.id}", p, playback_id)
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
    rec = new_recording(fake, f"bridge:{bridge.id}", p)
    fake.spawn(run_recording(fake, rec), f"record {rec.name}")
    return Reply(201, rec.to_json())
