"""The in-process Vosk engine: a pool of worker processes, each loading the model once (Vosk 本地引擎).

- The model folder comes from VOSK_MODEL_PATH and is checked when the engine is built: a folder that is
  not a Vosk model is a clear `AsrModelInvalid`; nothing is ever downloaded.
- Whole recordings are decoded in a `ProcessPoolExecutor` (HOTLINE_ASR_WORKERS processes) whose
  initializer loads the model, so decoding never runs on the event loop and a crash in the decoder
  cannot take the service down. A recording is fed in `chunk_seconds` chunks at its real sample rate.
- Live streams run a recognizer per stream on a thread pool in this process (Vosk releases the GIL
  while decoding); the model for them is loaded on the first stream, in a thread.
"""

from __future__ import annotations

import asyncio
import json
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import vosk

from asr.domain.transcript import UNKNOWN
from asr.engines.audio import open_pcm16_mono
from asr.engines.vosk_live import LiveVoskStream
from asr.engines.vosk_result import final_segment, parse_message
from asr.ports import AsrCapacityExhausted, AsrModelInvalid, AsrUnavailable, AudioSource
from asr.transcript import Transcript

log = logging.getLogger(__name__)

CHUNK_SECONDS = 0.5

# What makes a folder a Vosk model: the acoustic model, its feature config and a decoding graph,
# in the current layout (am/, conf/, graph/) or the older flat one.
_ACOUSTIC_MODEL = ("am/final.mdl", "final.mdl")
_FEATURE_CONFIG = ("conf/mfcc.conf", "mfcc.conf", "conf/model.conf")
_GRAPH = ("graph/HCLG.fst", "graph/HCLr.fst", "HCLG.fst", "HCLr.fst")


def check_model_dir(path: Path | None) -> Path:
    """The model folder if it looks like a Vosk model; AsrModelInvalid saying what is wrong otherwise."""
    if path is None:
        raise AsrModelInvalid(
            "未设置 VOSK_MODEL_PATH：请下载 Vosk 中文模型 (如 vosk-model-cn-0.22) 并指向其目录 "
            "(VOSK_MODEL_PATH is not set; models are never downloaded by the service)"
        )
    if not path.is_dir():
        raise AsrModelInvalid(f"Vosk 模型目录不存在 (model folder not found): {path}")
    missing = [
        " or ".join(options)
        for options in (_ACOUSTIC_MODEL, _FEATURE_CONFIG, _GRAPH)
        if not any((path / option).is_file() for option in options)
    ]
    if missing:
        raise AsrModelInvalid(f"{path} 不是 Vosk 模型目录 (not a Vosk model folder)，缺少 missing: {'; '.join(missing)}")
    return path


def load_model(path: Path) -> vosk.Model:
    """Load a checked model folder (seconds, hundreds of MB); Kaldi's own logging kept to warnings."""
    vosk.SetLogLevel(-1)
    try:
        return vosk.Model(str(check_model_dir(path)))
    except Exception as exc:  # vosk raises a bare Exception("Failed to create a model")
        raise AsrModelInvalid(f"Vosk 模型加载失败 (failed to load the model at {path}): {exc}") from exc


def new_recognizer(model: vosk.Model, sample_rate: int, phrases: Sequence[str] = ()) -> vosk.KaldiRecognizer:
    """A recognizer at the audio's own rate, with word timings; restricted to `phrases` if given."""
    if phrases:
        grammar = json.dumps([*phrases, "[unk]"], ensure_ascii=False)
        recognizer = vosk.KaldiRecognizer(model, float(sample_rate), grammar)
    else:
        recognizer = vosk.KaldiRecognizer(model, float(sample_rate))
    recognizer.SetWords(True)
    return recognizer


@dataclass(frozen=True)
class WorkerStatus:
    """A decoding worker's answer to a probe: its process id and how often it has loaded the model."""

    pid: int
    model_loads: int


# --- worker process side -------------------------------------------------------------------------

_worker_model: vosk.Model | None = None
_worker_model_loads = 0


def _init_worker(model_path: str) -> None:
    global _worker_model, _worker_model_loads
    _worker_model = load_model(Path(model_path))
    _worker_model_loads += 1


def _worker_status() -> WorkerStatus:
    if _worker_model is None:
        raise AsrUnavailable("worker started without a model")
    return WorkerStatus(pid=os.getpid(), model_loads=_worker_model_loads)


def decode_file(
    path: str, phrases: Sequence[str], chunk_seconds: float, channel: int | None = None
) -> dict[str, Any]:
    """Decode one recording in a worker: Vosk result objects, rate, duration and the CPU time spent."""
    if _worker_model is None:
        raise AsrUnavailable("worker started without a model")
    cpu_start = time.process_time()
    results: list[dict[str, Any]] = []
    with open_pcm16_mono(Path(path), channel) as pcm:
        recognizer = new_recognizer(_worker_model, pcm.sample_rate, phrases)
        for chunk in pcm.chunks(chunk_seconds):
            if recognizer.AcceptWaveform(chunk):
                results.append(parse_message(recognizer.Result()))
        results.append(parse_message(recognizer.FinalResult()))
        rate, duration = pcm.sample_rate, pcm.duration
    return {
        "results": results,
        "sample_rate": rate,
        "duration": duration,
        "cpu_seconds": time.process_time() - cpu_start,
    }




@dataclass(frozen=True)
class DecodeStats:
    """How hard one transcription was: audio length, decoder CPU time and wall time (seconds)."""

    audio_seconds: float
    cpu_seconds: float
    wall_seconds: float

    @property
    def cpu_real_time_factor(self) -> float:
        return self.cpu_seconds / self.audio_seconds if self.audio_seconds else 0.0

    @property
    def real_time_factor(self) -> float:
        return self.wall_seconds / self.audio_seconds if self.audio_seconds else 0.0


class VoskTranscriber:
    """`Transcriber` on the Vosk library: worker processes for recordings, threads for live streams."""

    def __init__(
        self,
        model_path: Path | None,
        *,
        workers: int = 1,
        live_streams: int = 2,
        chunk_seconds: float = CHUNK_SECONDS,
        live_model: vosk.Model | None = None,
    ) -> None:
        """`live_model`: the same model already loaded in this process, to share with live streams."""
        self.model_path = check_model_dir(model_path)
        self.workers = max(1, workers)
        self.live_streams = max(0, live_streams)
        self.chunk_seconds = chunk_seconds
        self._pool: ProcessPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        self._threads: ThreadPoolExecutor | None = None
        self._live_model: vosk.Model | None = live_model
        self._live_model_lock = asyncio.Lock()
        self._live_in_use = 0

    # recordings

    async def start(self) -> None:
        """Start the worker pool and wait until a worker has loaded the model (errors surface here)."""
        await self.probe()

    async def probe(self) -> WorkerStatus:
        """Ask a worker (starting one if needed) who it is and how often it loaded the model."""
        status: WorkerStatus = await self._in_worker(_worker_status)
        return status

    async def transcribe(self, audio: AudioSource) -> Transcript:
        transcript, _ = await self.transcribe_with_stats(audio)
        return transcript

    async def transcribe_with_stats(self, audio: AudioSource) -> tuple[Transcript, DecodeStats]:
        wall_start = time.perf_counter()
        raw = await self._in_worker(
            decode_file, str(audio.path), tuple(audio.phrases), self.chunk_seconds, audio.channel
        )
        segments = tuple(
            segment
            for result in raw["results"]
            if (segment := final_segment(result, audio.speaker)) is not None
        )
        transcript = Transcript(
            segments=segments,
            duration=float(raw["duration"]),
            sample_rate=int(raw["sample_rate"]),
            source=str(audio.path),
            speakers=(audio.speaker,),
        )
        stats = DecodeStats(
            audio_seconds=float(raw["duration"]),
            cpu_seconds=float(raw["cpu_seconds"]),
            wall_seconds=time.perf_counter() - wall_start,
        )
        return transcript, stats

    async def _in_worker(self, func: Callable[..., Any], *args: Any) -> Any:
        """Run `func` in a worker. If the pool breaks (a worker was killed, e.g. for memory, or crashed),
        a fresh pool gets the job once more; a second break is AsrUnavailable, so the caller can keep
        the recording and retry later."""
        for attempt in (1, 2):
            pool = self._ensure_pool()
            try:
                return await asyncio.wrap_future(pool.submit(func, *args))
            except BrokenProcessPool as exc:
                self._discard_pool(pool)
                if attempt == 1:
                    log.warning("ASR worker pool broke (%s); retrying on a new pool", exc)
                    continue
                raise AsrUnavailable(
                    f"语音识别进程两次异常退出 (ASR workers died twice; check the model at {self.model_path} "
                    f"and the recording): {exc}"
                ) from exc
        raise AssertionError("unreachable")

    def _ensure_pool(self) -> ProcessPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=self.workers,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_init_worker,
                    initargs=(str(self.model_path),),
                )
            return self._pool

    def _discard_pool(self, pool: ProcessPoolExecutor) -> None:
        with self._pool_lock:
            if self._pool is pool:
                self._pool = None
        pool.shutdown(wait=False, cancel_futures=True)

    # live streams

    async def open_stream(self, sample_rate: int, speaker: str = UNKNOWN) -> LiveVoskStream:
        if self._live_in_use >= self.live_streams:
            raise AsrCapacityExhausted(
                f"实时转写通道已满 ({self.live_streams} streams in use); the call is transcribed afterwards"
            )
        self._live_in_use += 1
        try:
            model = await self._ensure_live_model()
            if self._threads is None:
                self._threads = ThreadPoolExecutor(
                    max_workers=max(1, self.live_streams), thread_name_prefix="vosk-live"
                )
            threads = self._threads
            recognizer = await asyncio.get_running_loop().run_in_executor(
                threads, new_recognizer, model, sample_rate
            )
        except BaseException:
            self._live_in_use -= 1
            raise
        return LiveVoskStream(recognizer, threads, sample_rate, speaker, self._release_stream)

    def _release_stream(self) -> None:
        self._live_in_use -= 1

    async def _ensure_live_model(self) -> vosk.Model:
        async with self._live_model_lock:
            if self._live_model is None:
                self._live_model = await asyncio.to_thread(load_model, self.model_path)
            return self._live_model

    # life cycle

    async def close(self) -> None:
        await asyncio.to_thread(self.shutdown)

    def shutdown(self) -> None:
        """Stop the workers and threads (blocking; `close()` is the async form)."""
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        if self._threads is not None:
            self._threads.shutdown(wait=True, cancel_futures=True)
            self._threads = None
