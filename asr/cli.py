"""`hotline draft FILE`: a draft work order (工单草稿) from a call transcript, printed as JSON.

register() adds this package's subcommands; further asr commands (e.g. `transcribe`) add a parser in
their own `_register_*` function and one line in register().
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from asr.domain.transcript import TranscriptError, Turn, turns_from_json, turns_from_lines


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    _register_draft(sub)
    from asr.transcribe_cli import register_transcribe

    register_transcribe(sub)


def _register_draft(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    draft = sub.add_parser(
        "draft",
        help="draft a work order from a transcript (JSON with \"turns\", JSON lines, or plain text)",
        description="从通话转写生成工单草稿 (draft work order from a call transcript)",
    )
    draft.add_argument("file", type=Path, help="transcript: JSON {\"turns\": [{speaker, text}]}, .jsonl, or text")
    draft.add_argument("--compact", action="store_true", help="one JSON object per line instead of indented")
    draft.add_argument(
        "--kb", action="store_true", help="add matching knowledge-base entries (needs HOTLINE_DATABASE_URL, upgraded)"
    )
    draft.set_defaults(func=_draft)


def read_transcripts(path: Path) -> list[tuple[str | None, list[Turn]]]:
    """(call id, turns) for each transcript in the file: a JSON object with "turns" (an eval line, or what
    `hotline transcribe` writes), JSON lines of those, a bare JSON list of turns, or plain text."""
    text = path.read_text(encoding="utf-8-sig")
    stripped = text.strip()
    if not stripped:
        raise TranscriptError("转写文件是空的 (the transcript file is empty)")
    if stripped.startswith("["):  # a bare list of {speaker, text} turns
        try:
            return [_from_object({"turns": json.loads(stripped)})]
        except json.JSONDecodeError as exc:
            raise TranscriptError(f"JSON 格式错误 (invalid JSON): {exc}") from exc
    if stripped.startswith("{"):
        try:
            return [_from_object(json.loads(stripped))]
        except json.JSONDecodeError:
            lines = [line for line in stripped.splitlines() if line.strip()]
            try:
                return [_from_object(json.loads(line)) for line in lines]
            except json.JSONDecodeError as exc:
                raise TranscriptError(f"JSON 格式错误 (invalid JSON): {exc}") from exc
    return [(None, turns_from_lines(stripped.splitlines()))]


def _from_object(document: Any) -> tuple[str | None, list[Turn]]:
    if not isinstance(document, dict):
        raise TranscriptError('转写 JSON 应是一个带 "turns" 的对象 (expected an object with "turns")')
    call_id = document.get("id")
    return (str(call_id) if call_id is not None else None, turns_from_json(document))


def _draft(args: argparse.Namespace) -> int:
    try:
        transcripts = read_transcripts(args.file)
    except FileNotFoundError:
        print(f"找不到文件：{args.file}", file=sys.stderr)
        return 2
    except (TranscriptError, UnicodeDecodeError) as exc:
        print(f"无法读取转写：{exc}", file=sys.stderr)
        return 2
    if any(not turns for _, turns in transcripts):
        print("转写里没有任何对话内容 (no utterances in the transcript)", file=sys.stderr)
        return 2
    from asr.data import default_extractor

    extractor = default_extractor()
    drafts = [(call_id, extractor.draft(turns)) for call_id, turns in transcripts]
    knowledge: list[list[dict[str, Any]]] = [[] for _ in drafts]
    if args.kb:
        try:
            knowledge = asyncio.run(_knowledge_for([d.knowledge_query for _, d in drafts]))
        except Exception as exc:  # the database is optional for a draft: say why and stop
            print(f"知识库不可用，请先运行 hotline db upgrade 并导入知识 (knowledge base unavailable): {exc}",
                  file=sys.stderr)
            return 1
    indent = None if args.compact or len(drafts) > 1 else 2
    for (call_id, draft), entries in zip(drafts, knowledge, strict=True):
        data = draft.to_dict()
        if call_id is not None:
            data = {"id": call_id, **data}
        if args.kb:
            data["knowledge"] = entries
        print(json.dumps(data, ensure_ascii=False, indent=indent))
    return 0


async def _knowledge_for(queries: list[str], limit: int = 3) -> list[list[dict[str, Any]]]:
    """Matching knowledge-base entries for each draft (知识推荐), through the knowledge package's service."""
    from hotline.db import make_engine, make_sessionmaker
    from hotline.settings import Settings
    from knowledge.bootstrap import build

    settings = Settings.from_env()
    engine = make_engine(settings.database_url)
    try:
        service, _ = build(make_sessionmaker(engine), engine.dialect.name, settings)
        results = []
        for query in queries:
            found = await service.suggest(query, limit=limit)
            results.append(
                [
                    {"id": f.entry.id, "title": f.entry.title, "unit": f.entry.unit_name,
                     "score": round(f.score, 3), "excerpt": f.excerpt}
                    for f in found
                ]
            )  # fmt: skip
        return results
    finally:
        await engine.dispose()
