"""Live transcription of a bridged call through the fake Asterisk: snoop → externalMedia → real RTP → stream.

The engine is a small typed fake (`CountingEngine`): it keeps the PCM each stream got and says one final
segment per second of audio. The caller speaks a 440 Hz tone and the agent an 880 Hz one, so each
stream's audio shows whose voice reached it over UDP.
"""

from __future__ import annotations

import array
import math
import sys
import wave
from dataclasses import dataclass, field
from pathlib import Path

from asr.engines.vosk_engine import VoskTranscriber
from asr.ports import AsrCapacityExhausted
from asr.transcript import Segment
from callflow.seat.live_transcript import LiveTranscriber, LiveTranscripts
from callflow.seat.sessions import QueuedCallerSession
from tests.fakes.asterisk.media import RtpImpairment
from tests.fakes.asterisk.parties import Call, Endpoint, Speak, WaitUntilBridged
from tests.fakes.vosk_server import KoreanSpeech
from tests.integration.callflow.seat.seat_fixtures import SeatLine


@dataclass
class CountingStream:
    """A live stream that keeps what it hears and says `<speaker>第N秒` for every full second."""

    sample_rate: int
    speaker: str
    engine: CountingEngine
    pcm: bytearray = field(default_factory=bytearray)
    said: int = 0
    closed: bool = False

    async def accept(self, pcm: bytes) -> list[Segment]:
        assert not self.closed
        self.pcm += pcm
        out: list[Segment] = []
        while (self.said + 1) * self.sample_rate * 2 <= len(self.pcm):
            self.said += 1
            out.append(Segment(self.speaker, f"{self.speaker}第{self.said}秒", self.said - 1.0, float(self.said)))
        return out

    async def finish(self) -> list[Segment]:
        seconds = len(self.pcm) / 2 / self.sample_rate
        await self.close()
        if seconds > self.said:
            return [Segment(self.speaker, f"{self.speaker}结束", float(self.said), seconds)]
        return []

    async def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.engine.in_use -= 1


@dataclass
class CountingEngine:
    slots: int = 4
    in_use: int = 0
    streams: list[CountingStream] = field(default_factory=list)

    async def open_stream(self, sample_rate: int, speaker: str = "unknown") -> CountingStream:
        if self.in_use >= self.slots:
            raise AsrCapacityExhausted(f"实时转写通道已满 ({self.slots} streams in use)")
        self.in_use += 1
        stream = CountingStream(sample_rate, speaker, self)
        self.streams.append(stream)
        return stream

    def of(self, speaker: str) -> CountingStream:
        [stream] = [s for s in self.streams if s.speaker == speaker]
        return stream


def write_tone(path: Path, hz: float, seconds: float, rate: int = 16000) -> Path:
    samples = array.array("h", (int(8000 * math.sin(2 * math.pi * hz * i / rate)) for i in range(int(seconds * rate))))
    if sys.byteorder == "big":
        samples.byteswap()
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.tobytes())
    return path


def power(pcm: bytes, hz: float, rate: int) -> float:
    """Goertzel: how much of `hz` the little-endian PCM holds."""
    samples = array.array("h", pcm[: len(pcm) // 2 * 2])
    if sys.byteorder == "big":
        samples.byteswap()
    coeff = 2 * math.cos(2 * math.pi * hz / rate)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + coeff * s1 - s2, s1
    return s1 * s1 + s2 * s2 - coeff * s1 * s2


def voiced_seconds(pcm: bytes, rate: int) -> float:
    samples = array.array("h", pcm[: len(pcm) // 2 * 2])
    if sys.byteorder == "big":
        samples.byteswap()
    return sum(1 for x in samples if x != 0) / rate


async def bridged(line: SeatLine, agent: str) -> tuple[Call, Endpoint, QueuedCallerSession]:
    phone = await line.agent(agent, answer_after=1.0, script=[WaitUntilBridged()])
    call = await line.caller([WaitUntilBridged()])

    def talking() -> bool:
        return any(s.channel_id == call.id and s.stage == "bridged" for s in line.queue.callers.values())

    await line.until(talking, what="caller and agent bridged")
    [session] = [s for s in line.queue.callers.values() if s.channel_id == call.id]
    return call, phone, session


async def until_tapped(line: SeatLine, live: LiveTranscriber, session: QueuedCallerSession) -> None:
    """Until each party's snoop and externalMedia channel are in its live bridge.

    Only from then on does a party's voice flow out as RTP (words said before the tap is up are not
    live text, on a real Asterisk too), so a scenario speaks after this, not after the channels exist.
    """

    def tapped() -> bool:
        taps = live.taps.get(session.call_id, [])
        held = [line.fake.bridges.get(t.bridge_id) for t in taps]
        return len(taps) == 2 and all(
            b is not None and {c.id for c in b.channels} == {t.snoop_id, t.media_id}
            for b, t in zip(held, taps, strict=True)
        )

    await line.until(tapped, what="both parties' live taps bridged")


async def test_caller_and_agent_are_heard_apart_over_real_rtp_and_their_text_is_published(
    seat_line: SeatLine, tmp_path: Path
) -> None:
    line = seat_line
    line.fake.rtp_impairment = RtpImpairment(drop_every=10, swap_every=7)  # lost and reordered packets
    engine = CountingEngine()
    transcripts = LiveTranscripts()
    live = LiveTranscriber(line.queue, engine, transcripts)
    call, phone, session = await bridged(line, "agent161")
    await line.until(lambda: len(line.fake.rtp_streams) == 2, what="two externalMedia streams")
    await until_tapped(line, live, session)
    taps = live.taps[session.call_id]
    assert {t.snoop_id for t in taps} | {t.media_id for t in taps} <= session.helper_channels
    assert all(t.receiver is not None and t.receiver.port > 0 for t in taps)
    assert len({t.receiver.port for t in taps if t.receiver}) == 2
    snoops = [c for c in line.fake.channels.values() if c.name.startswith("Snoop/")]
    assert len(snoops) == 2 and all(c.spy == "in" for c in snoops)
    rtp_channels = [c for c in line.fake.channels.values() if c.name.startswith("UnicastRTP/127.0.0.1:")]
    assert len(rtp_channels) == 2

    subscription = transcripts.subscribe(session.call_id)
    call.add_steps(Speak(write_tone(tmp_path / "caller.wav", 440, 3.0)))
    phone.calls[-1].add_steps(Speak(write_tone(tmp_path / "agent.wav", 880, 2.0)))
    first = await anext(subscription)
    assert first.final and first.text.endswith("第1秒")
    await call.finished()
    await phone.calls[-1].finished()  # both have said everything
    await line.hotline.hang_up(call)
    await line.finished(call)
    await line.empty()  # no snoop, externalMedia channel or bridge left

    caller, agent = engine.of("caller"), engine.of("agent")
    assert caller.sample_rate == agent.sample_rate == 16000
    assert caller.closed and agent.closed and engine.in_use == 0
    assert power(caller.pcm, 440, 16000) > 50 * power(caller.pcm, 880, 16000)
    assert power(agent.pcm, 880, 16000) > 50 * power(agent.pcm, 440, 16000)
    assert 2.5 <= voiced_seconds(caller.pcm, 16000) <= 3.05  # a tenth of the packets were lost
    assert 1.6 <= voiced_seconds(agent.pcm, 16000) <= 2.05
    for tap in taps:  # lost packets' time is kept as silence: the timeline is as long as what was sent
        assert tap.receiver is not None and not tap.receiver.is_open
        sent = line.fake.rtp_streams[tap.media_id].sent
        assert abs(tap.pcm_bytes // 640 - sent) <= 6
        assert tap.receiver.jitter.stats.lost > 0 and tap.receiver.jitter.stats.reordered > 0

    segments = transcripts.segments(session.call_id)
    assert segments is not None and not transcripts.is_live(session.call_id)
    texts = [s.text for s in segments]
    assert {"caller第1秒", "caller第3秒", "agent第1秒", "agent第2秒"} <= set(texts)
    assert [s.start for s in segments] == sorted(s.start for s in segments)
    assert [s.text async for s in subscription][-1] in {"caller结束", "agent结束"}
    assert transcripts.agent_of(session.call_id) == "agent161"
    assert not session.helper_channels & ({t.snoop_id for t in taps} | {t.media_id for t in taps})


async def test_ulaw_streams_arrive_as_8khz_pcm(seat_line: SeatLine, tmp_path: Path) -> None:
    line = seat_line
    engine = CountingEngine()
    transcripts = LiveTranscripts()
    live = LiveTranscriber(line.queue, engine, transcripts, fmt="ulaw")
    call, phone, session = await bridged(line, "agent165")
    await line.until(lambda: len(line.fake.rtp_streams) == 2, what="two externalMedia streams")
    await until_tapped(line, live, session)
    assert {s.fmt for s in line.fake.rtp_streams.values()} == {"ulaw"}
    call.add_steps(Speak(write_tone(tmp_path / "caller.wav", 440, 2.0)))
    await call.finished()
    await line.hotline.hang_up(call)
    await line.finished(call)
    await line.empty()
    caller = engine.of("caller")
    assert caller.sample_rate == 8000
    assert power(caller.pcm, 440, 8000) > 50 * power(caller.pcm, 880, 8000)
    assert 1.9 <= voiced_seconds(caller.pcm, 8000) <= 2.05


async def test_with_no_live_slot_free_the_call_goes_on_without_live_text_and_no_channel_is_made(
    seat_line: SeatLine,
) -> None:
    line = seat_line
    engine = CountingEngine(slots=1)  # room for the caller's stream only: none is used
    transcripts = LiveTranscripts()
    live = LiveTranscriber(line.queue, engine, transcripts)
    call, phone, session = await bridged(line, "agent162")
    await line.until(lambda: session.call_id in live.without_text, what="the live set-up to give up")
    assert live.without_text[session.call_id] == "asr-capacity-exhausted"
    assert engine.in_use == 0 and engine.streams[0].closed
    assert not [c for c in line.fake.channels.values() if c.kind in ("snoop", "external")]
    assert line.fake.rtp_streams == {} and transcripts.segments(session.call_id) is None
    assert session.stage == "bridged"  # the call itself goes on
    await line.hotline.hang_up(call)
    await line.finished(call)
    await line.empty()


async def test_without_an_engine_calls_have_no_live_text(seat_line: SeatLine) -> None:
    line = seat_line
    live = LiveTranscriber(line.queue, None, LiveTranscripts())
    call, phone, session = await bridged(line, "agent163")
    await line.until(lambda: session.call_id in live.without_text, what="the live set-up to give up")
    assert live.without_text[session.call_id] == "no-engine"
    assert not [c for c in line.fake.channels.values() if c.kind in ("snoop", "external")]
    await line.hotline.hang_up(call)
    await line.finished(call)
    await line.empty()


async def test_the_real_vosk_engine_turns_the_callers_rtp_into_text_while_the_call_goes_on(
    seat_line: SeatLine, korean_model_path: Path, korean_model: object, korean_speech: KoreanSpeech
) -> None:
    """The Korean test model (no Chinese one can be had here) on the live path: real RTP, real decoding."""
    line = seat_line
    engine = VoskTranscriber(korean_model_path, workers=1, live_streams=2, live_model=korean_model)
    transcripts = LiveTranscripts()
    live = LiveTranscriber(line.queue, engine, transcripts)
    call, phone, session = await bridged(line, "agent164")
    await line.until(lambda: len(line.fake.rtp_streams) == 2, what="two externalMedia streams")
    await until_tapped(line, live, session)
    call.add_steps(Speak(korean_speech.phrase_16k))
    await call.finished()
    await line.hotline.hang_up(call)
    await line.finished(call)
    await line.empty()
    segments = transcripts.segments(session.call_id) or []
    said = " ".join(s.text for s in segments if s.speaker == "caller" and s.final)
    assert said.strip() and any("\uac00" <= ch <= "\ud7a3" for ch in said)  # Hangul syllables
    assert not [s for s in segments if s.speaker == "agent"]  # the agent said nothing
    assert live.without_text == {} and engine._live_in_use == 0
    engine.shutdown()


async def test_live_channels_left_by_a_previous_run_are_hung_up_and_those_of_calls_in_progress_kept(
    seat_line: SeatLine,
) -> None:
    line = seat_line
    live = LiveTranscriber(line.queue, CountingEngine(), LiveTranscripts())
    call, phone, session = await bridged(line, "agent166")
    await line.until(lambda: len(line.fake.rtp_streams) == 2, what="this call's two externalMedia streams")
    left_over = "hotline-live-rtp-earlier-call-caller"  # as a run that died mid-call left it
    await line.hotline.client.request(
        "POST",
        "/channels/externalMedia",
        {"channelId": left_over, "app": "hotline", "external_host": "127.0.0.1:9", "format": "slin16"},
    )
    assert left_over in line.fake.channels
    assert await live.sweep_orphans() == 1
    await line.until(lambda: left_over not in line.fake.channels, what="the orphan to go")
    assert len([c for c in line.fake.channels.values() if c.kind == "external"]) == 2  # this call's stay
    await line.hotline.hang_up(call)
    await line.finished(call)
    await line.empty()
