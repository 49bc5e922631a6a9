"""A live leg on an in-process Vosk recognizer (实时转写): 16-bit mono PCM in, partial and final segments out.

Decoding runs on a thread pool (Vosk releases the GIL while it decodes); `accept` calls on one stream
are serialized, since a recognizer takes its audio in order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import vosk

from asr.engines.vosk_result import final_segment, is_partial, parse_message, partial_segment
from asr.ports import AsrUnavailable
from asr.transcript import Segment


class LiveVoskStream:
    """One live leg on an in-process recognizer; `accept` calls are serialized, decoding runs on a thread."""

    def __init__(
        self,
        recognizer: vosk.KaldiRecognizer,
        threads: ThreadPoolExecutor,
        sample_rate: int,
        speaker: str,
        release: Callable[[], None],
    ) -> None:
        self.sample_rate = sample_rate
        self.speaker = speaker
        self._recognizer: vosk.KaldiRecognizer | None = recognizer
        self._threads = threads
        self._release = release
        self._lock = asyncio.Lock()
        self._samples = 0
        self._segment_start = 0.0

    @property
    def position(self) -> float:
        """Seconds of audio accepted so far."""
        return self._samples / self.sample_rate

    async def accept(self, pcm: bytes) -> list[Segment]:
        async with self._lock:
            recognizer = self._require_open()
            raw = await asyncio.get_running_loop().run_in_executor(self._threads, _feed, recognizer, pcm)
            self._samples += len(pcm) // 2
            return self._segments(parse_message(raw))

    async def finish(self) -> list[Segment]:
        async with self._lock:
            recognizer = self._require_open()
            raw = await asyncio.get_running_loop().run_in_executor(self._threads, recognizer.FinalResult)
            segments = self._segments(parse_message(raw))
            self._close_now()
            return segments

    async def close(self) -> None:
        async with self._lock:
            self._close_now()

    def _segments(self, result: dict[str, Any]) -> list[Segment]:
        if is_partial(result):
            segment = partial_segment(result, self.speaker, self._segment_start, self.position)
        else:
            segment = final_segment(result, self.speaker)
            self._segment_start = self.position
        return [segment] if segment is not None else []

    def _require_open(self) -> vosk.KaldiRecognizer:
        if self._recognizer is None:
            raise AsrUnavailable("live stream already finished")
        return self._recognizer

    def _close_now(self) -> None:
        if self._recognizer is not None:
            self._recognizer = None
            self._release()


def _feed(recognizer: vosk.KaldiRecognizer, pcm: bytes) -> str:
    if recognizer.AcceptWaveform(pcm):
        return str(recognizer.Result())
    return str(recognizer.PartialResult())
