"""The agent console's one WebSocket (`/agent/ws`): everything the desk shows is pushed here, and the
agent's commands come back on it (坐席工作台实时通道).

Refused (HTTP 403 before the upgrade) without a valid console session, for a role other than agent,
supervisor or admin, and when the `Origin` header is not this site's. The server pushes JSON messages
(`type` first): `hello`, `seat`, `call.bridged`, `call.ended`, `transcript`, `suggestions`, `draft`,
`kb.results`, `kb.entry`, `experts`, `expert`, `hold`, `order.done`, `error`. The browser sends commands
(`type`, optional `ref` echoed in the answer): `seat.available`, `seat.pause` {reason}, `kb.search` {q},
`kb.open` {entry_id, q}, `experts` {topic}, `expert.start` {topic}, `expert.join|leave|cancel`,
`hold` {on}, `draft`, `order.answer` / `order.dispatch` {form fields, answer, kb_entry_id}.

Seat events come from `SeatQueue.bridged_call_hooks` (the bridged call's `on_answered` / `on_ended`)
and its `changed` condition; live text from `app[LIVE].transcripts.subscribe(call_id)`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from aiohttp import WSMsgType, web

from asr.transcript import Segment
from callflow.seat.bridged import BridgedCall
from callflow.seat.domain import SeatError
from callflow.seat.hold import hold_caller, resume_caller
from callflow.seat.services import SeatQueue
from console import agent_domain as desk
from console.adapters.agent_store import AgentDeskStore
from console.auth.domain import SESSION_COOKIE
from console.auth.identity import signed_in
from console.auth.services import SignedIn
from hotline.app import SESSIONS, SETTINGS
from ticketing.domain.errors import TicketingError
from ticketing.domain.roles import Role

log = logging.getLogger(__name__)

DESK_ROLES = (Role.AGENT, Role.SUPERVISOR, Role.ADMIN)
SUGGEST_EVERY_S = 1.0
"""Knowledge suggestions are refreshed at most this often (real seconds) while finals arrive."""
REFRESH_S = 0.5
"""The seat and expert state are compared at least this often (and on every seat change)."""
RECHECK_S = 60.0
"""The console session is checked again this often (and before every command): signed out → closed."""
SIGNED_OUT = 4401
"""WebSocket close code when the console session has ended (the page then goes to the sign-in page)."""


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def same_origin(request: web.Request) -> bool:
    """The WebSocket's `Origin` is this site (the address the browser used, or HOTLINE_PUBLIC_URL)."""
    origin = request.headers.get("Origin")
    if not origin:
        return False
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False
    if parts.netloc == request.host:
        return True
    public = urlsplit(request.app[SETTINGS].public_url or "")
    return bool(public.netloc) and (parts.scheme, parts.netloc) == (public.scheme, public.netloc)


# --- the desk: every connection, and the seat's hooks -------------------------------------------------


class AgentDesk:
    """All open agent consoles of the service, by seat agent id; hooked into the seat queue."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.viewers: set[Viewer] = set()
        self._store: AgentDeskStore | None = None
        self.queue: SeatQueue | None = None
        self.on_hold: dict[str, bool] = {}
        """Calls whose caller the agent put on hold (out of the bridge, music on hold), by call id."""
        self._extractor: Any = None
        self._labels: dict[str, str] | None = None
        self._extractor_lock = asyncio.Lock()

    @property
    def store(self) -> AgentDeskStore:
        if self._store is None:  # the database's sessions exist once the service has started
            self._store = AgentDeskStore(self.app[SESSIONS])
        return self._store

    def attach(self, queue: SeatQueue) -> None:
        """Listen to the seat: every bridged call tells its agent's consoles when it starts and ends."""
        if self.queue is queue:
            return
        self.queue = queue
        queue.bridged_call_hooks.append(self._hook)

    def _hook(self, call: BridgedCall) -> None:
        # first in line: the pop only hands over to the console's task, so it need not wait for the
        # recording and live-text set-ups that other hooks await
        call.on_answered.insert(0, self._answered)
        call.on_ended.append(self._ended)

    def viewers_of(self, agent_id: str) -> list[Viewer]:
        return [v for v in self.viewers if v.agent_id == agent_id]

    async def _answered(self, call: BridgedCall) -> None:
        # runs in the caller session's worker: hand over to each console's own task at once
        for viewer in self.viewers_of(call.agent.who):
            viewer.spawn(viewer.call_bridged(call), f"agent-pop-{call.call_id}")

    async def _ended(self, call: BridgedCall) -> None:
        self.on_hold.pop(call.call_id, None)
        for viewer in self.viewers_of(call.agent.who):
            viewer.spawn(viewer.call_ended(call), f"agent-end-{call.call_id}")

    def current_call(self, agent_id: str) -> BridgedCall | None:
        """The bridged call the agent is in right now (a console opened mid-call pops it up too)."""
        if self.queue is None:
            return None
        for session in self.queue.callers.values():
            call = session.bridged
            if call is not None and call.ended_at is None and call.agent.who == agent_id:
                return call
        return None

    def node_labels(self) -> dict[str, str]:
        """Menu node id → its Chinese label (营商环境专线), from the configured menu; {} if it cannot load."""
        if self._labels is None:
            from ivr.config import load_menu

            try:
                menu = load_menu(self.app[SETTINGS].menu_path)
                self._labels = {name: node.label for name, node in menu.nodes.items() if node.label}
            except Exception as exc:  # the menu check page reports it; node ids are shown meanwhile
                log.warning("agent console: menu labels not loaded (%s)", exc)
                self._labels = {}
        return self._labels

    async def extractor(self) -> Any:
        """The draft extractor (jieba and the rule files load once, in a thread)."""
        async with self._extractor_lock:
            if self._extractor is None:
                from asr.data import default_extractor

                self._extractor = await asyncio.to_thread(default_extractor)
        return self._extractor

    async def close(self) -> None:
        for viewer in list(self.viewers):
            await viewer.ws.close(code=1001, message=b"service stopping")


AGENT_DESK = web.AppKey("console_agent_desk", AgentDesk)


# --- one console --------------------------------------------------------------------------------------


@dataclass
class CallView:
    """The call on the agent's screen."""

    call: BridgedCall
    caller_number: str
    history_enterprise: str | None = None
    suggested: dict[str, str] = field(default_factory=dict)
    finals: list[Segment] = field(default_factory=list)
    transcript_task: asyncio.Task[None] | None = None
    suggest_task: asyncio.Task[None] | None = None
    suggest_due: bool = False
    order_number: str | None = None
    """The work order registered from this call on this desk (one per call)."""


class Viewer:
    """One open agent console (one WebSocket)."""

    def __init__(
        self, desk_: AgentDesk, ws: web.WebSocketResponse, signed: SignedIn, agent_id: str | None, token: str = ""
    ) -> None:
        self.token = token
        self.desk = desk_
        self.app = desk_.app
        self.ws = ws
        self.signed = signed
        self.agent_id = agent_id
        self.view: CallView | None = None
        self.last_call: CallView | None = None
        """The call that ended last: the draft may still be completed and dispatched in wrap-up."""
        self._send_lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self._last_seat: dict[str, Any] | None = None
        self._last_expert: dict[str, Any] | None = None
        self._last_suggest = 0.0

    # --- sending ---
    async def send(self, kind: str, **data: Any) -> None:
        if self.ws.closed:
            return
        async with self._send_lock:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await self.ws.send_str(_dumps({"type": kind, **data}))

    async def fail(self, ref: Any, error_id: str, message: str) -> None:
        await self.send("error", ref=ref, error=error_id, message=message)

    def spawn(self, coro: Any, name: str) -> None:
        task = asyncio.get_running_loop().create_task(self._guard(coro), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _guard(self, coro: Any) -> None:
        try:
            await coro
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("agent console of %s: a push failed", self.agent_id)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def still_signed_in(self) -> bool:
        """The session is still alive (not signed out, expired or deactivated); otherwise close."""
        from console.auth.identity import SIGN_IN

        if SIGN_IN in self.app and await self.app[SIGN_IN].resolve(self.token) is not None:
            return True
        await self.ws.close(code=SIGNED_OUT, message="会话已结束，请重新登录".encode())
        return False

    async def recheck(self) -> None:
        while not self.ws.closed:
            await asyncio.sleep(RECHECK_S)
            if not await self.still_signed_in():
                return

    # --- seat state ---
    def seat_state(self) -> dict[str, Any]:
        queue = self.desk.queue
        if queue is None:
            return {"enabled": False, "message": "专席队列未启用 (the seat queue is not running)"}
        agent = queue.seat.agents.get(self.agent_id or "")
        state: dict[str, Any] = {"enabled": True, "waiting": len(queue.seat.waiting), "agent_id": self.agent_id}
        if agent is None:
            state.update(member=False, state="offline", state_zh="不是专席成员", reason=None)
        else:
            state.update(
                member=True,
                state=agent.state.value,
                state_zh=desk.SEAT_STATE_ZH.get(agent.state.value, agent.state.value),
                reason=agent.reason if agent.state.value == "paused" else None,
                name=agent.name,
                calls_answered=agent.calls_answered,
            )
        return state

    async def push_seat(self, force: bool = False) -> None:
        state = self.seat_state()
        if force or state != self._last_seat:
            self._last_seat = state
            await self.send("seat", **state)
        await self.push_expert()

    async def push_expert(self) -> None:
        from callflow.seat.expert_web import EXPERT_CALLS

        if self.view is None or EXPERT_CALLS not in self.app:
            return
        state = self.app[EXPERT_CALLS].state(self.view.call.call_id)
        if state is not None and state != self._last_expert:
            self._last_expert = state
            await self.send("expert", **state)

    async def watch_seat(self) -> None:
        """Push the seat state whenever it changes (the queue's condition, or at least every REFRESH_S)."""
        while not self.ws.closed:
            await self.push_seat()
            queue = self.desk.queue
            if queue is None:
                await asyncio.sleep(REFRESH_S * 4)
                continue
            async with queue.changed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(queue.changed.wait(), REFRESH_S)

    # --- the call ---
    async def call_bridged(self, call: BridgedCall) -> None:
        """The screen pop (来电弹屏): caller, enterprise, IVR path, history with repeat hints."""
        if self.view is not None and self.view.call is call:
            return
        number = call.caller.who
        view = CallView(call, number)
        self.view = view
        self._last_expert = None
        history = await self.desk.store.history(number)
        view.history_enterprise = desk.enterprise_of(history)
        ivr = self._ivr_path(call.call_id)
        now = datetime.now(history[0].received_at.tzinfo) if history else call.agent.joined_at
        await self.send(
            "call.bridged",
            call_id=call.call_id,
            caller_number=number,
            enterprise=view.history_enterprise,
            ivr=ivr,
            answered_at=call.agent.joined_at.isoformat(),
            history=[o.as_json() for o in history],
            hints=desk.history_hints(history, max(now, call.agent.joined_at)),
            on_hold=self.desk.on_hold.get(call.call_id, False),
        )
        view.transcript_task = asyncio.get_running_loop().create_task(
            self._guard(self.follow_transcript(view)), name=f"agent-text-{call.call_id}"
        )
        self._tasks.add(view.transcript_task)
        view.transcript_task.add_done_callback(self._tasks.discard)
        await self.push_draft(view, "live")

    def _ivr_path(self, call_id: str) -> dict[str, Any]:
        queue = self.desk.queue
        session = queue.callers.get(call_id) if queue is not None else None
        if session is None:
            return {"steps": [], "service": None, "service_zh": "", "destination": None}
        record = session.record
        labels = self.desk.node_labels()
        steps = [{**p.as_json(), "label": labels.get(p.node, p.node)} for p in record.path] if record else []
        service = session.request.service
        return {
            "steps": steps,
            "text": session.request.path_text,
            "service": service,
            "service_zh": desk.SERVICE_ZH.get(service or "", "营商环境专线人工服务"),
            "destination": session.request.destination,
        }

    async def call_ended(self, call: BridgedCall) -> None:
        view = self.view
        if view is None or view.call is not call:
            return
        self.last_call, self.view = view, None
        await self.send("call.ended", call_id=call.call_id, ended_by=call.ended_by)

    async def follow_transcript(self, view: CallView) -> None:
        """Live text: partials replace, finals append; knowledge suggestions follow the finals."""
        from callflow.seat.live_web import LIVE

        if LIVE not in self.app:
            return
        wiring = self.app[LIVE]
        call_id = view.call.call_id
        # live text starts once the engine opened its streams (in the background after the answer)
        while wiring.transcripts.agent_of(call_id) is None:
            no_text = wiring.transcriber is not None and call_id in wiring.transcriber.without_text
            if view.call.ended_at is not None or no_text or wiring.transcriber is None:
                return
            await asyncio.sleep(0.05)
        async for segment in wiring.transcripts.subscribe(call_id):
            await self.send("transcript", call_id=call_id, **segment.to_json())
            if segment.final and segment.text:
                view.finals.append(segment)
                self.suggest_soon(view)

    def suggest_soon(self, view: CallView) -> None:
        """Refresh the suggestions from what was said: at once, or (if one was just sent) once
        SUGGEST_EVERY_S has passed since — one refresh covers every final that came meanwhile."""
        view.suggest_due = True
        if view.suggest_task is not None and not view.suggest_task.done():
            return

        async def refresh() -> None:
            loop = asyncio.get_running_loop()
            while view.suggest_due:
                wait = self._last_suggest + SUGGEST_EVERY_S - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                view.suggest_due = False
                self._last_suggest = loop.time()
                await self.push_suggestions(view)

        view.suggest_task = asyncio.get_running_loop().create_task(
            self._guard(refresh()), name=f"agent-suggest-{view.call.call_id}"
        )
        self._tasks.add(view.suggest_task)
        view.suggest_task.add_done_callback(self._tasks.discard)

    def _said(self, view: CallView) -> str:
        return " ".join(s.text for s in view.finals)

    async def push_suggestions(self, view: CallView) -> None:
        from knowledge.web import KNOWLEDGE, found_json

        text = self._said(view)
        if not text or KNOWLEDGE not in self.app:
            return
        found = await self.app[KNOWLEDGE].suggest(text, 5)
        await self.send("suggestions", call_id=view.call.call_id, items=[found_json(f) for f in found])

    async def units(self) -> list[desk.Unit]:
        from ticketing.web import DIRECTORY

        return [desk.Unit(u.id, u.name) for u in await self.app[DIRECTORY].units()]

    async def push_draft(self, view: CallView, prefer: str = "transcription", ref: Any = None) -> None:
        """The draft work order: the call's transcription draft when there is one, else from live text."""
        from asr.domain.transcript import Turn

        units = await self.units()
        form = None
        if prefer == "transcription":
            job = await self._transcription_job(view.call.call_id)
            if job is not None and job.draft:
                content = "\n".join(
                    f"{'来电人' if t.get('speaker') == 'caller' else '话务员'}：{t.get('text', '')}"
                    for t in (job.transcript or {}).get("turns", [])
                )
                form = desk.form_from_draft(job.draft, units, view.caller_number, content, "transcription")
        if form is None and view.finals:
            turns = [Turn(s.speaker, s.text) for s in view.finals]
            extractor = await self.desk.extractor()
            draft = extractor.draft(turns).to_dict()
            content = "\n".join(f"{'来电人' if t.speaker == 'caller' else '话务员'}：{t.text}" for t in turns)
            form = desk.form_from_draft(draft, units, view.caller_number, content, "live")
        if form is None:
            form = desk.OrderForm(contact=view.caller_number, enterprise=view.history_enterprise or "")
            service = self._ivr_path(view.call.call_id).get("service")
            if service in desk.SERVICE_ZH:
                form.service = str(service)
                form.order_class = {"complaint": "complaint", "difficult_matter": "complaint",
                                    "suggestion": "suggestion"}.get(str(service), "consultation")
        if not form.enterprise and view.history_enterprise:
            form.enterprise = view.history_enterprise
        view.suggested = form.fields()
        await self.send(
            "draft", ref=ref, call_id=view.call.call_id, form=form.as_json(),
            units=[{"id": u.id, "name": u.name} for u in units],
        )

    async def _transcription_job(self, call_id: str) -> Any:
        from hotline.transcription import TRANSCRIPTION_QUEUE

        if TRANSCRIPTION_QUEUE not in self.app:
            return None
        return await self.app[TRANSCRIPTION_QUEUE].get(call_id)

    # --- commands ---
    async def handle(self, message: dict[str, Any]) -> None:
        kind = str(message.get("type") or "")
        ref = message.get("ref")
        handler = COMMANDS.get(kind)
        if handler is None:
            await self.fail(ref, "agent-unknown-command", f"未知指令 (unknown command): {kind}")
            return
        try:
            await handler(self, message)
        except desk.AgentConsoleError as exc:
            await self.fail(ref, exc.error_id, exc.message)
        except SeatError as exc:
            await self.fail(ref, exc.error_id, str(exc))
        except TicketingError as exc:
            await self.fail(ref, exc.error_id, exc.message)
        except Exception as exc:
            error_id = getattr(exc, "error_id", None)
            if not isinstance(error_id, str):
                raise
            await self.fail(ref, error_id, str(getattr(exc, "message", exc)))

    def _require_agent(self) -> str:
        if not self.agent_id:
            raise desk.AgentConsoleError("您不是专席坐席 (you are not an agent of the seat)", "agent-not-seat-member")
        return self.agent_id

    def _require_queue(self) -> SeatQueue:
        if self.desk.queue is None:
            raise desk.AgentConsoleError("专席队列未启用 (the seat queue is not running)", "seat-unavailable")
        return self.desk.queue

    def _call(self, message: dict[str, Any], ended_too: bool = False) -> CallView:
        view = self.view or (self.last_call if ended_too else None)
        wanted = message.get("call_id")
        if view is None or (wanted and wanted != view.call.call_id):
            raise desk.AgentConsoleError("当前没有通话 (no call on your desk)", "agent-no-call")
        return view


Command = Callable[[Viewer, dict[str, Any]], Any]


async def seat_available(viewer: Viewer, message: dict[str, Any]) -> None:
    agent_id = viewer._require_agent()
    queue = viewer._require_queue()
    agent = queue.seat.agents.get(agent_id)
    if agent is not None and agent.state.value == "offline":
        endpoint = str(message.get("endpoint") or agent.endpoint or f"PJSIP/{agent_id}")
        await queue.login(agent_id, endpoint)
    else:
        await queue.resume(agent_id)
    await viewer.push_seat()


async def seat_pause(viewer: Viewer, message: dict[str, Any]) -> None:
    agent_id = viewer._require_agent()
    reason = str(message.get("reason") or "").strip()[:40] or desk.PAUSE_REASONS[0]
    await viewer._require_queue().pause(agent_id, reason)
    await viewer.push_seat()


async def kb_search(viewer: Viewer, message: dict[str, Any]) -> None:
    from knowledge.web import KNOWLEDGE, found_json

    q = str(message.get("q") or "").strip()[:200]
    found = await viewer.app[KNOWLEDGE].search(q, 8) if q else []
    await viewer.send("kb.results", ref=message.get("ref"), q=q, items=[found_json(f) for f in found])


async def kb_open(viewer: Viewer, message: dict[str, Any]) -> None:
    """The agent opens an entry: shown in full, and counted as a hit (命中) for its unit's list."""
    from knowledge.domain.entry import visibility
    from knowledge.web import KNOWLEDGE, entry_json

    entry_text = str(message.get("entry_id") or "")
    if not entry_text.isdigit():
        raise desk.AgentConsoleError("缺少知识条目编号 (missing entry_id)", "agent-form-invalid")
    service = viewer.app[KNOWLEDGE]
    actor = viewer.signed.actor
    detail = await service.get(actor, int(entry_text))
    view = viewer.view or viewer.last_call
    hits = await service.record_hit(
        actor, int(entry_text), str(message.get("q") or "") or None, view.call.call_id if view else None
    )
    state = visibility(detail.entry, service.today())
    await viewer.send("kb.entry", ref=message.get("ref"), entry=entry_json(detail.entry, state), hits=hits)


async def experts(viewer: Viewer, message: dict[str, Any]) -> None:
    from knowledge.web import EXPERTS, pick_json

    topic = str(message.get("topic") or "").strip()[:60]
    picks = await viewer.app[EXPERTS].pick(topic) if topic and EXPERTS in viewer.app else []
    await viewer.send("experts", ref=message.get("ref"), topic=topic, items=[pick_json(p) for p in picks])


async def expert_action(viewer: Viewer, message: dict[str, Any]) -> None:
    from callflow.seat.expert_web import EXPERT_CALLS

    view = viewer._call(message)
    if EXPERT_CALLS not in viewer.app:
        raise desk.AgentConsoleError("专家三方通话未启用 (expert calls are off)", "seat-unavailable")
    calls = viewer.app[EXPERT_CALLS]
    action = str(message["type"]).split(".", 1)[1]
    call_id = view.call.call_id
    if action == "start":
        topic = str(message.get("topic") or "").strip()
        if not topic:
            raise desk.AgentConsoleError("请填写咨询主题 (missing topic)", "agent-form-invalid")
        expert = await calls.start(call_id, topic)
    elif action == "join":
        expert = await calls.join(call_id)
    elif action == "leave":
        expert = await calls.leave(call_id)
    else:
        expert = await calls.cancel(call_id)
    viewer._last_expert = expert.as_json()
    await viewer.send("expert", ref=message.get("ref"), **expert.as_json())


async def hold(viewer: Viewer, message: dict[str, Any]) -> None:
    """Hold / resume the caller: out of the bridge with music on hold, then back (callflow/seat/hold.py)."""
    view = viewer._call(message)
    queue = viewer._require_queue()
    on = bool(message.get("on"))
    if on != viewer.desk.on_hold.get(view.call.call_id, False):
        if on:
            await hold_caller(queue.client, view.call, queue.config.moh_class)
        else:
            await resume_caller(queue.client, view.call)
    viewer.desk.on_hold[view.call.call_id] = on
    await viewer.send("hold", ref=message.get("ref"), call_id=view.call.call_id, on=on)


async def draft(viewer: Viewer, message: dict[str, Any]) -> None:
    await viewer.push_draft(viewer._call(message, ended_too=True), ref=message.get("ref"))


async def order(viewer: Viewer, message: dict[str, Any]) -> None:
    """当场答复并办结 (`order.answer`) or 登记并派单 (`order.dispatch`), recording suggestion vs choice."""
    from ticketing.domain import workorder as wo
    from ticketing.web import WORKORDERS

    action = str(message["type"]).split(".", 1)[1]
    view = viewer._call(message, ended_too=True)
    if view.order_number is not None:
        raise desk.AgentConsoleError(
            f"本通话已登记工单 {view.order_number} (this call's work order is registered already)", "agent-order-exists"
        )
    form = message.get("form")
    chosen = desk.read_form(form if isinstance(form, dict) else {}, action)
    service = viewer.app[WORKORDERS]
    actor = viewer.signed.actor
    call_id = view.call.call_id
    existing = await viewer.desk.store.order_of_call(call_id)
    if existing is None:
        row = await service.create_draft(
            actor,
            source=wo.Source.CALL,
            details=chosen.details,
            call_id=call_id,
            received_at=view.call.caller.joined_at,
        )
    else:
        row = existing
    if action == "answer":
        answer = chosen.answer
        row = await service.register(
            actor, row.id, order_class=chosen.order_class, service=chosen.service, complexity=chosen.complexity,
            answered_on_line=True, result=answer, details=chosen.details,
        )
    else:
        await service.register(
            actor, row.id, order_class=chosen.order_class, service=chosen.service, complexity=chosen.complexity,
            details=chosen.details,
        )
        row = await service.dispatch(actor, row.id, chosen.unit_id)
    view.order_number = row.number
    suggested = view.suggested or desk.OrderForm().fields()
    changed = desk.changed_fields(suggested, chosen.fields)
    assert actor.id is not None
    await viewer.desk.store.record_decision(
        work_order_id=row.id, call_id=call_id, user_id=actor.id, action="answered" if action == "answer" else "dispatched",
        suggested=suggested, chosen=chosen.fields, changed=changed, kb_entry_id=chosen.kb_entry_id,
        at=datetime.now(row.received_at.tzinfo),
    )
    log.info("agent %s: work order %s %s (changed: %s)", viewer.signed.login, row.number, action, ",".join(changed))
    await viewer.send(
        "order.done", ref=message.get("ref"), action=action, call_id=call_id, work_order_id=row.id,
        number=row.number, state=row.state, state_zh=wo.State(row.state).label_zh, changed=changed,
    )


COMMANDS: dict[str, Command] = {
    "seat.available": seat_available,
    "seat.pause": seat_pause,
    "kb.search": kb_search,
    "kb.open": kb_open,
    "experts": experts,
    "expert.start": expert_action,
    "expert.join": expert_action,
    "expert.leave": expert_action,
    "expert.cancel": expert_action,
    "hold": hold,
    "draft": draft,
    "order.answer": order,
    "order.dispatch": order,
}


# --- the handler ----------------------------------------------------------------------------------------


def desk_of(app: web.Application) -> AgentDesk:
    from callflow.seat.web import SEAT_QUEUE

    if AGENT_DESK not in app:
        raise RuntimeError("the agent desk is set up with the console")
    found = app[AGENT_DESK]
    if SEAT_QUEUE in app:
        found.attach(app[SEAT_QUEUE])
    return found


def agent_id_for(request: web.Request, signed: SignedIn, queue: SeatQueue | None) -> str | None:
    """Agents sit at their own seat (login, else name: `desk.seat_agent_ids`); supervisors and admins
    look at the agent named in `?agent=`."""
    if signed.actor.role is not Role.AGENT:
        return request.query.get("agent") or None
    ids = desk.seat_agent_ids(signed.login, signed.actor.name)
    if queue is not None:
        for agent_id in ids:
            if agent_id in queue.seat.agents:
                return agent_id
    return ids[0] if ids else None


async def agent_ws(request: web.Request) -> web.StreamResponse:
    signed = signed_in(request)
    if signed is None:
        raise web.HTTPForbidden(text="请先登录 (sign in first)")
    if signed.actor.role not in DESK_ROLES:
        raise web.HTTPForbidden(text="坐席工作台不对您的角色开放 (not for your role)")
    if not same_origin(request):
        log.warning("agent console: cross-origin WebSocket refused (origin=%s)", request.headers.get("Origin"))
        raise web.HTTPForbidden(text="来源不符 (cross-origin WebSocket refused)")
    found = desk_of(request.app)
    ws = web.WebSocketResponse(heartbeat=30)
    await ws.prepare(request)
    token = request.cookies.get(SESSION_COOKIE, "")
    viewer = Viewer(found, ws, signed, agent_id_for(request, signed, found.queue), token)
    found.viewers.add(viewer)
    try:
        await viewer.send(
            "hello", me={"login": signed.login, "name": signed.actor.name, "role": signed.actor.role.value},
            agent_id=viewer.agent_id, pause_reasons=list(desk.PAUSE_REASONS),
        )
        viewer.spawn(viewer.watch_seat(), "agent-seat")
        viewer.spawn(viewer.recheck(), "agent-session")
        call = found.current_call(viewer.agent_id or "")
        if call is not None:
            viewer.spawn(viewer.call_bridged(call), "agent-pop")
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            try:
                data = json.loads(msg.data)
            except ValueError:
                await viewer.fail(None, "agent-bad-message", "消息不是合法的 JSON (invalid JSON)")
                continue
            if not await viewer.still_signed_in():
                break
            if isinstance(data, dict):
                viewer.spawn(viewer.handle(data), f"agent-cmd-{data.get('type')}")
    finally:
        found.viewers.discard(viewer)
        await viewer.stop()
    return ws


async def _close_consoles(app: web.Application) -> None:
    await app[AGENT_DESK].close()


def setup(app: web.Application) -> None:
    """The desk exists from the start, so the seat queue's plugin hook finds it when the controller starts."""
    from callflow.web import register_call_plugin

    app[AGENT_DESK] = AgentDesk(app)
    app.on_shutdown.append(_close_consoles)

    def _attach(app_: web.Application, _controller: Any) -> None:
        from callflow.seat.web import SEAT_QUEUE

        if SEAT_QUEUE in app_ and AGENT_DESK in app_:
            app_[AGENT_DESK].attach(app_[SEAT_QUEUE])

    register_call_plugin(app, _attach)
    app.router.add_get("/agent/ws", agent_ws)
