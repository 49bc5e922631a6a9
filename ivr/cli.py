"""`hotline prompts build|list` and `hotline menu check`: thin entry points over ivr.config and ivr.prompts."""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from pathlib import Path

from hotline.settings import Settings
from ivr.adapters.synthesis import (
    DEFAULT_SPEED,
    DEFAULT_VOICE,
    EspeakSox,
    PromptBuildFailed,
    PromptToolMissing,
)
from ivr.config import DEFAULT_MENU_PATH, MenuConfigError, load_menu
from ivr.domain.menu import Back, Destination, GoTo, Menu, Repeat, RouteTo
from ivr.domain.wording import wording_warnings
from ivr.prompts import PromptBuilder, inventory_as_dicts, prompt_inventory

_STATE_ZH = {"recorded": "录音", "synthetic": "合成", "missing": "缺失"}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    prompts = sub.add_parser("prompts", help="voice prompts (提示音) of the menu")
    psub = prompts.add_subparsers(dest="prompts_command", required=True)
    build = psub.add_parser("build", help="synthesize every prompt (espeak-ng + sox); recorded ones win")
    _menu_and_dir(build)
    build.add_argument("--force", action="store_true", help="rebuild all, not only what changed")
    build.add_argument("--voice", default=DEFAULT_VOICE, help=f"espeak-ng voice (default {DEFAULT_VOICE})")
    build.add_argument("--speed", type=int, default=DEFAULT_SPEED, help=f"words per minute (default {DEFAULT_SPEED})")
    build.set_defaults(func=_prompts_build)
    listing = psub.add_parser("list", help="which prompts are recorded, synthetic or missing")
    _menu_and_dir(listing)
    listing.add_argument("--json", action="store_true", help="print JSON rows instead of a table")
    listing.set_defaults(func=_prompts_list)

    menu = sub.add_parser("menu", help="the voice navigation menu (语音导航菜单)")
    msub = menu.add_subparsers(dest="menu_command", required=True)
    check = msub.add_parser("check", help="validate a menu file; prints every problem with its line")
    check.add_argument("file", nargs="?", type=Path, help="menu YAML (default: HOTLINE_MENU_PATH or the shipped menu)")
    check.set_defaults(func=_menu_check)


def _menu_and_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--menu", type=Path, help="menu YAML (default: HOTLINE_MENU_PATH or the shipped menu)")
    parser.add_argument("--dir", type=Path, help="prompts folder (default: HOTLINE_PROMPTS_DIR)")


def _load(path: Path | None) -> Menu | None:
    try:
        return load_menu(path)
    except MenuConfigError as exc:
        print(exc, file=sys.stderr)
        return None


async def _prompts_build(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    menu = _load(args.menu or settings.menu_path)
    if menu is None:
        return 1
    prompts_dir: Path = args.dir or settings.prompts_dir
    builder = PromptBuilder(EspeakSox(voice=args.voice, speed=args.speed), prompts_dir)
    try:
        report = await builder.build(menu, force=args.force)
    except (PromptToolMissing, PromptBuildFailed) as exc:
        print(exc, file=sys.stderr)
        return 1
    print(
        f"提示音已生成到 {prompts_dir}：新生成 {len(report.built)} 个，未变化 {len(report.unchanged)} 个，"
        f"其中人工录音 {len(report.recorded)} 个，用时 {report.seconds:.1f} 秒"
    )
    for name in report.built:
        print(f"  生成 {name}")
    return 0


def _prompts_list(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    menu = _load(args.menu or settings.menu_path)
    if menu is None:
        return 1
    prompts_dir: Path = args.dir or settings.prompts_dir
    statuses = prompt_inventory(prompts_dir, menu)
    if args.json:
        print(json.dumps(inventory_as_dicts(statuses), ensure_ascii=False, indent=2))
        return 0
    print(f"提示音目录：{prompts_dir}")
    print(f"{_pad('名称', 24)}{_pad('状态', 14)}{_pad('时长', 8)}文本")
    for s in statuses:
        state = _STATE_ZH[s.state] + ("·需重建" if s.stale else "")
        duration = f"{s.duration_s:.1f}秒" if s.duration_s is not None else "-"
        text = s.text if len(s.text) <= 30 else s.text[:29] + "…"
        print(f"{_pad(s.name, 24)}{_pad(state, 14)}{_pad(duration, 8)}{text}")
    missing = [s.name for s in statuses if s.state == "missing" or s.stale]
    if missing:
        print(f"有 {len(missing)} 个提示音缺失或需要重建，请运行：hotline prompts build")
    return 0


def _pad(text: str, width: int) -> str:
    """Left-align `text` in `width` terminal columns (Chinese characters take two)."""
    used = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(1, width - used)


def _menu_check(args: argparse.Namespace) -> int:
    path: Path = args.file or Settings.from_env().menu_path or DEFAULT_MENU_PATH
    menu = _load(path)
    if menu is None:
        return 1
    print(
        f"菜单配置有效 (menu is valid)：{path}，{len(menu.nodes)} 个菜单节点，"
        f"{len(menu.destinations)} 个去向，{len(menu.prompts)} 条提示音文本"
    )
    for line in menu_tree(menu):
        print(line)
    for warning in wording_warnings(menu):
        print(f"提醒 (warning): {warning}")
    return 0


def menu_tree(menu: Menu) -> list[str]:
    """The menu as an indented tree of keys, for operators reading `hotline menu check`."""
    lines: list[str] = []

    def walk(node_id: str, depth: int, seen: tuple[str, ...]) -> None:
        node = menu.nodes[node_id]
        pad = "  " * depth
        lines.append(f"{pad}[{node.id}] {node.label or node.id}（提示音 {node.prompt}，{node.timeout_s:g} 秒，重试 {node.retries} 次）")
        for key, action in node.keys.items():
            match action:
                case GoTo(node=target):
                    if target in seen:
                        lines.append(f"{pad}  {key} → 回到 [{target}]")
                    else:
                        lines.append(f"{pad}  {key} →")
                        walk(target, depth + 2, (*seen, target))
                case RouteTo(destination=name, agent=agent):
                    lines.append(f"{pad}  {key} → {_destination_text(menu.destinations[name])}{'（人工）' if agent else ''}")
                case Repeat():
                    lines.append(f"{pad}  {key} → 重听")
                case Back():
                    lines.append(f"{pad}  {key} → 返回上级")

    lines.append(f"开场白 {menu.greeting_prompt}；非工作时间 {menu.closed_prompt} + 留言（最长 {menu.voice_message_max_s:g} 秒）")
    walk(menu.root, 0, (menu.root,))
    lines.append(f"重试用尽 → {_destination_text(menu.agent)}")
    return lines


def _destination_text(dest: Destination) -> str:
    label = dest.label or dest.name
    if dest.kind == "seat":
        return f"{label} [坐席 {dest.service or '人工'}]"
    if dest.kind == "transfer":
        return f"{label} [转拨号计划 {dest.context},{dest.extension},{dest.priority}]"
    return f"{label} [挂机]"
