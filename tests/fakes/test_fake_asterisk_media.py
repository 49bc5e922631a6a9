"""Media in the fake Asterisk: bridge recordings mix both parties, µ-law RTP, tones, playback control,
channels created then dialled, and the fixture failing a test that breaks the protocol."""

from __future__ import annotations

import asyncio
import math
import os
import struct
import subprocess
import sys
import wave
from pathlib import Path

import pytest

from tests.fakes.asterisk import FakeAsterisk, Speak, Wait, WaitUntilBridged, WaitUntilHungUp
from tests.fakes.asterisk.audio import VoiceSegment
from tests.fakes.asterisk.client import RawAri
from tests.fakes.asterisk.media import RtpImpairment

ROOT = Path(__file__).resolve().parents[2]


def _tone(path: Path, seconds: float, freq: float) -> Path:
    rate = 8000
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(
            b"".join(
                struct.pack("<h", int(8000 * math.sin(2 * math.pi * freq * i / rate)))
                for i in range(int(seconds * rate))
            )
        )
    return path


class _Sink(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.packets: list[bytes] = []
        self.enough = 10**9
        self.got_enough = asyncio.Event()

    def expect(self, count: int) -> None:
        self.enough = count
        if len(self.packets) >= count:
            self.got_enough.set()

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.packets.append(data)
        if len(self.packets) >= self.enough:
            self.got_enough.set()


def _overlaps(start: float, segment: VoiceSegment) -> bool:
    return start < segment.end and start + 0.02 > segment.start


@pytest.mark.fake_asterisk(time_factor=0.1)  # the gap between the two voices is checked
async def test_a_bridge_recording_mixes_caller_and_agent(fake_asterisk: FakeAsterisk, tmp_path: Path) -> None:
    caller_voice = _tone(tmp_path / "caller.wav", 1.0, 440)
    agent_voice = _tone(tmp_path / "agent.wav", 1.0, 880)
    agent_line = fake_asterisk.add_endpoint(
        "PJSIP/agent1",
        answer_after=0.2,
        script=[WaitUntilBridged(), Wait(3.0), Speak(agent_voice), WaitUntilHungUp()],
    )
    async with RawAri(fake_asterisk.url) as ari:
        await ari.connect()
        await fake_asterisk.place_call(
            script=[WaitUntilBridged(), Wait(0.5), Speak(caller_voice), WaitUntilHungUp()]
        )
        caller = (await ari.event("StasisStart"))["channel"]["id"]
        await ari.request("POST", f"/channels/{caller}/answer")
        _, agent = await ari.request("POST", "/channels", {"endpoint": "PJSIP/agent1", "app": "hotline"})
        await ari.event("StasisStart", {"channel.id": agent["id"]})
        _, bridge = await ari.request("POST", "/bridges", {"type": "mixing"})
        await ari.request(
            "POST", f"/bridges/{bridge['id']}/addChannel", {"channel": f"{caller},{agent['id']}"}
        )
        assert (
            await ari.request("POST", f"/bridges/{bridge['id']}/record", {"name": "call-1", "format": "wav"})
        )[0] == 201
        await ari.event("RecordingStarted")
        # The agent has spoken (bridged, 3 s, 1 s of voice).
        assert await fake_asterisk.wait_until(lambda: agent_line.calls[0].steps_done >= 3, 5.0)
        await ari.request("POST", "/recordings/live/call-1/stop")
        await ari.event("RecordingFinished")
        with wave.open(str(fake_asterisk.stored_recordings["call-1"])) as w:
            samples = [s for (s,) in struct.iter_unpack("<h", w.readframes(w.getnframes()))]
        loud = [i / 8000 for i, s in enumerate(samples) if abs(s) > 3000]
        assert loud, "the recording is silent"
        # Two separate stretches of voice: the caller's (about 0.5 s in) and the agent's (about 3 s in).
        gaps = [b - a for a, b in zip(loud, loud[1:], strict=False) if b - a > 0.5]
        assert len(gaps) == 1
        for channel_id in (caller, agent["id"]):
            await ari.request("DELETE", f"/channels/{channel_id}")
        await ari.request("DELETE", f"/bridges/{bridge['id']}")
        await ari.event("BridgeDestroyed")
        fake_asterisk.assert_empty()


async def test_external_media_in_ulaw_hears_the_bridged_caller(
    fake_asterisk: FakeAsterisk, tmp_path: Path
) -> None:
    loop = asyncio.get_running_loop()
    transport, sink = await loop.create_datagram_endpoint(_Sink, local_addr=("127.0.0.1", 0))
    port = transport.get_extra_info("sockname")[1]
    voice = _tone(tmp_path / "caller.wav", 1.0, 300)
    try:
        async with RawAri(fake_asterisk.url) as ari:
            await ari.connect()
            call = await fake_asterisk.place_call(
                script=[WaitUntilBridged(), Speak(voice), WaitUntilHungUp()]
            )
            caller = (await ari.event("StasisStart"))["channel"]["id"]
            status, media = await ari.request(
                "POST",
                "/channels/externalMedia",
                {"app": "hotline", "external_host": f"127.0.0.1:{port}", "format": "ulaw"},
            )
            assert status == 200 and media["name"].startswith(f"UnicastRTP/127.0.0.1:{port}-0x")
            assert media["channelvars"]["UNICASTRTP_LOCAL_ADDRESS"] == "127.0.0.1"
            await ari.event("StasisStart", {"channel.id": media["id"]})
            _, bridge = await ari.request("POST", "/bridges", {"type": "mixing"})
            await ari.request(
                "POST", f"/bridges/{bridge['id']}/addChannel", {"channel": f"{caller},{media['id']}"}
            )
            assert await fake_asterisk.wait_until(lambda: call.steps_done >= 2, 5.0)  # it has spoken
            (stream,) = fake_asterisk.rtp_streams.values()
            (spoken,) = call.channel.voice
            assert stream.started_at is not None
            sink.expect(math.ceil((spoken.end - stream.started_at) / 0.02) + 1)
            await asyncio.wait_for(sink.got_enough.wait(), 5.0)
            for channel_id in (media["id"], caller):
                await ari.request("DELETE", f"/channels/{channel_id}")
            await ari.event("ChannelDestroyed", {"channel.id": media["id"]})
            await ari.request("DELETE", f"/bridges/{bridge['id']}")
    finally:
        transport.close()
    packets = sink.packets
    assert {len(p) for p in packets} == {172}
    headers = [struct.unpack("!BBHII", p[:12]) for p in packets]
    assert {h[1] & 0x7F for h in headers} == {0}
    assert all((b[3] - a[3]) % 2**32 == 160 for a, b in zip(headers, headers[1:], strict=False))
    # µ-law silence is 0xFF; the packets that cover the caller's second of voice carry it.
    heard = [k for k, p in enumerate(packets) if set(p[12:]) - {0xFF, 0x7F}]
    covering = [k for k in range(len(packets)) if _overlaps(stream.started_at + 0.02 * k, spoken)]
    assert abs(len(heard) - len(covering)) <= 2 and abs(len(covering) - 50) <= 2
    fake_asterisk.assert_empty()


async def test_tones_play_until_stopped_and_playbacks_can_be_controlled(fake_asterisk: FakeAsterisk) -> None:
    async with RawAri(fake_asterisk.url) as ari:
        await ari.connect()
        await fake_asterisk.place_call(script=[])
        channel_id = (await ari.event("StasisStart"))["channel"]["id"]
        await ari.request("POST", f"/channels/{channel_id}/play/ringback", {"media": "tone:ring;tonezone=cn"})
        await ari.event("PlaybackStarted")
        await asyncio.sleep(fake_asterisk.clock.real_seconds(30))
        assert (await ari.request("GET", "/playbacks/ringback"))[1]["state"] == "playing"
        assert await ari.request("POST", "/playbacks/ringback/control", {"operation": "pause"}) == (204, None)
        assert await ari.request("POST", "/playbacks/ringback/control", {"operation": "unpause"}) == (
            204,
            None,
        )
        assert await ari.request("DELETE", "/playbacks/ringback") == (204, None)
        assert (await ari.event("PlaybackFinished"))["playback"]["state"] == "done"
        assert await ari.request("GET", "/playbacks/ringback") == (404, {"message": "Playback not found"})
        await ari.request("DELETE", f"/channels/{channel_id}")
        await ari.event("StasisEnd")


async def test_a_created_channel_is_in_stasis_before_it_is_dialled(fake_asterisk: FakeAsterisk) -> None:
    fake_asterisk.add_endpoint("PJSIP/expert7", answer_after=1.0)
    async with RawAri(fake_asterisk.url) as ari:
        await ari.connect()
        status, channel = await ari.request(
            "POST", "/channels/create", {"endpoint": "PJSIP/expert7", "app": "hotline", "appArgs": "expert"}
        )
        assert (status, channel["state"]) == (200, "Down")
        assert (await ari.event("StasisStart"))["args"] == ["expert"]
        assert await ari.request("POST", f"/channels/{channel['id']}/dial", {"timeout": "10"}) == (204, None)
        answered = await ari.event("ChannelStateChange", {"channel.state": "Up"})
        assert answered["channel"]["id"] == channel["id"]
        assert [e["dialstatus"] for e in ari.events if e["type"] == "Dial"] == ["", "RINGING", "ANSWER"]
        await ari.request("DELETE", f"/channels/{channel['id']}")
        await ari.event("ChannelDestroyed")
        fake_asterisk.assert_empty()


async def test_redirect_and_move_take_the_channel_out_of_the_application(fake_asterisk: FakeAsterisk) -> None:
    async with RawAri(fake_asterisk.url) as ari, RawAri(fake_asterisk.url) as other:
        await ari.connect()
        await other.connect("recorder")
        first = await fake_asterisk.place_call(script=[])
        second = await fake_asterisk.place_call(script=[])
        await ari.event("StasisStart", {"channel.id": second.id})
        assert await ari.request("POST", f"/channels/{first.id}/redirect", {"endpoint": "PJSIP/agent9"}) == (
            204,
            None,
        )
        await ari.event("StasisEnd", {"channel.id": first.id})
        assert first.redirected_to == "PJSIP/agent9" and not first.alive
        assert await ari.request(
            "POST", f"/channels/{second.id}/move", {"app": "recorder", "appArgs": "keep"}
        ) == (
            204,
            None,
        )
        await ari.event("StasisEnd", {"channel.id": second.id})
        assert (await other.event("StasisStart"))["args"] == ["keep"]
        await other.request("DELETE", f"/channels/{second.id}")
        await other.event("StasisEnd")
        fake_asterisk.assert_empty()


def test_the_fixture_fails_a_test_that_breaks_the_protocol(tmp_path: Path) -> None:
    (tmp_path / "test_careless.py").write_text(
        "from tests.fakes.asterisk.client import RawAri\n"
        "async def test_careless(fake_asterisk):\n"
        "    async with RawAri(fake_asterisk.url) as ari:\n"
        "        assert (await ari.request('GET', '/channels', {'limit': '5'}))[0] == 400\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "tests.fakes.asterisk.plugin",
            "-p",
            "no:cacheprovider",
            "-o",
            "asyncio_mode=auto",
            "--rootdir",
            str(tmp_path),
            str(tmp_path / "test_careless.py"),
        ],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "1 passed, 1 error" in result.stdout, result.stdout + result.stderr
    assert (
        "protocol violation: GET /ari/channels: channels.list (GET /channels): unknown parameter 'limit'"
        in result.stdout
    )


@pytest.mark.fake_asterisk(time_factor=0.1)
async def test_rtp_sent_into_external_media_is_heard_in_the_bridge(fake_asterisk: FakeAsterisk) -> None:
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(_Sink, local_addr=("127.0.0.1", 0))
    port = transport.get_extra_info("sockname")[1]
    try:
        async with RawAri(fake_asterisk.url) as ari:
            await ari.connect()
            call = await fake_asterisk.place_call(script=[WaitUntilHungUp()])
            _, media = await ari.request(
                "POST",
                "/channels/externalMedia",
                {"app": "hotline", "external_host": f"127.0.0.1:{port}", "format": "slin16"},
            )
            await ari.event("StasisStart", {"channel.id": media["id"]})
            _, bridge = await ari.request("POST", "/bridges", {"type": "mixing"})
            await ari.request(
                "POST", f"/bridges/{bridge['id']}/addChannel", {"channel": f"{call.id},{media['id']}"}
            )
            await ari.request("POST", f"/bridges/{bridge['id']}/record", {"name": "tts", "format": "wav"})
            await ari.event("RecordingStarted")
            # Half a second of a 500 Hz tone (slin16, 20 ms packets) as a TTS engine would send it.
            target = ("127.0.0.1", int(media["channelvars"]["UNICASTRTP_LOCAL_PORT"]))
            for k in range(25):
                payload = b"".join(
                    struct.pack(">h", int(9000 * math.sin(2 * math.pi * 500 * (k * 320 + i) / 16000)))
                    for i in range(320)
                )
                transport.sendto(struct.pack("!BBHII", 0x80, 118, k, k * 320, 1234) + payload, target)
            (stream,) = fake_asterisk.rtp_streams.values()
            assert await fake_asterisk.wait_until(lambda: stream.received == 25, 5.0)
            # The fake plays the received audio out in (call-flow) time: let it reach the end.
            (tts,) = fake_asterisk.channels[media["id"]].voice
            await fake_asterisk.clock.sleep(tts.end - fake_asterisk.clock.monotonic())
            await ari.request("POST", "/recordings/live/tts/stop")
            await ari.event("RecordingFinished")
            for channel_id in (media["id"], call.id):
                await ari.request("DELETE", f"/channels/{channel_id}")
            await ari.request("DELETE", f"/bridges/{bridge['id']}")
    finally:
        transport.close()
    assert stream.received == 25
    with wave.open(str(fake_asterisk.stored_recordings["tts"])) as w:
        samples = [s for (s,) in struct.iter_unpack("<h", w.readframes(w.getnframes()))]
    loud = [i / 8000 for i, s in enumerate(samples) if abs(s) > 3000]
    assert loud and abs(loud[-1] - loud[0] - 0.5) < 0.01  # the half second of tone, in one piece


async def test_a_playback_whispered_into_a_snoop_is_heard_by_the_spied_on_party(
    fake_asterisk: FakeAsterisk,
) -> None:
    async with RawAri(fake_asterisk.url) as ari:
        await ari.connect()
        agent = await fake_asterisk.place_call(endpoint="agent1", script=[])
        await ari.event("StasisStart")
        status, snoop = await ari.request(
            "POST",
            f"/channels/{agent.id}/snoop/coach-1",
            {"whisper": "out", "app": "hotline", "appArgs": "coach"},
        )
        assert (status, snoop["id"], snoop["name"]) == (200, "coach-1", f"Snoop/{agent.id}-00000000")
        assert (await ari.event("StasisStart", {"channel.id": "coach-1"}))["args"] == ["coach"]
        await ari.request("POST", "/channels/coach-1/play", {"media": "sound:beep"})
        await ari.event("PlaybackFinished")
        assert agent.heard == ["sound:beep"]
        await ari.request("DELETE", "/channels/coach-1")
        await ari.event("StasisEnd", {"channel.id": "coach-1"})
        assert "ChannelDestroyed" not in ari.types()  # Snoop channels end with StasisEnd
        await ari.request("DELETE", f"/channels/{agent.id}")
        await ari.event("StasisEnd", {"channel.id": agent.id})
        fake_asterisk.assert_empty()


async def test_rtp_impairment_drops_and_reorders_packets(fake_asterisk: FakeAsterisk) -> None:
    fake_asterisk.rtp_impairment = RtpImpairment(drop_every=10, swap_every=7)
    loop = asyncio.get_running_loop()
    transport, sink = await loop.create_datagram_endpoint(_Sink, local_addr=("127.0.0.1", 0))
    port = transport.get_extra_info("sockname")[1]
    try:
        async with RawAri(fake_asterisk.url) as ari:
            await ari.connect()
            _, media = await ari.request(
                "POST",
                "/channels/externalMedia",
                {"app": "hotline", "external_host": f"127.0.0.1:{port}", "format": "slin16"},
            )
            sink.expect(100)
            await asyncio.wait_for(sink.got_enough.wait(), 5.0)
            await ari.request("DELETE", f"/channels/{media['id']}")
            await ari.event("ChannelDestroyed")
    finally:
        transport.close()
    (stream,) = fake_asterisk.rtp_streams.values()
    seqs = [struct.unpack("!H", p[2:4])[0] for p in sink.packets]
    offsets = [(s - stream.first_seq) % 65536 for s in seqs]
    assert stream.dropped >= 10
    missing = set(range(max(offsets) + 1)) - set(offsets)
    assert {m % 10 for m in missing} == {9}  # every tenth packet never arrived
    assert any(b < a for a, b in zip(offsets, offsets[1:], strict=False))  # some arrived out of order


async def test_a_snoop_spying_out_hears_what_its_channel_hears(
    fake_asterisk: FakeAsterisk, tmp_path: Path
) -> None:
    caller_voice = _tone(tmp_path / "caller.wav", 1.0, 440)
    fake_asterisk.add_endpoint("PJSIP/agent1", answer_after=0.2, script=[WaitUntilHungUp()])
    async with RawAri(fake_asterisk.url) as ari:
        await ari.connect()
        caller = await fake_asterisk.place_call(
            script=[WaitUntilBridged(), Wait(0.5), Speak(caller_voice), WaitUntilHungUp()]
        )
        await ari.event("StasisStart")
        _, agent = await ari.request("POST", "/channels", {"endpoint": "PJSIP/agent1", "app": "hotline"})
        await ari.event("StasisStart", {"channel.id": agent["id"]})
        _, snoop = await ari.request(
            "POST", f"/channels/{agent['id']}/snoop", {"spy": "out", "app": "hotline"}
        )
        await ari.event("StasisStart", {"channel.id": snoop["id"]})
        await ari.request("POST", f"/channels/{snoop['id']}/record", {"name": "agent-hears", "format": "wav"})
        await ari.event("RecordingStarted")
        _, bridge = await ari.request("POST", "/bridges", {"type": "mixing"})
        await ari.request(
            "POST", f"/bridges/{bridge['id']}/addChannel", {"channel": f"{caller.id},{agent['id']}"}
        )
        assert await fake_asterisk.wait_until(lambda: caller.steps_done >= 3, 5.0)
        (spoken,) = caller.channel.voice
        await fake_asterisk.clock.sleep(spoken.end - fake_asterisk.clock.monotonic())
        await ari.request("POST", "/recordings/live/agent-hears/stop")
        await ari.event("RecordingFinished")
        with wave.open(str(fake_asterisk.stored_recordings["agent-hears"])) as w:
            samples = [s for (s,) in struct.iter_unpack("<h", w.readframes(w.getnframes()))]
        loud = [i / 8000 for i, s in enumerate(samples) if abs(s) > 3000]
        assert loud and abs(loud[-1] - loud[0] - 1.0) < 0.01  # the caller's second of voice
        for channel_id in (snoop["id"], caller.id, agent["id"]):
            await ari.request("DELETE", f"/channels/{channel_id}")
        await ari.request("DELETE", f"/bridges/{bridge['id']}")
        await ari.event("BridgeDestroyed")
        fake_asterisk.assert_empty()
