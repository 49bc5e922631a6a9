"""Trace conformance: the recorded traffic of a real Asterisk 22, replayed against the fake.

Each scenario sends the trace's requests in order and compares every response and every modelled
event (normalised for ids, timestamps and name sequence numbers) with what Asterisk produced.
"""

from __future__ import annotations

import asyncio
import math
import struct
import wave
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path

import pytest

from tests.fakes.asterisk import FakeAsterisk, HangUp, Press, Speak, Wait, WaitUntilBridged
from tests.fakes.asterisk.parties import Step
from tests.fakes.asterisk.replay import Lenient, Outcome, Replay, Scenario, load_trace

pytestmark = pytest.mark.fake_asterisk(time_factor=0.05)


async def _replay(fake: FakeAsterisk, shared_dir: Path, scenario: Scenario) -> Outcome:
    trace = load_trace(shared_dir / "asterisk-ari-traces" / f"{scenario.trace}.jsonl")
    outcome = await Replay(fake, scenario, trace).run()
    assert not outcome.mismatches, "\n".join(outcome.mismatches)
    assert outcome.compared_responses > 0 and outcome.compared_events > 0
    return outcome


def _when(event: dict) -> float:
    return datetime.strptime(event["timestamp"], "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()


def _sipp_caller(script: list[Step]) -> Callable[[FakeAsterisk], Awaitable[None]]:
    async def on_connect(fake: FakeAsterisk) -> None:
        await fake.place_call(number="sipp", caller_name="sipp", script=script)

    return on_connect


async def test_inbound_call_answered_played_and_hung_up_by_the_caller(fake_asterisk, shared_dir) -> None:
    outcome = await _replay(
        fake_asterisk,
        shared_dir,
        Scenario("inbound-sip-answer-play-hangup", on_connect=_sipp_caller([Wait(8.0), HangUp()])),
    )
    assert [e["type"] for e in outcome.our_events][-2:] == ["ChannelHangupRequest", "StasisEnd"]
    fake_asterisk.assert_empty()


async def test_inbound_dtmf_stops_the_prompt_which_finishes_done(fake_asterisk, shared_dir) -> None:
    script: list[Step] = [
        Wait(1.37),
        Press("1", duration=0.28),
        Wait(1.22),
        Press("3", duration=0.28),
        Wait(2.6),
        HangUp(),
    ]
    await _replay(fake_asterisk, shared_dir, Scenario("inbound-sip-dtmf", on_connect=_sipp_caller(script)))
    fake_asterisk.assert_empty()


async def test_queue_holding_bridge_agent_and_bridge_recording(fake_asterisk, shared_dir) -> None:
    async def on_connect(fake: FakeAsterisk) -> None:
        fake.add_endpoint("PJSIP/agent1", answer_after=0.5, script=[Wait(6.0), HangUp()])
        await fake.place_call(number="sipp", caller_name="sipp", script=[])

    outcome = await _replay(fake_asterisk, shared_dir, Scenario("queue-bridge-agent", on_connect=on_connect))
    started = [e for e in outcome.our_events if e["type"] == "RecordingStarted"][0]
    finished = [e for e in outcome.our_events if e["type"] == "RecordingFinished"][0]
    assert abs(finished["recording"]["duration"] - 6) <= 2  # Asterisk said 6 for its 7 s
    path = fake_asterisk.stored_recordings["queue-call-1796032851"]
    with wave.open(str(path)) as w:
        assert (w.getframerate(), w.getsampwidth(), w.getnchannels()) == (8000, 2, 1)
        seconds = w.getnframes() / 8000
    assert finished["recording"]["duration"] == int(seconds)
    elapsed = (_when(finished) - _when(started)) / fake_asterisk.time_factor
    # As long as the call-flow time it covered: never longer than from RecordingStarted to
    # RecordingFinished, shorter only by the time it takes to write the file.
    assert elapsed - 0.6 <= seconds <= elapsed + 0.05
    fake_asterisk.assert_empty()


async def test_local_channel_originate_and_dtmf_between_the_halves(fake_asterisk, shared_dir) -> None:
    await _replay(fake_asterisk, shared_dir, Scenario("local-originate-dtmf"))
    fake_asterisk.assert_empty()


async def test_error_cases_answer_as_asterisk_does(fake_asterisk, shared_dir) -> None:
    async def on_connect(fake: FakeAsterisk) -> None:
        fake.add_endpoint("PJSIP/agent2", answer_after=None, silent=True)

    # Asterisk ignores these (201/204); the fake refuses them first, then the replay drops the culprit.
    lenient = {9: Lenient(("bogusParam",)), 10: Lenient(("colour",)), 18: Lenient(("duration",))}
    outcome = await _replay(
        fake_asterisk, shared_dir, Scenario("errors", on_connect=on_connect, lenient=lenient)
    )
    assert len(fake_asterisk.expected_violations) >= 8
    assert outcome.compared_responses == 50
    fake_asterisk.assert_empty()


async def test_websocket_gap_loses_events_and_a_variable_waits_for_the_playback(
    fake_asterisk, shared_dir
) -> None:
    outcome = await _replay(
        fake_asterisk,
        shared_dir,
        Scenario("websocket-reconnect", on_connect=_sipp_caller([]), close_ws_at=2.619),
    )
    types = [e["type"] for e in outcome.our_events]
    assert types.count("PlaybackStarted") == 2  # the second item's start fell into the gap
    fake_asterisk.assert_empty()


def _tone_wav(path: Path, seconds: float) -> Path:
    rate = 8000
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate)))
        for i in range(int(seconds * rate))
    )
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)
    return path


class _RtpSink(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.packets: list[bytes] = []

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.packets.append(data)


# RTP pacing: a larger factor keeps the replay's own latency small in call-flow time.
@pytest.mark.fake_asterisk(time_factor=0.2)
async def test_snoop_and_external_media_stream_real_rtp(fake_asterisk, shared_dir, tmp_path) -> None:
    loop = asyncio.get_running_loop()
    transport, sink = await loop.create_datagram_endpoint(_RtpSink, local_addr=("127.0.0.1", 0))
    port = transport.get_extra_info("sockname")[1]
    voice = _tone_wav(tmp_path / "caller.wav", 2.5)

    async def on_connect(fake: FakeAsterisk) -> None:
        fake.add_endpoint("PJSIP/agent1", answer_after=0.01)
        await fake.place_call(
            number="sipp", caller_name="sipp", script=[WaitUntilBridged(), Wait(0.3), Speak(voice)]
        )

    def rewrite(query: dict[str, str]) -> dict[str, str]:
        if query.get("external_host") == "127.0.0.1:40010":
            return {**query, "external_host": f"127.0.0.1:{port}"}
        return query

    try:
        await _replay(
            fake_asterisk,
            shared_dir,
            Scenario("snoop-and-external-media", on_connect=on_connect, rewrite=rewrite),
        )
    finally:
        transport.close()
    packets = sink.packets
    (stream,) = fake_asterisk.rtp_streams.values()
    assert stream.started_at is not None and stream.stopped_at is not None
    assert len(packets) == stream.sent >= 100  # the trace had 150 in its 3 s
    assert abs(len(packets) - 50 * (stream.stopped_at - stream.started_at)) <= 1  # 50 packets/s
    assert {len(p) for p in packets} == {652}
    headers = [struct.unpack("!BBHII", p[:12]) for p in packets]
    assert {h[1] & 0x7F for h in headers} == {118}
    assert all((b[2] - a[2]) % 65536 == 1 for a, b in zip(headers, headers[1:], strict=False))
    assert all((b[3] - a[3]) % 2**32 == 320 for a, b in zip(headers, headers[1:], strict=False))
    # The caller's voice, spied on by the snoop, is in exactly the packets that cover it.
    (caller,) = [c for c in fake_asterisk.calls if c.channel.kind == "inbound"]
    (spoken,) = caller.channel.voice
    loud = [
        k for k, p in enumerate(packets) if max(abs(s) for (s,) in struct.iter_unpack(">h", p[12:])) > 1000
    ]
    covering = [
        k
        for k in range(len(packets))
        if spoken.start < stream.started_at + 0.02 * (k + 1) and stream.started_at + 0.02 * k < spoken.end
    ]
    assert covering and abs(len(loud) - len(covering)) <= 2
    fake_asterisk.assert_empty()
