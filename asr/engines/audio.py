"""Reading recordings as 16-bit mono PCM at their own sample rate, the input every Vosk recognizer takes.

Mono 16-bit WAV and Asterisk's raw signed-linear files (.sln = 8 kHz, .sln16 = 16 kHz, ...) are read
directly; anything else (stereo, μ-law/A-law WAV, 8/24/32-bit, other containers) is converted with sox
into a temporary WAV, keeping the sample rate, so a telephone recording stays 8 kHz.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import wave
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from asr.ports import AudioUnreadable

BYTES_PER_SAMPLE = 2

# Asterisk's headerless signed-linear formats: the suffix says the rate.
RAW_SLIN_RATES = {
    ".sln": 8000,
    ".sln12": 12000,
    ".sln16": 16000,
    ".sln24": 24000,
    ".sln32": 32000,
    ".sln44": 44100,
    ".sln48": 48000,
    ".sln96": 96000,
    ".sln192": 192000,
}


@dataclass
class PcmReader:
    """An open recording: 16-bit little-endian mono samples at `sample_rate`, read in chunks."""

    sample_rate: int
    frames: int
    read_frames: Callable[[int], bytes]

    @property
    def duration(self) -> float:
        return self.frames / self.sample_rate if self.sample_rate else 0.0

    def chunks(self, seconds: float) -> Iterator[bytes]:
        """Consecutive chunks of about `seconds` of audio each (the last one shorter)."""
        size = max(1, int(self.sample_rate * seconds))
        while True:
            data = self.read_frames(size)
            if not data:
                return
            yield data


@contextmanager
def open_pcm16_mono(path: Path, channel: int | None = None) -> Iterator[PcmReader]:
    """Open `path` as 16-bit mono PCM at its own rate; raises AudioUnreadable with the reason.

    `channel` (1-based) takes one channel of a multi-channel recording, e.g. the caller or the agent
    of a stereo call recording; without it the channels are mixed.
    """
    if not path.is_file():
        raise AudioUnreadable(f"录音文件不存在 (recording not found): {path}")
    raw_rate = RAW_SLIN_RATES.get(path.suffix.lower())
    if raw_rate and channel in (None, 1):
        with path.open("rb") as f:
            frames = path.stat().st_size // BYTES_PER_SAMPLE
            yield PcmReader(raw_rate, frames, lambda n: f.read(n * BYTES_PER_SAMPLE))
        return
    if raw_rate:
        raise AudioUnreadable(f"原始 slin 录音只有一个声道 (a raw .sln file has one channel): {path}")
    reason = _direct_wav_problem(path, channel)
    if reason is None:
        with wave.open(str(path), "rb") as w:
            yield PcmReader(w.getframerate(), w.getnframes(), w.readframes)
        return
    with tempfile.TemporaryDirectory(prefix="hotline-asr-") as tmp:
        converted = _convert_with_sox(path, Path(tmp) / "pcm16.wav", reason, channel)
        with wave.open(str(converted), "rb") as w:
            yield PcmReader(w.getframerate(), w.getnframes(), w.readframes)


def read_pcm16_mono(path: Path, channel: int | None = None) -> tuple[bytes, int]:
    """The whole recording as 16-bit mono PCM bytes and its sample rate (for streaming it elsewhere)."""
    with open_pcm16_mono(path, channel) as pcm:
        return pcm.read_frames(pcm.frames), pcm.sample_rate


def _direct_wav_problem(path: Path, channel: int | None) -> str | None:
    """None when `path` is a WAV we can read as is, else why it needs converting."""
    try:
        with wave.open(str(path), "rb") as w:
            channels = w.getnchannels()
            if channel is not None and not 1 <= channel <= channels:
                raise AudioUnreadable(
                    f"录音只有 {channels} 个声道，没有第 {channel} 声道 (no channel {channel}): {path}"
                )
            if channels != 1:
                return f"{channels} channels"
            if w.getsampwidth() != BYTES_PER_SAMPLE:
                return f"{8 * w.getsampwidth()}-bit samples"
            return None
    except (wave.Error, EOFError) as exc:
        return str(exc) or exc.__class__.__name__


def _convert_with_sox(source: Path, target: Path, reason: str, channel: int | None) -> Path:
    sox = shutil.which("sox")
    if sox is None:
        raise AudioUnreadable(
            f"无法直接读取录音 ({reason})，需要安装 sox 进行转换 (install sox to convert): {source}"
        )
    cmd = [sox, "-V1", "-D", str(source), "-t", "wav", "-e", "signed-integer", "-b", "16", str(target)]
    cmd += ["remix", str(channel)] if channel is not None else ["channels", "1"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        detail = done.stderr.strip() or f"sox exit {done.returncode}"
        raise AudioUnreadable(f"录音格式无法识别 (cannot convert {source}: {reason}; {detail})")
    return target
