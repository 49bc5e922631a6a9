"""Recordings as the Vosk engines read them: 16-bit mono PCM at the file's own rate, in chunks."""

from __future__ import annotations

import array
import math
import subprocess
import wave
from pathlib import Path

import pytest

from asr.engines.audio import open_pcm16_mono, read_pcm16_mono
from asr.engines.vosk_result import final_segment, partial_segment
from asr.ports import AudioUnreadable


def tone(path: Path, *, rate: int, seconds: float, channels: int = 1) -> Path:
    """A 440 Hz tone as 16-bit PCM WAV."""
    frames = int(rate * seconds)
    samples = array.array("h")
    for i in range(frames):
        value = int(8000 * math.sin(2 * math.pi * 440 * i / rate))
        samples.extend([value] * channels)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())
    return path


def test_a_mono_telephone_wav_is_read_at_8_khz_in_half_second_chunks(tmp_path: Path) -> None:
    wav = tone(tmp_path / "leg.wav", rate=8000, seconds=1.3)

    with open_pcm16_mono(wav) as pcm:
        chunks = list(pcm.chunks(0.5))
        rate, duration = pcm.sample_rate, pcm.duration

    assert (rate, duration) == (8000, pytest.approx(1.3))
    assert [len(c) for c in chunks] == [8000, 8000, 4800]  # bytes: 4000 + 4000 + 2400 samples


def test_a_stereo_recording_is_mixed_to_mono_by_sox_keeping_its_rate(tmp_path: Path) -> None:
    stereo = tone(tmp_path / "bridge.wav", rate=16000, seconds=0.5, channels=2)

    pcm, rate = read_pcm16_mono(stereo)

    assert rate == 16000
    assert len(pcm) == 16000 * 0.5 * 2
    assert max(abs(s) for s in array.array("h", pcm)) > 4000  # the tone survived the mix


def test_one_side_of_a_stereo_call_recording_is_taken_by_its_channel(tmp_path: Path) -> None:
    caller = tone(tmp_path / "caller.wav", rate=8000, seconds=0.5)
    voice = array.array("h", read_pcm16_mono(caller)[0])
    both = array.array("h", [0] * (2 * len(voice)))
    both[0::2] = voice  # the caller on the left, a silent agent on the right
    call = tmp_path / "call.wav"
    with wave.open(str(call), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(both.tobytes())

    left, _ = read_pcm16_mono(call, channel=1)
    right, rate = read_pcm16_mono(call, channel=2)
    with pytest.raises(AudioUnreadable, match="没有第 3 声道"):
        read_pcm16_mono(call, channel=3)

    assert rate == 8000 and len(left) == len(right) == 8000
    assert left == read_pcm16_mono(caller)[0]
    assert max(abs(s) for s in array.array("h", right)) == 0


def test_an_8_bit_a_law_recording_is_converted(tmp_path: Path) -> None:
    source = tone(tmp_path / "src.wav", rate=8000, seconds=0.5)
    alaw = tmp_path / "alaw.wav"
    subprocess.run(["sox", str(source), "-e", "a-law", str(alaw)], check=True)

    pcm, rate = read_pcm16_mono(alaw)

    assert (rate, len(pcm)) == (8000, 8000)


def test_asterisk_raw_signed_linear_files_take_their_rate_from_the_suffix(tmp_path: Path) -> None:
    raw = tmp_path / "leg.sln16"
    raw.write_bytes(b"\x00\x01" * 16000)

    with open_pcm16_mono(raw) as pcm:
        assert (pcm.sample_rate, pcm.frames, pcm.duration) == (16000, 16000, 1.0)


def test_a_file_that_is_no_audio_is_refused_with_the_reason(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.wav"
    bogus.write_text("来电人：我想咨询营业执照")

    with pytest.raises(AudioUnreadable) as refused:
        read_pcm16_mono(bogus)

    assert refused.value.error_id == "asr-audio-unreadable"
    assert "notes.wav" in str(refused.value)


def test_vosk_results_become_segments_with_word_timings_and_nothing_heard_becomes_none() -> None:
    result = {
        "result": [
            {"conf": 0.93, "start": 1.2, "end": 1.5, "word": "营业"},
            {"conf": 0.81, "start": 1.5, "end": 1.9, "word": "执照"},
        ],
        "text": "营业 执照",
    }

    segment = final_segment(result, "caller")

    assert segment is not None
    assert (segment.speaker, segment.text, segment.start, segment.end, segment.final) == (
        "caller",
        "营业 执照",
        1.2,
        1.9,
        True,
    )
    assert [w.text for w in segment.words] == ["营业", "执照"]
    assert segment.confidence == pytest.approx(0.87)
    assert final_segment({"text": ""}, "caller") is None
    assert partial_segment({"partial": ""}, "agent", 0.0, 1.0) is None
    partial = partial_segment({"partial": "营业"}, "agent", 1.0, 1.6)
    assert partial is not None and not partial.final and (partial.start, partial.end) == (1.0, 1.6)
