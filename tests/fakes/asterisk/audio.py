"""Audio the fake Asterisk handles: prompt durations, party voices, recordings and RTP payloads.

Pure Python (`wave`, `array`): voices are kept as 16 kHz signed 16-bit mono samples.
"""

from __future__ import annotations

import sys
import wave
from array import array
from dataclasses import dataclass
from functools import cache
from pathlib import Path

RATE = 16000
RECORDING_RATE = 8000

# Durations (seconds) of the Asterisk core sounds the fake knows without a file.
CORE_SOUNDS: dict[str, float] = {
    "beep": 0.25,
    "hello-world": 1.03,
    "silence/1": 1.0,
    "silence/2": 2.0,
    "silence/3": 3.0,
    "silence/5": 5.0,
    "silence/10": 10.0,
    "vm-intro": 2.9,
    "vm-goodbye": 0.9,
    "vm-review": 5.2,
    "vm-msgsaved": 1.1,
    "vm-message": 0.7,
    "vm-received": 0.9,
    "pls-hold-while-try": 2.3,
    "queue-thankyou": 1.3,
    "queue-callswaiting": 1.6,
    "queue-holdtime": 1.5,
    "auth-thankyou": 0.9,
    "goodbye": 0.7,
    "conf-onlyperson": 2.4,
    "agent-loginok": 1.0,
    "tt-monkeys": 7.6,
    "demo-congrats": 11.4,
    "hotline-welcome": 4.59,
}
for _n in range(10):
    CORE_SOUNDS[f"digits/{_n}"] = 0.6
for _n in (10, 20, 30, 40, 50, 60, 70, 80, 90, 100):
    CORE_SOUNDS[f"digits/{_n}"] = 0.6

SOUND_EXTENSIONS = (".wav", ".sln16", ".ulaw")


def read_wav(path: Path) -> array:
    """A WAV file (16-bit PCM, any rate, mono or stereo) as 16 kHz mono samples."""
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"{path}: only 16-bit PCM WAV is supported")
        rate, channels = w.getframerate(), w.getnchannels()
        raw = array("h", w.readframes(w.getnframes()))
    if sys.byteorder == "big":
        raw.byteswap()
    if channels > 1:
        raw = array("h", raw[::channels])
    return resample(raw, rate, RATE)


def resample(samples: array, rate: int, target: int) -> array:
    """Nearest-sample resampling: good enough for the fake's voices."""
    if rate == target or not samples:
        return array("h", samples)
    count = len(samples) * target // rate
    step = rate / target
    return array("h", (samples[min(len(samples) - 1, int(i * step))] for i in range(count)))


def sound_file_duration(path: Path) -> float:
    """Seconds of audio in a prompt file (.wav, raw 16 kHz .sln16, raw 8 kHz .ulaw)."""
    if path.suffix == ".wav":
        with wave.open(str(path), "rb") as w:
            return w.getnframes() / float(w.getframerate())
    if path.suffix == ".sln16":
        return path.stat().st_size / (2 * 16000)
    return path.stat().st_size / 8000


@dataclass
class VoiceSegment:
    """What a party said: `samples` (16 kHz) starting at call-flow time `start`."""

    start: float
    samples: array

    @property
    def end(self) -> float:
        return self.start + len(self.samples) / RATE


def render(segments: list[VoiceSegment], start: float, end: float, rate: int = RECORDING_RATE) -> array:
    """Mix the segments that fall between call-flow times `start` and `end` into samples at `rate`."""
    count = max(0, int(round((end - start) * rate)))
    out = array("h", bytes(2 * count))
    step = max(1, RATE // rate)
    written: list[tuple[int, int]] = []
    for seg in segments:
        if seg.end <= start or seg.start >= end:
            continue
        offset = int(round((seg.start - start) * rate))
        src_from, dst_from = max(0, -offset), max(0, offset)
        n = min(count - dst_from, len(seg.samples) // step - src_from)
        if n <= 0:
            continue
        chunk = seg.samples[src_from * step : (src_from + n) * step : step]
        if not any(a < dst_from + n and dst_from < b for a, b in written):
            out[dst_from : dst_from + n] = chunk
        else:
            for k in range(n):
                out[dst_from + k] = max(-32768, min(32767, out[dst_from + k] + chunk[k]))
        written.append((dst_from, dst_from + n))
    return out


def write_wav(path: Path, samples: array, rate: int = RECORDING_RATE) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = array("h", samples)
    if sys.byteorder == "big":
        data.byteswap()
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(data.tobytes())


def append_wav(path: Path, samples: array, rate: int = RECORDING_RATE) -> None:
    """ifExists=append: the old audio followed by the new."""
    old = array("h")
    if path.exists():
        with wave.open(str(path), "rb") as w:
            old = array("h", w.readframes(w.getnframes()))
        if sys.byteorder == "big":
            old.byteswap()
    write_wav(path, old + samples, rate)


def slin16_be(samples: array) -> bytes:
    """Signed linear 16 kHz, big-endian (Asterisk's `slin16` on the wire)."""
    data = array("h", samples)
    if sys.byteorder == "little":
        data.byteswap()
    return data.tobytes()


@cache
def _ulaw_table() -> bytes:
    """µ-law codes for every 16-bit sample >> 3 (the three low bits never reach the code)."""
    out = bytearray(8192)
    for index in range(8192):
        sample = (index - 8192 if index >= 4096 else index) << 3
        sign = 0x80 if sample < 0 else 0
        magnitude = min(32635, -sample if sample < 0 else sample) + 0x84
        exponent = 7
        mask = 0x4000
        while exponent > 0 and not magnitude & mask:
            exponent -= 1
            mask >>= 1
        mantissa = (magnitude >> (exponent + 3)) & 0x0F
        out[index] = ~(sign | (exponent << 4) | mantissa) & 0xFF
    return bytes(out)


def ulaw(samples16k: array) -> bytes:
    """G.711 µ-law at 8 kHz from 16 kHz samples."""
    table = _ulaw_table()
    return bytes(table[(s >> 3) & 0x1FFF] for s in samples16k[::2])


def slin16_be_decode(payload: bytes) -> array:
    samples = array("h", payload)
    if sys.byteorder == "little":
        samples.byteswap()
    return samples


@cache
def _ulaw_decode_table() -> tuple[int, ...]:
    out = []
    for code in range(256):
        u = ~code & 0xFF
        sign, exponent, mantissa = u & 0x80, (u >> 4) & 0x07, u & 0x0F
        magnitude = ((mantissa << 3) + 0x84) << exponent
        out.append(-(magnitude - 0x84) if sign else magnitude - 0x84)
    return tuple(out)


def ulaw_decode(payload: bytes) -> array:
    """G.711 µ-law (8 kHz) to 16 kHz samples."""
    table = _ulaw_decode_table()
    out = array("h")
    for code in payload:
        value = table[code]
        out.append(value)
        out.append(value)
    return out


def wav_duration(path: Path) -> float:
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / float(w.getframerate())
