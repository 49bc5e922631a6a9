"""The vosk-server engine against a local server that runs the real Vosk library behind the same protocol."""

from __future__ import annotations

import asyncio
import socket
import wave
from pathlib import Path

import pytest

from asr.engines import make_transcriber
from asr.engines.vosk_engine import VoskTranscriber
from asr.engines.vosk_server import VoskServerTranscriber, parse_server_urls
from asr.ports import AsrUnavailable, AudioSource
from hotline.settings import Settings
from tests.fakes.vosk_server import PHONE_PHRASE, KoreanSpeech, RunningVoskServer


async def test_the_server_engine_hears_the_same_words_as_the_in_process_engine(
    vosk_server: RunningVoskServer, vosk_transcriber: VoskTranscriber, korean_speech: KoreanSpeech
) -> None:
    audio = AudioSource(korean_speech.phrase_8k, speaker="caller", phrases=(PHONE_PHRASE, "감사합니다"))
    client = VoskServerTranscriber([vosk_server.url])
    try:
        remote = await client.transcribe(audio)
    finally:
        await client.close()
    local = await vosk_transcriber.transcribe(audio)

    assert remote.text == local.text == PHONE_PHRASE
    assert [w.text for w in remote.words] == [w.text for w in local.words]
    for r, lo in zip(remote.words, local.words, strict=True):
        assert r.start == pytest.approx(lo.start, abs=0.05) and r.end == pytest.approx(lo.end, abs=0.05)
    assert (remote.sample_rate, remote.duration) == (local.sample_rate, local.duration)
    assert vosk_server.server.configs == [
        {"sample_rate": 8000, "words": 1, "phrase_list": [PHONE_PHRASE, "감사합니다", "[unk]"]}
    ]
    assert vosk_server.server.sessions_finished == 1
    assert vosk_server.server.audio_bytes == _pcm_bytes(korean_speech.phrase_8k)


async def test_a_refusing_server_is_skipped_for_the_next_one_in_the_pool(
    vosk_server: RunningVoskServer, korean_speech: KoreanSpeech
) -> None:
    dead = f"ws://127.0.0.1:{_closed_port()}/"
    client = VoskServerTranscriber([dead, vosk_server.url], connect_timeout=2.0)
    try:
        await client.start()
        first = await client.transcribe(AudioSource(korean_speech.phrase_16k, phrases=(PHONE_PHRASE,)))
        second = await client.transcribe(AudioSource(korean_speech.phrase_8k, phrases=(PHONE_PHRASE,)))
    finally:
        await client.close()

    assert first.text == second.text == PHONE_PHRASE
    assert vosk_server.server.sessions_finished == 2
    assert [c["sample_rate"] for c in vosk_server.server.configs] == [16000, 8000]


async def test_no_server_answering_is_an_unavailable_error_naming_the_servers(
    korean_speech: KoreanSpeech,
) -> None:
    url = f"ws://127.0.0.1:{_closed_port()}/"
    client = VoskServerTranscriber([url], connect_timeout=2.0)
    try:
        with pytest.raises(AsrUnavailable) as unavailable:
            await client.transcribe(AudioSource(korean_speech.phrase_8k))
        with pytest.raises(AsrUnavailable):
            await client.start()
    finally:
        await client.close()

    assert unavailable.value.error_id == "asr-unavailable"
    assert url in str(unavailable.value)


async def test_an_empty_recording_never_reaches_the_server(
    vosk_server: RunningVoskServer, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.wav"
    with wave.open(str(empty), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)

    client = VoskServerTranscriber([vosk_server.url])
    try:
        transcript = await client.transcribe(AudioSource(empty))
    finally:
        await client.close()

    assert transcript.segments == () and transcript.duration == 0.0
    assert vosk_server.server.configs == []


async def test_a_live_stream_over_the_server_gives_partials_and_a_final_segment(
    vosk_server: RunningVoskServer, korean_speech: KoreanSpeech
) -> None:
    pcm = _pcm_of(korean_speech.phrase_8k)
    client = VoskServerTranscriber([vosk_server.url])
    try:
        stream = await client.open_stream(8000, speaker="agent")
        segments = []
        for i in range(0, len(pcm), 3200):
            segments += await stream.accept(pcm[i : i + 3200])
        segments += await stream.finish()
        await stream.close()
    finally:
        await client.close()

    assert any(not s.final for s in segments)
    finals = [s for s in segments if s.final]
    assert finals and all(s.words and s.speaker == "agent" for s in finals)
    assert vosk_server.server.configs == [{"sample_rate": 8000, "words": 1}]
    async with asyncio.timeout(5):
        await vosk_server.server.wait_idle()
    assert vosk_server.server.sessions_finished == 1


def test_settings_choose_the_server_pool_when_hotline_asr_url_is_set(korean_model_path: Path) -> None:
    pool = make_transcriber(Settings(asr_url="ws://asr-1:2700, ws://asr-2:2700"))
    local = make_transcriber(Settings(vosk_model_path=korean_model_path, asr_workers=3))

    assert isinstance(pool, VoskServerTranscriber)
    assert pool.urls == ["ws://asr-1:2700", "ws://asr-2:2700"]
    assert isinstance(local, VoskTranscriber) and local.workers == 3
    assert Settings.from_env({"HOTLINE_ASR_WORKERS": "2"}).asr_workers == 2
    with pytest.raises(ValueError):
        parse_server_urls("http://asr-1:2700")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pcm_of(path: Path) -> bytes:
    with wave.open(str(path), "rb") as w:
        return w.readframes(w.getnframes())


def _pcm_bytes(path: Path) -> int:
    return len(_pcm_of(path))

