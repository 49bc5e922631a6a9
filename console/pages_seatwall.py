"""The live seat wall (专席实时监控墙) for supervisors: callers waiting and the longest wait, agents by
state, service level, answered/abandoned today, and the Erlang-C staffing advice with its inputs.

`GET /seat/wall` renders it (complete without JavaScript: a reload shows the present); `seatwall.js`
polls `GET /seat/wall/data` every few seconds and updates the figures in place, without reloads. Both
read the running `SeatQueue` (callflow/seat) and the day's seat call records.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callflow.seat.domain import Agent, AgentState, WaitingCaller
from callflow.seat.orm import SeatCallRow
from callflow.seat.web import SEAT_QUEUE
from console.auth.services import SignedIn
from console.web import now, page, render, tz
from hotline.app import SESSIONS
from ticketing.domain.roles import SUPERVISORS

POLL_MS = 3000
STATE_ZH = {
    AgentState.AVAILABLE: "空闲",
    AgentState.RINGING: "振铃",
    AgentState.ON_CALL: "通话中",
    AgentState.WRAP_UP: "话后整理",
    AgentState.PAUSED: "小休",
    AgentState.OFFLINE: "未登录",
}
TODAY_OUTCOMES = ("answered", "abandoned", "overflowed", "callback")


def duration_zh(seconds: float | None) -> str:
    """12 → 12秒, 75 → 1分15秒, 3725 → 1小时2分; None or infinite → —."""
    if seconds is None or math.isinf(seconds) or math.isnan(seconds):
        return "—"
    whole = int(round(seconds))
    if whole < 60:
        return f"{whole}秒"
    if whole < 3600:
        return f"{whole // 60}分{whole % 60:02d}秒"
    return f"{whole // 3600}小时{whole % 3600 // 60}分"


def masked(number: str) -> str:
    """A caller's number on a wall others can see: 13800138000 → 138****8000."""
    return number[:3] + "****" + number[-4:] if len(number) >= 8 else number or "未知号码"


def percent(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.1f}%"


def wall_view(
    snapshot: Mapping[str, Any] | None,
    agents: Sequence[Agent],
    today: Mapping[str, int],
    at: datetime,
    zone: ZoneInfo,
    waiting: Sequence[WaitingCaller] = (),
) -> dict[str, Any]:
    """Everything the wall shows, as display text (pure): `fields` by name, and the agents' rows.

    `snapshot` is `SeatQueue.snapshot()` (None when the seat queue is not running)."""
    fields: dict[str, str] = {"updated": at.astimezone(zone).strftime("%H:%M:%S")}
    for outcome in TODAY_OUTCOMES:
        fields[f"today_{outcome}"] = str(today.get(outcome, 0))
    ended = sum(today.get(o, 0) for o in TODAY_OUTCOMES)
    fields["today_abandon_rate"] = percent(today.get("abandoned", 0) / ended if ended else None)
    if snapshot is None:
        return {"running": False, "fields": fields, "agents": [], "callers": []}
    fields["waiting"] = str(snapshot["waiting"])
    fields["longest_wait"] = duration_zh(snapshot["longest_wait_s"]) if snapshot["waiting"] else "—"
    for state in AgentState:
        fields[f"state_{state.value}"] = str(snapshot["agents_by_state"].get(state.value, 0))
    fields["working"] = str(
        sum(n for s, n in snapshot["agents_by_state"].items() if s not in (AgentState.OFFLINE, AgentState.PAUSED))
    )
    for window in snapshot["windows"]:
        m = window["minutes"]
        fields[f"sl_{m}"] = percent(window["service_level"])
        fields[f"offered_{m}"] = str(window["offered"])
        fields[f"answered_{m}"] = str(window["answered"])
        fields[f"abandoned_{m}"] = str(window["abandoned"])
        fields[f"aht_{m}"] = duration_zh(window["aht_s"])
        fields[f"asa_{m}"] = duration_zh(window["average_wait_s"])
    target = snapshot["target"]
    fields["target"] = f"{percent(target['service_level'])} 于 {duration_zh(target['answer_within_s'])}内接通"
    advice = snapshot["staffing"]
    fields["advice_agents"] = str(advice["agents"])
    fields["advice_offered"] = f"{advice['offered_calls']:.1f}"
    fields["advice_interval"] = f"{advice['interval_s'] / 60:.0f}分钟"
    fields["advice_aht"] = duration_zh(advice["aht_s"])
    fields["advice_traffic"] = f"{advice['traffic_erlangs']:.2f}"
    fields["advice_target"] = f"{percent(advice['target_sl'])} / {duration_zh(advice['target_answer_s'])}"
    fields["advice_pw"] = percent(advice["probability_of_wait"])
    fields["advice_sl"] = percent(advice["expected_sl"])
    fields["advice_asa"] = duration_zh(advice["average_speed_of_answer_s"])
    shortfall = advice["agents"] - int(fields["working"])
    if snapshot["waiting"] and fields["working"] == "0":
        fields["advice_gap"] = "有来电排队但无坐席在岗，请立即安排坐席"
    elif shortfall > 0:
        fields["advice_gap"] = f"建议增加 {shortfall} 名坐席"
    else:
        fields["advice_gap"] = "当前在岗坐席足够" if advice["agents"] else "当前无来电压力"
    rows = [
        {
            "agent": a.id,
            "name": a.name or a.id,
            "state": a.state.value,
            "state_zh": STATE_ZH[a.state] + (f"（{a.reason}）" if a.state is AgentState.PAUSED and a.reason else ""),
            "since": a.since.astimezone(zone).strftime("%H:%M:%S") if a.since else "—",
            "for": duration_zh((at - a.since).total_seconds()) if a.since else "—",
            "answered": str(a.calls_answered),
        }
        for a in sorted(agents, key=lambda a: (list(STATE_ZH).index(a.state), a.id))
    ]
    names = {a.id: a.name or a.id for a in agents}
    callers = [
        {
            "position": str(n),
            "number": masked(c.number),
            "waited": duration_zh((at - c.entered_at).total_seconds()),
            "ringing": "、".join(sorted(names.get(a, a) for a in c.ringing)) or "—",
        }
        for n, c in enumerate(waiting, start=1)
    ]
    return {"running": True, "fields": fields, "agents": rows, "callers": callers}


async def today_counts(sessions: async_sessionmaker[AsyncSession], since: datetime) -> dict[str, int]:
    """How the seat's calls queued since `since` (local midnight) ended, by disposition (今日接通/放弃)."""
    query = (
        select(SeatCallRow.disposition, func.count())
        .where(SeatCallRow.queued_at >= since)
        .group_by(SeatCallRow.disposition)
    )
    async with sessions() as session:
        return {str(disposition): int(count) for disposition, count in (await session.execute(query)).all()}


async def _wall(request: web.Request) -> dict[str, Any]:
    zone = tz(request)
    local = now(request).astimezone(zone)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    today = await today_counts(request.app[SESSIONS], midnight)
    queue = request.app[SEAT_QUEUE] if SEAT_QUEUE in request.app else None
    if queue is None:
        return wall_view(None, [], today, local, zone)
    seat = queue.seat
    return wall_view(queue.snapshot(), list(seat.agents.values()), today, queue.now(), zone, list(seat.waiting))


@page(*SUPERVISORS)
async def wall(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    return render(
        request, "seat_wall.html", wall=await _wall(request), state_zh=STATE_ZH, poll_ms=POLL_MS
    )


@page(*SUPERVISORS)
async def wall_data(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    response = web.json_response(await _wall(request), dumps=lambda v: json.dumps(v, ensure_ascii=False))
    response.headers["Cache-Control"] = "no-store"
    return response


ROUTES = [
    ("GET", "/seat/wall", wall),
    ("GET", "/seat/wall/data", wall_data),
]
