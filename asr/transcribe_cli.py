"""`hotline transcribe FILE...`: recordings to JSON transcripts (录音转写), with a progress bar on stderr.

One file prints one indented JSON transcript; several print one JSON object per line, in the order
given. `--out DIR` writes DIR/<file name>.json instead. `--call` merges the files (e.g. the caller and
agent tracks of one call, named with `--speaker` once per file) into one speaker-labelled transcript;
`--stereo-call` reads each file as a stereo call recording (channel 1 the caller, channel 2 the agent)
and prints one merged transcript per file;
`--phrase` (repeatable) restricts recognition to a phrase list.
The JSON has "segments" (speaker, text, start, end, words with timings and confidences) and "turns",
so its output can be given straight to `hotline draft`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from tqdm import tqdm

from asr.domain.transcript import AGENT, CALLER, UNKNOWN
from asr.engines import make_transcriber
from asr.ports import AsrError, AudioSource, Transcriber
from asr.transcript import Transcript, merge_tracks
from hotline.settings import Settings


def register_transcribe(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "transcribe",
        help="transcribe WAV recordings to JSON transcripts with Vosk",
        description="用 Vosk 将录音转写为 JSON 转写稿 (segments, speakers, words, timings)",
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="WAV (or .sln/.sln16) recordings")
    parser.add_argument("--out", type=Path, help="write FILE.json into this folder instead of printing")
    parser.add_argument("--model", type=Path, help="Vosk model folder (default: VOSK_MODEL_PATH)")
    parser.add_argument(
        "--speaker",
        action="append",
        choices=(CALLER, AGENT, UNKNOWN),
        help="who speaks in the files: once for all, or once per file in order (default: unknown)",
    )
    parser.add_argument("--call", action="store_true", help="merge the files into one transcript of a call")
    parser.add_argument(
        "--phrase",
        action="append",
        default=[],
        metavar="TEXT",
        help="restrict recognition to these phrases (repeat; e.g. the expected short answers)",
    )
    parser.add_argument(
        "--stereo-call",
        action="store_true",
        help="each FILE is a stereo call recording: channel 1 the caller, channel 2 the agent",
    )
    parser.add_argument("--workers", type=int, help="decoding processes (default: HOTLINE_ASR_WORKERS)")
    parser.set_defaults(func=_transcribe)


def _transcribe(args: argparse.Namespace) -> int:
    try:
        if args.stereo_call:
            if args.speaker or args.call:
                raise ValueError("--stereo-call 已按声道区分来电人和话务员，不能再用 --speaker 或 --call")
            sources = _stereo_sources(args.files, args.phrase)
        else:
            sources = _sources(args.files, args.speaker or [], args.phrase)
    except ValueError as exc:
        print(f"参数错误：{exc}", file=sys.stderr)
        return 2
    missing = [str(s.path) for s in sources if not s.path.is_file()]
    if missing:
        print(f"录音文件不存在 (not found)：{', '.join(missing)}", file=sys.stderr)
        return 1
    settings = Settings.from_env()
    if args.model is not None:
        settings = replace(settings, vosk_model_path=args.model, asr_url=None)
    if args.workers:
        settings = replace(settings, asr_workers=args.workers)
    try:
        transcriber = make_transcriber(settings)
        transcripts = asyncio.run(_run(transcriber, sources))
    except AsrError as exc:
        print(f"转写失败 [{exc.error_id}]：{exc}", file=sys.stderr)
        return 1
    if args.call:
        name = "+".join(s.path.stem for s in sources)
        transcripts = [merge_tracks(transcripts, source=name)]
    if args.stereo_call:
        pairs = zip(transcripts[::2], transcripts[1::2], strict=True)
        transcripts = [merge_tracks([c, a], source=c.source) for c, a in pairs]
    _emit(transcripts, args.out)
    return 0


def _sources(files: Sequence[Path], speakers: Sequence[str], phrases: Sequence[str]) -> list[AudioSource]:
    if len(speakers) not in (0, 1, len(files)):
        raise ValueError(f"--speaker 应给出 1 次或每个文件 1 次 (given {len(speakers)} for {len(files)} files)")
    labels = list(speakers) * len(files) if len(speakers) == 1 else list(speakers) or [UNKNOWN] * len(files)
    return [AudioSource(f, s, tuple(phrases)) for f, s in zip(files, labels, strict=True)]


def _stereo_sources(files: Sequence[Path], phrases: Sequence[str]) -> list[AudioSource]:
    """Two sources per stereo call recording: the caller's channel, then the agent's."""
    sides = ((CALLER, 1), (AGENT, 2))
    return [AudioSource(f, who, tuple(phrases), channel) for f in files for who, channel in sides]


async def _run(transcriber: Transcriber, sources: list[AudioSource]) -> list[Transcript]:
    """Transcribe every file (the engine's workers take them in parallel), in the order given."""
    try:
        await transcriber.start()
        tasks = [asyncio.ensure_future(transcriber.transcribe(s)) for s in sources]
        try:
            with tqdm(total=len(tasks), desc="转写", unit="个文件", file=sys.stderr) as bar:
                for done in asyncio.as_completed(tasks):
                    await done
                    bar.update(1)
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        return [t.result() for t in tasks]
    finally:
        await transcriber.close()


def _emit(transcripts: list[Transcript], out: Path | None) -> None:
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        for transcript in transcripts:
            name = Path(transcript.source or "call").name
            target = out / f"{name}.json"
            target.write_text(_dumps(transcript, indent=2) + "\n", encoding="utf-8")
            print(f"已写入 {target}", file=sys.stderr)
        return
    if len(transcripts) == 1:
        print(_dumps(transcripts[0], indent=2))
        return
    for transcript in transcripts:
        print(_dumps(transcript, indent=None))


def _dumps(transcript: Transcript, indent: int | None) -> str:
    return json.dumps(transcript.to_json(), ensure_ascii=False, indent=indent)
