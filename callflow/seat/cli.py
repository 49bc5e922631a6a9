"""`hotline seat add|remove|list|login|logout|pause|resume|stats`: the dedicated seat from a terminal.

The seat lives in the running service, so these commands go through its API (`/api/v1/seat/...`)
at `--url` (default HOTLINE_PUBLIC_URL) with an API token (`--token` or HOTLINE_API_TOKEN; create one
with the user commands). Output is in Chinese, for the people who run the hotline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from typing import Any, TextIO

import aiohttp

STATE_ZH = {
    "offline": "未登录",
    "available": "空闲",
    "ringing": "振铃",
    "on_call": "通话中",
    "wrap_up": "话后整理",
    "paused": "小休",
}


class CliError(Exception):
    pass


async def _request(args: argparse.Namespace, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    token = args.token or os.environ.get("HOTLINE_API_TOKEN", "")
    if not token:
        raise CliError("缺少 API 令牌：请用 --token 或环境变量 HOTLINE_API_TOKEN (missing API token)")
    url = f"{args.url.rstrip('/')}/api/v1{path}"
    try:
        async with aiohttp.ClientSession() as session, session.request(
            method, url, json=body, headers={"Authorization": f"Bearer {token}"},
            timeout=aiohttp.ClientTimeout(total=10),
        ) as resp:
            data = await resp.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise CliError(f"无法连接服务 {args.url}：{exc} (is `hotline serve` running?)") from exc
    if resp.status >= 400:
        message = data.get("message") if isinstance(data, dict) else data
        raise CliError(f"操作失败 ({resp.status})：{message}")
    return data


def _agent_line(agent: dict[str, Any]) -> str:
    state = STATE_ZH.get(agent["state"], agent["state"])
    if agent.get("reason") and agent["state"] == "paused":
        state += f"（{agent['reason']}）"
    endpoint = agent.get("endpoint") or "-"
    return f"{agent['agent']:<12} {agent.get('name') or '':<8} {endpoint:<20} {state}"


async def run(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    """One `hotline seat ...` command; returns the exit status."""
    try:
        command = args.seat_command
        if command == "list":
            data = await _request(args, "GET", "/seat/members")
            print(f"{'工号':<12} {'姓名':<8} {'终端':<20} 状态", file=out)
            for agent in data["agents"]:
                print(_agent_line(agent), file=out)
            print(f"共 {len(data['agents'])} 名专席坐席", file=out)
        elif command == "add":
            body = {"agent": args.agent, "name": args.name or "", "endpoint": args.endpoint}
            agent = await _request(args, "POST", "/seat/members", body)
            print(f"已将坐席 {agent['agent']} 加入专席：{_agent_line(agent)}", file=out)
        elif command == "remove":
            await _request(args, "DELETE", f"/seat/members/{args.agent}")
            print(f"已将坐席 {args.agent} 移出专席", file=out)
        elif command in ("login", "logout", "pause", "resume"):
            body = {}
            if command == "login":
                body["endpoint"] = args.endpoint
            if command == "pause":
                body["reason"] = args.reason
            agent = await _request(args, "POST", f"/seat/agents/{args.agent}/{command}", body)
            print(f"坐席 {agent['agent']} 现在：{STATE_ZH.get(agent['state'], agent['state'])}", file=out)
        elif command == "stats":
            stats = await _request(args, "GET", "/seat/stats")
            if args.json:
                print(json.dumps(stats, ensure_ascii=False, indent=2), file=out)
            else:
                _print_stats(stats, out)
        return 0
    except CliError as exc:
        print(str(exc), file=sys.stderr)
        return 1


def _print_stats(stats: dict[str, Any], out: TextIO) -> None:
    print(f"专席实时监控 {stats['at']}", file=out)
    print(f"排队等待 {stats['waiting']} 通，最长等待 {stats['longest_wait_s']:.0f} 秒", file=out)
    states = "，".join(f"{STATE_ZH.get(k, k)} {v}" for k, v in stats["agents_by_state"].items())
    print(f"坐席状态：{states}", file=out)
    for w in stats["windows"]:
        sl = "-" if w["service_level"] is None else f"{w['service_level'] * 100:.1f}%"
        aht = "-" if w["aht_s"] is None else f"{w['aht_s']:.0f} 秒"
        print(
            f"近 {w['minutes']} 分钟：呼入 {w['offered']}，接通 {w['answered']}，放弃 {w['abandoned']}，"
            f"溢出 {w['overflowed']}，回拨 {w['callback']}，服务水平 {sl}，平均处理时长 {aht}",
            file=out,
        )
    s = stats["staffing"]
    print(
        f"人力建议（Erlang C）：下一时段需 {s['agents']} 名坐席（预计服务水平 {s['expected_sl'] * 100:.1f}%，"
        f"等待概率 {s['probability_of_wait'] * 100:.1f}%）；依据：预计来电 {s['offered_calls']} 通/"
        f"{s['interval_s'] / 60:.0f} 分钟，平均处理时长 {s['aht_s']:.0f} 秒，"
        f"目标 {s['target_sl'] * 100:.0f}% 在 {s['target_answer_s']:.0f} 秒内接听",
        file=out,
    )


def _main(args: argparse.Namespace) -> int:
    return asyncio.run(run(args))


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from hotline.settings import Settings

    seat = sub.add_parser("seat", help="the dedicated seat (专席): members, agent states, live statistics")
    seat.add_argument("--url", default=Settings.from_env().public_url, help="the running service")
    seat.add_argument("--token", default="", help="API token (default: HOTLINE_API_TOKEN)")
    seatsub = seat.add_subparsers(dest="seat_command", required=True)
    seatsub.add_parser("list", help="members and their states")
    add = seatsub.add_parser("add", help="add an agent to the seat (supervisor)")
    add.add_argument("agent")
    add.add_argument("--name", default="")
    add.add_argument("--endpoint", default=None, help="log in at once with this endpoint, e.g. PJSIP/agent101")
    remove = seatsub.add_parser("remove", help="remove an agent from the seat (supervisor)")
    remove.add_argument("agent")
    login = seatsub.add_parser("login", help="log an agent in with its endpoint")
    login.add_argument("agent")
    login.add_argument("endpoint", help="e.g. PJSIP/agent101")
    logout = seatsub.add_parser("logout", help="log an agent out")
    logout.add_argument("agent")
    pause = seatsub.add_parser("pause", help="pause an agent, with a reason")
    pause.add_argument("agent")
    pause.add_argument("--reason", default="小休")
    resume = seatsub.add_parser("resume", help="an agent takes calls again")
    resume.add_argument("agent")
    stats = seatsub.add_parser("stats", help="live statistics and Erlang C staffing advice")
    stats.add_argument("--json", action="store_true")
    seat.set_defaults(func=_main)
