"""The work order (工单) and its life cycle, as pure functions. No asyncio, no I/O.

    draft ──register──▶ registered ──dispatch──▶ dispatched ──sign──▶ signed ──handle──▶ handling
      │  (answered on the line: closed at once)      ▲  │                 │                  │
      │                                              │  └─return─▶ returned ◀──return───────┤
      │                                   dispatch ──┘ (re-dispatch)                         │
      │                                                        signed/handling ──reply──▶ replied
      └─────────────────────────────────────────────────────────────────────────────────────┘
    replied ──close──▶ closed ──evaluate──▶ evaluated ;  closed/evaluated ──reopen──▶ reopened ──dispatch──▶ …

Every function takes the current `WorkOrder`, the acting `Actor` and the time, checks the actor's role
and the state, and returns a `Transition`: the new work order, one `Event` for the append-only trail,
the outbox messages to deliver, and at most one side record (an extension request or decision, a
return, a supervision order) for the service to store in the same transaction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Protocol

from ticketing.domain.errors import Forbidden, InvalidInput, InvalidTransition, NotFound
from ticketing.domain.roles import HOTLINE_STAFF, SUPERVISORS, UNIT_STAFF, Actor, Role


class State(StrEnum):
    DRAFT = "draft"
    REGISTERED = "registered"
    DISPATCHED = "dispatched"
    SIGNED = "signed"
    HANDLING = "handling"
    REPLIED = "replied"
    CLOSED = "closed"
    EVALUATED = "evaluated"
    RETURNED = "returned"
    REOPENED = "reopened"
    DISCARDED = "discarded"  # a draft that was no matter at all (empty voice message, wrong number)

    @property
    def label_zh(self) -> str:
        return STATE_ZH[self]


STATE_ZH = {
    State.DRAFT: "草稿",
    State.REGISTERED: "已登记",
    State.DISPATCHED: "已派单",
    State.SIGNED: "已签收",
    State.HANDLING: "办理中",
    State.REPLIED: "已答复",
    State.CLOSED: "已办结",
    State.EVALUATED: "已评价",
    State.RETURNED: "已退单",
    State.REOPENED: "重新办理(整改)",
    State.DISCARDED: "已作废",
}

# States in which the unit's clock runs: these can be warned about and become overdue.
UNIT_STATES = frozenset({State.DISPATCHED, State.SIGNED, State.HANDLING})
FINISHED_STATES = frozenset({State.CLOSED, State.EVALUATED})


class OrderClass(StrEnum):
    """分类: 咨询求助 / 投诉举报 / 意见建议."""

    CONSULTATION = "consultation"
    COMPLAINT = "complaint"
    SUGGESTION = "suggestion"


class Service(StrEnum):
    """The five services of the line, with the IVR's codes."""

    POLICY_QUERY = "policy_query"  # 政策查询
    MATTER_CONSULTATION = "matter_consultation"  # 事项咨询
    COMPLAINT = "complaint"  # 投诉受理
    DIFFICULT_MATTER = "difficult_matter"  # 难事协调
    SUGGESTION = "suggestion"  # 建议征集


# Other spellings of the services: the draft extractor's eval set says "coordination" for 难事协调.
SERVICE_ALIASES = {"coordination": Service.DIFFICULT_MATTER}


def parse_service(value: str) -> Service:
    """A service code, accepting the known aliases; ValueError for anything else."""
    alias = SERVICE_ALIASES.get(value)
    return alias if alias is not None else Service(value)


class Complexity(StrEnum):
    """Complaint complexity: 简单事项 / 一般事项 / 疑难事项."""

    SIMPLE = "simple"
    GENERAL = "general"
    DIFFICULT = "difficult"


class Source(StrEnum):
    CALL = "call"
    VOICE_MESSAGE = "voice_message"  # 留言 (out of hours)
    CALLBACK = "callback"  # 回拨请求
    WEB = "web"


class Rating(StrEnum):
    SATISFIED = "satisfied"
    BASICALLY_SATISFIED = "basically_satisfied"
    DISSATISFIED = "dissatisfied"


class Action(StrEnum):
    CREATE = "create"
    REGISTER = "register"
    DISPATCH = "dispatch"
    SIGN = "sign"
    HANDLE = "handle"
    REPLY = "reply"
    CLOSE = "close"
    EVALUATE = "evaluate"
    RETURN = "return"
    REQUEST_EXTENSION = "request_extension"
    APPROVE_EXTENSION = "approve_extension"
    REJECT_EXTENSION = "reject_extension"
    SUPERVISE = "supervise"
    REOPEN = "reopen"
    DISCARD = "discard"
    REVISIT = "revisit"  # the revisit answer after rectification, recorded while the order is not closed

    @property
    def label_zh(self) -> str:
        return ACTION_ZH[self]


ACTION_ZH = {
    Action.CREATE: "创建",
    Action.REGISTER: "登记",
    Action.DISPATCH: "派单",
    Action.SIGN: "签收",
    Action.HANDLE: "开始办理",
    Action.REPLY: "答复",
    Action.CLOSE: "办结",
    Action.EVALUATE: "评价",
    Action.RETURN: "退单",
    Action.REQUEST_EXTENSION: "申请延期",
    Action.APPROVE_EXTENSION: "批准延期",
    Action.REJECT_EXTENSION: "驳回延期",
    Action.SUPERVISE: "督办",
    Action.REOPEN: "重新办理",
    Action.DISCARD: "作废",
    Action.REVISIT: "整改回访",
}

# Which services each class may carry (the IVR's five services under the three classes).
SERVICES_OF_CLASS = {
    OrderClass.CONSULTATION: frozenset(
        {Service.POLICY_QUERY, Service.MATTER_CONSULTATION, Service.DIFFICULT_MATTER}
    ),
    OrderClass.COMPLAINT: frozenset({Service.COMPLAINT, Service.DIFFICULT_MATTER}),
    OrderClass.SUGGESTION: frozenset({Service.SUGGESTION}),
}

MAX_EXTENSION_DAYS = 30


class Calendar(Protocol):
    """The working-day clock the deadlines need (ticketing.domain.calendar.WorkingCalendar)."""

    def clock_start(self, received: datetime) -> datetime: ...

    def add_working_days(self, received: datetime, n: int) -> datetime: ...


@dataclass(frozen=True)
class Limits:
    """Time limits in working days from the unit's receipt (分类处理时限)."""

    sign_days: int
    due_days: int


def limits_for(order_class: OrderClass, complexity: Complexity | None) -> Limits:
    """Consultation: reply within 1 working day (signing within the same day). Complaint: sign within 1,
    close within 2 (simple) or 5 (general; difficult starts at 5 and may be extended). A suggestion
    forwarded to a unit is answered within 5 working days (a local choice, see docs/workorders.md)."""
    if order_class is OrderClass.CONSULTATION:
        return Limits(sign_days=1, due_days=1)
    if order_class is OrderClass.COMPLAINT:
        return Limits(sign_days=1, due_days=2 if complexity is Complexity.SIMPLE else 5)
    return Limits(sign_days=1, due_days=5)


def format_number(day: date, seq: int) -> str:
    """Work-order number: 营商 prefix YS + receipt date + 5-digit daily sequence (YS2026113000001)."""
    if not 1 <= seq <= 99999:
        raise ValueError(f"daily sequence out of range: {seq}")
    return f"YS{day:%Y%m%d}{seq:05d}"


def format_due_zh(at: datetime) -> str:
    return f"{at.year}年{at.month}月{at.day}日{at:%H:%M}"


@dataclass(frozen=True)
class PendingExtension:
    """An extension request (延期申请) waiting for a supervisor."""

    working_days: int
    reason: str
    basis: str
    requested_at: datetime
    requested_by: int | None = None


@dataclass(frozen=True)
class WorkOrder:
    """A work order as the domain sees it; the repository maps it to and from the table."""

    number: str
    state: State
    received_at: datetime
    source: Source = Source.CALL
    id: int | None = None
    order_class: OrderClass | None = None
    service: Service | None = None
    complexity: Complexity | None = None
    caller_phone: str | None = None
    caller_name: str | None = None
    enterprise: str | None = None
    location: str | None = None
    title: str = ""
    content: str = ""
    call_id: str | None = None
    recording: str | None = None
    suggested_unit: str | None = None
    unit_id: int | None = None
    registered_at: datetime | None = None
    dispatched_at: datetime | None = None
    clock_start: datetime | None = None
    sign_due: datetime | None = None
    due: datetime | None = None
    original_due: datetime | None = None
    signed_at: datetime | None = None
    replied_at: datetime | None = None
    closed_at: datetime | None = None
    reply: str | None = None
    result: str | None = None
    answered_on_line: bool = False
    reopened_count: int = 0
    returns_count: int = 0
    extended: bool = False
    rating: Rating | None = None
    rated_at: datetime | None = None
    rating_channel: str | None = None
    rating_comment: str | None = None
    revisit_rating: Rating | None = None
    revisited_at: datetime | None = None
    pending_extension: PendingExtension | None = field(default=None, compare=False)

    def is_overdue(self, now: datetime) -> bool:
        """The unit still holds it and the due time has passed (超期)."""
        if self.state not in UNIT_STATES:
            return False
        if self.state is State.DISPATCHED and self.sign_due is not None and now > self.sign_due:
            return True
        return self.due is not None and now > self.due


# Fields whose changes the event trail records (everything but the identity and derived data).
TRACKED_FIELDS = tuple(f.name for f in fields(WorkOrder) if f.name not in ("id", "pending_extension"))


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return value.value
    return value


def diff(before: WorkOrder | None, after: WorkOrder) -> tuple[dict[str, Any], dict[str, Any]]:
    """The changed fields, before and after, as JSON-ready dicts (ISO times, enum values)."""
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    for name in TRACKED_FIELDS:
        a = getattr(before, name) if before is not None else None
        b = getattr(after, name)
        if a != b:
            if before is not None:
                old[name] = _json_value(a)
            new[name] = _json_value(b)
    return old, new


@dataclass(frozen=True)
class Event:
    """One accepted change, for the append-only trail (环环有痕迹)."""

    action: Action
    at: datetime
    actor: Actor
    state_before: State | None
    state_after: State
    reason: str | None
    before: dict[str, Any]
    after: dict[str, Any]


@dataclass(frozen=True)
class OutboxMessage:
    """A side effect to deliver later (SMS to the caller, DingTalk to a unit), never lost."""

    kind: str
    payload: dict[str, Any]
    idempotency_key: str


SMS_TO_CALLER = "sms.caller"
DINGTALK_TO_UNIT = "dingtalk.unit"
SURVEY_SEND = "survey.send"  # the satisfaction survey after closure (sms_feedback.survey_sending)
NOT_RATABLE_BY_SMS = "无企业手机号，不能短信评价 (not ratable by SMS)"
_PHONE_SEPARATORS = re.compile(r"[\s\-().]")
_CN_MOBILE = re.compile(r"^(?:\+86|0086|86)?(1[3-9]\d{9})$")


def survey_mobile(phone: str | None) -> str | None:
    """The caller's Chinese mobile number in E.164 (+8613800138000), or None for a landline or none."""
    found = _CN_MOBILE.match(_PHONE_SEPARATORS.sub("", phone or ""))
    return f"+86{found.group(1)}" if found else None


def closure_survey(order: WorkOrder) -> tuple[OutboxMessage, ...]:
    """The survey queued with the first closure (办结回访), when the caller left a mobile number.

    Closures after a rectification queue nothing here: the review loop sends its revisit survey."""
    phone = survey_mobile(order.caller_phone)
    if phone is None or order.id is None or order.reopened_count > 0:
        return ()
    matter = " ".join((order.title or order.content).split())[:40]
    payload = {
        "workorder_id": order.id,
        "workorder_number": order.number,
        "phone": phone,
        "matter": matter,
        "purpose": "closure",
        "review_id": None,
    }
    return (OutboxMessage(SURVEY_SEND, payload, f"survey.send:closure:{order.number}"),)


@dataclass(frozen=True)
class ExtensionRequested:
    working_days: int
    reason: str
    basis: str


@dataclass(frozen=True)
class ExtensionDecided:
    approved: bool
    note: str | None
    old_due: datetime | None
    new_due: datetime | None


@dataclass(frozen=True)
class Returned:
    unit_id: int
    reason: str


@dataclass(frozen=True)
class Redispatched:
    unit_id: int


@dataclass(frozen=True)
class SupervisionOpened:
    unit_id: int | None
    reason: str
    due: datetime | None


Record = ExtensionRequested | ExtensionDecided | Returned | Redispatched | SupervisionOpened


@dataclass(frozen=True)
class Transition:
    order: WorkOrder
    event: Event
    messages: tuple[OutboxMessage, ...] = ()
    record: Record | None = None


# --- checks ---------------------------------------------------------------------------------------


def _require_role(actor: Actor, allowed: Iterable[Role], action: Action) -> None:
    if actor.role not in frozenset(allowed):
        raise Forbidden(actor.role.value, action.value)


def _require_state(order: WorkOrder, allowed: Iterable[State], action: Action, detail: str = "") -> None:
    if order.state not in frozenset(allowed):
        raise InvalidTransition(order.state.value, action.value, detail)


def _require_own_unit(order: WorkOrder, actor: Actor) -> None:
    """Unit staff act on their own unit's orders only; others' orders do not exist for them."""
    if not actor.can_see(order.unit_id):
        raise NotFound(f"工单 {order.number} 不存在 (work order not found)")


def _require_text(value: str | None, field_name: str, label: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(field_name, f"请填写{label} ({field_name} is required)")
    return text


def _transition(
    before: WorkOrder,
    after: WorkOrder,
    action: Action,
    actor: Actor,
    at: datetime,
    reason: str | None = None,
    messages: tuple[OutboxMessage, ...] = (),
    record: Record | None = None,
) -> Transition:
    old, new = diff(before, after)
    event = Event(action, at, actor, before.state, after.state, reason, old, new)
    return Transition(after, event, messages, record)


def _require_aware(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"naive datetime refused: {at!r}")


# --- creation and registration --------------------------------------------------------------------


@dataclass(frozen=True)
class Details:
    """What the caller told: the agent fills or corrects these when registering."""

    caller_phone: str | None = None
    caller_name: str | None = None
    enterprise: str | None = None
    location: str | None = None
    title: str | None = None
    content: str | None = None
    suggested_unit: str | None = None


def _apply_details(order: WorkOrder, details: Details) -> WorkOrder:
    changes = {
        f.name: getattr(details, f.name) for f in fields(details) if getattr(details, f.name) is not None
    }
    return replace(order, **changes)


def new_draft(
    *,
    number: str,
    actor: Actor,
    at: datetime,
    source: Source = Source.CALL,
    details: Details = Details(),
    call_id: str | None = None,
    recording: str | None = None,
    received_at: datetime | None = None,
    order_class: OrderClass | None = None,
    service: Service | None = None,
    complexity: Complexity | None = None,
) -> Transition:
    """A draft work order (工单草稿) from a call, a voice message or a callback request.

    A draft extracted from the call's transcript may carry a suggested class, service and complexity;
    the agent confirms or corrects them when registering."""
    _require_aware(at)
    _require_role(actor, HOTLINE_STAFF | {Role.SYSTEM}, Action.CREATE)
    received = received_at or at
    _require_aware(received)
    order = _apply_details(
        WorkOrder(
            number=number,
            state=State.DRAFT,
            received_at=received,
            source=source,
            call_id=call_id,
            recording=recording,
            order_class=order_class,
            service=service,
            complexity=complexity,
        ),
        details,
    )
    _, new = diff(None, order)
    new = {k: v for k, v in new.items() if v not in (None, "", False, 0)}
    event = Event(Action.CREATE, at, actor, None, State.DRAFT, None, {}, new)
    return Transition(order, event)


def register(
    order: WorkOrder,
    actor: Actor,
    at: datetime,
    *,
    order_class: OrderClass | None = None,
    service: Service | None = None,
    complexity: Complexity | None = None,
    answered_on_line: bool = False,
    result: str | None = None,
    details: Details = Details(),
) -> Transition:
    """Register (登记) a draft with its class, service and complexity (the draft's suggestions where
    none are given).

    A consultation answered on the line, or a suggestion answered on the spot, is closed at once
    (first-time resolution, 一次性化解); everything else waits to be dispatched."""
    _require_aware(at)
    _require_role(actor, HOTLINE_STAFF, Action.REGISTER)
    _require_state(order, {State.DRAFT}, Action.REGISTER)
    order_class = order_class or order.order_class
    service = service or order.service
    if order_class is None:
        raise InvalidInput("class", "请确定工单分类: consultation/complaint/suggestion (class required)")
    if service is None:
        raise InvalidInput("service", "请确定服务类别 (service required)")
    if order_class is OrderClass.COMPLAINT:
        complexity = complexity or order.complexity
    if service not in SERVICES_OF_CLASS[order_class]:
        allowed = ", ".join(sorted(s.value for s in SERVICES_OF_CLASS[order_class]))
        raise InvalidInput(
            "service",
            f"「{order_class.value}」类工单不能选择服务「{service.value}」，可选: {allowed} "
            f"(service '{service.value}' does not fit class '{order_class.value}')",
        )
    if order_class is OrderClass.COMPLAINT:
        if complexity is None:
            raise InvalidInput(
                "complexity", "投诉举报须确定难易程度: simple/general/difficult (complexity required)"
            )
        if answered_on_line:
            raise InvalidInput(
                "answered_on_line",
                "投诉举报须转承办单位办理，不能当场办结 (complaints are always dispatched)",
            )
    else:
        complexity = None
    updated = replace(
        _apply_details(order, details),
        order_class=order_class,
        service=service,
        complexity=complexity,
        registered_at=at,
        answered_on_line=answered_on_line,
    )
    if answered_on_line:
        text = _require_text(result, "result", "当场答复内容")
        updated = replace(updated, state=State.CLOSED, closed_at=at, result=text)
        survey = closure_survey(updated)
        why = None if survey or updated.reopened_count else NOT_RATABLE_BY_SMS
        return _transition(order, updated, Action.REGISTER, actor, at, why, survey)
    updated = replace(updated, state=State.REGISTERED)
    return _transition(order, updated, Action.REGISTER, actor, at)


def discard(order: WorkOrder, actor: Actor, at: datetime, *, reason: str) -> Transition:
    """Discard a draft that holds no matter (作废: an empty voice message, a wrong number, a duplicate
    draft of the same call); the reason is kept in the trail. Registered work orders are never discarded."""
    _require_role(actor, HOTLINE_STAFF, Action.DISCARD)
    _require_state(order, {State.DRAFT}, Action.DISCARD)
    why = _require_text(reason, "reason", "作废原因")
    return _transition(order, replace(order, state=State.DISCARDED), Action.DISCARD, actor, at, why)


# --- dispatch and the unit's work -----------------------------------------------------------------


def dispatch(
    order: WorkOrder, actor: Actor, at: datetime, *, unit_id: int | None, calendar: Calendar
) -> Transition:
    """Dispatch (派单/转办) to a responsible unit and start the working-day clock from its receipt.

    Also re-dispatches a returned order and sends a reopened one back for rectification (the same
    unit unless another is named); each dispatch starts fresh limits."""
    _require_aware(at)
    _require_role(actor, HOTLINE_STAFF, Action.DISPATCH)
    _require_state(order, {State.REGISTERED, State.RETURNED, State.REOPENED}, Action.DISPATCH)
    target = unit_id if unit_id is not None else (order.unit_id if order.state is State.REOPENED else None)
    if target is None:
        raise InvalidInput("unit_id", "请选择承办单位 (unit_id is required)")
    if order.order_class is None:
        raise InvalidTransition(order.state.value, Action.DISPATCH.value, "工单尚未分类")
    limits = limits_for(order.order_class, order.complexity)
    start = calendar.clock_start(at)
    updated = replace(
        order,
        state=State.DISPATCHED,
        unit_id=target,
        dispatched_at=at,
        clock_start=start,
        sign_due=calendar.add_working_days(at, limits.sign_days),
        due=calendar.add_working_days(at, limits.due_days),
        original_due=None,
        extended=False,
        signed_at=None,
        replied_at=None,
    )
    record = Redispatched(target) if order.state is State.RETURNED else None
    return _transition(order, updated, Action.DISPATCH, actor, at, record=record)


def sign(order: WorkOrder, actor: Actor, at: datetime) -> Transition:
    """The unit signs for it (签收)."""
    _require_role(actor, UNIT_STAFF, Action.SIGN)
    _require_own_unit(order, actor)
    _require_state(order, {State.DISPATCHED}, Action.SIGN)
    return _transition(order, replace(order, state=State.SIGNED, signed_at=at), Action.SIGN, actor, at)


def start_handling(order: WorkOrder, actor: Actor, at: datetime) -> Transition:
    """The unit starts handling it (办理中)."""
    _require_role(actor, UNIT_STAFF, Action.HANDLE)
    _require_own_unit(order, actor)
    _require_state(order, {State.SIGNED}, Action.HANDLE)
    return _transition(order, replace(order, state=State.HANDLING), Action.HANDLE, actor, at)


def reply(order: WorkOrder, actor: Actor, at: datetime, *, text: str) -> Transition:
    """The unit replies (答复) with what it did or the answer it gave the caller."""
    _require_role(actor, UNIT_STAFF, Action.REPLY)
    _require_own_unit(order, actor)
    _require_state(order, {State.SIGNED, State.HANDLING}, Action.REPLY)
    body = _require_text(text, "reply", "答复内容")
    updated = replace(order, state=State.REPLIED, replied_at=at, reply=body)
    return _transition(order, updated, Action.REPLY, actor, at)


def return_order(order: WorkOrder, actor: Actor, at: datetime, *, reason: str) -> Transition:
    """The unit returns it (退单) with a reason; the hotline re-dispatches it. Every return is counted."""
    _require_role(actor, UNIT_STAFF, Action.RETURN)
    _require_own_unit(order, actor)
    _require_state(order, {State.DISPATCHED, State.SIGNED, State.HANDLING}, Action.RETURN)
    if order.pending_extension is not None:
        raise InvalidTransition(order.state.value, Action.RETURN.value, "有待审批的延期申请")
    why = _require_text(reason, "reason", "退单理由")
    assert order.unit_id is not None  # a dispatched order always has its unit
    updated = replace(
        order,
        state=State.RETURNED,
        unit_id=None,
        returns_count=order.returns_count + 1,
        clock_start=None,
        sign_due=None,
        due=None,
        original_due=None,
        extended=False,
    )
    return _transition(order, updated, Action.RETURN, actor, at, why, record=Returned(order.unit_id, why))


def close(order: WorkOrder, actor: Actor, at: datetime, *, result: str) -> Transition:
    """The hotline closes it (办结) with the result, after checking the unit's reply (回访核实)."""
    _require_role(actor, HOTLINE_STAFF, Action.CLOSE)
    _require_state(order, {State.REPLIED}, Action.CLOSE)
    body = _require_text(result, "result", "办理结果")
    updated = replace(order, state=State.CLOSED, closed_at=at, result=body)
    survey = closure_survey(updated)
    why = None if survey or updated.reopened_count else NOT_RATABLE_BY_SMS
    return _transition(order, updated, Action.CLOSE, actor, at, why, survey)


def evaluate(
    order: WorkOrder,
    actor: Actor,
    at: datetime,
    *,
    rating: Rating,
    channel: str = "phone",
    comment: str | None = None,
) -> Transition:
    """The caller's rating (评价). After a rectification it is the revisit rating (整改回访)."""
    _require_role(actor, HOTLINE_STAFF | {Role.SYSTEM}, Action.EVALUATE)
    _require_state(order, {State.CLOSED}, Action.EVALUATE)
    if order.reopened_count > 0:
        updated = replace(order, state=State.EVALUATED, revisit_rating=rating, revisited_at=at)
    else:
        updated = replace(order, state=State.EVALUATED, rating=rating, rated_at=at)
    updated = replace(updated, rating_channel=channel, rating_comment=comment)
    return _transition(order, updated, Action.EVALUATE, actor, at, comment)


# States a reopened order may be in when the enterprise answers the revisit (closed goes through evaluate).
REVISIT_STATES = frozenset(
    {
        State.REOPENED,
        State.DISPATCHED,
        State.SIGNED,
        State.HANDLING,
        State.REPLIED,
        State.RETURNED,
        State.EVALUATED,
    }
)


def record_revisit(
    order: WorkOrder, actor: Actor, at: datetime, *, rating: Rating, channel: str = "phone", comment: str | None = None
) -> Transition:
    """The enterprise's answer to the revisit after rectification (整改回访), whatever the order's state.

    A closed order is evaluated (`evaluate`: closed → evaluated, the revisit rating set). In any other
    state after a reopening the answer is recorded as it is — `revisit_rating`, `revisited_at`, the
    channel and comment — with a `revisit` event and no change of state, so the effectiveness figures
    (整改回访满意率) see every revisit answer, not only those that came while the order was closed."""
    if order.state is State.CLOSED:
        return evaluate(order, actor, at, rating=rating, channel=channel, comment=comment)
    _require_role(actor, HOTLINE_STAFF | {Role.SYSTEM}, Action.REVISIT)
    if order.reopened_count == 0:
        raise InvalidTransition(order.state.value, Action.REVISIT.value, "工单未重新办理（整改），没有整改回访")
    _require_state(order, REVISIT_STATES, Action.REVISIT)
    updated = replace(
        order, revisit_rating=rating, revisited_at=at, rating_channel=channel, rating_comment=comment
    )
    return _transition(order, updated, Action.REVISIT, actor, at, comment)


def reopen(order: WorkOrder, actor: Actor, at: datetime, *, reason: str) -> Transition:
    """Reopen for rectification (整改) after a bad rating or a failed verification."""
    _require_role(actor, SUPERVISORS | {Role.SYSTEM}, Action.REOPEN)
    _require_state(order, FINISHED_STATES, Action.REOPEN)
    why = _require_text(reason, "reason", "重新办理原因")
    updated = replace(order, state=State.REOPENED, reopened_count=order.reopened_count + 1)
    return _transition(order, updated, Action.REOPEN, actor, at, why)


# --- extensions (延期) ------------------------------------------------------------------------------


def request_extension(
    order: WorkOrder, actor: Actor, at: datetime, *, working_days: int, reason: str, basis: str
) -> Transition:
    """A unit asks for more time on a difficult complaint (疑难事项申请延期), giving reason and basis."""
    _require_role(actor, UNIT_STAFF, Action.REQUEST_EXTENSION)
    _require_own_unit(order, actor)
    _require_state(order, {State.SIGNED, State.HANDLING}, Action.REQUEST_EXTENSION)
    if order.complexity is not Complexity.DIFFICULT:
        raise InvalidTransition(order.state.value, Action.REQUEST_EXTENSION.value, "只有疑难事项可以申请延期")
    if order.pending_extension is not None:
        raise InvalidTransition(order.state.value, Action.REQUEST_EXTENSION.value, "已有待审批的延期申请")
    if not 1 <= working_days <= MAX_EXTENSION_DAYS:
        raise InvalidInput(
            "working_days",
            f"延期工作日数须在 1 到 {MAX_EXTENSION_DAYS} 之间 (working_days must be 1..{MAX_EXTENSION_DAYS})",
        )
    why = _require_text(reason, "reason", "延期理由")
    basis_text = _require_text(basis, "basis", "延期依据")
    pending = PendingExtension(working_days, why, basis_text, at, actor.id)
    updated = replace(order, pending_extension=pending)
    record = ExtensionRequested(working_days, why, basis_text)
    return _transition(order, updated, Action.REQUEST_EXTENSION, actor, at, why, record=record)


def _require_pending(order: WorkOrder, action: Action) -> PendingExtension:
    if order.pending_extension is None:
        raise InvalidTransition(order.state.value, action.value, "没有待审批的延期申请")
    return order.pending_extension


def delay_message_zh(order: WorkOrder, pending: PendingExtension, new_due: datetime) -> str:
    """The SMS telling the caller why the matter takes longer and on what basis (告知延期理由和依据)."""
    return (
        f"【12345营商环境专线】您反映的事项（工单号{order.number}）因{pending.reason}需延期办理，"
        f"依据：{pending.basis}。办理期限延长至{format_due_zh(new_due)}，"
        f"我们将督促承办单位按期办结，感谢您的理解与支持。"
    )


def approve_extension(
    order: WorkOrder, actor: Actor, at: datetime, *, calendar: Calendar, note: str | None = None
) -> Transition:
    """A supervisor approves: the due time moves by the requested working days, and the caller is told
    the reason and basis by SMS (queued in the outbox in the same transaction)."""
    _require_role(actor, SUPERVISORS, Action.APPROVE_EXTENSION)
    pending = _require_pending(order, Action.APPROVE_EXTENSION)
    _require_state(order, {State.SIGNED, State.HANDLING}, Action.APPROVE_EXTENSION)
    old_due = order.due
    base = old_due if old_due is not None else at
    new_due = calendar.add_working_days(base, pending.working_days)
    updated = replace(
        order,
        due=new_due,
        original_due=order.original_due or old_due,
        extended=True,
        pending_extension=None,
    )
    messages: tuple[OutboxMessage, ...] = ()
    if order.caller_phone:
        messages = (
            OutboxMessage(
                kind=SMS_TO_CALLER,
                payload={
                    "to": order.caller_phone,
                    "body": delay_message_zh(order, pending, new_due),
                    "work_order": order.number,
                    "purpose": "extension_approved",
                },
                idempotency_key=f"extension-approved:{order.number}:{pending.requested_at.isoformat()}",
            ),
        )
    record = ExtensionDecided(True, note, old_due, new_due)
    return _transition(
        order, updated, Action.APPROVE_EXTENSION, actor, at, note or pending.reason, messages, record
    )


def reject_extension(order: WorkOrder, actor: Actor, at: datetime, *, note: str) -> Transition:
    """A supervisor rejects the request; the due time stays."""
    _require_role(actor, SUPERVISORS, Action.REJECT_EXTENSION)
    _require_pending(order, Action.REJECT_EXTENSION)
    why = _require_text(note, "note", "驳回理由")
    updated = replace(order, pending_extension=None)
    record = ExtensionDecided(False, why, order.due, None)
    return _transition(order, updated, Action.REJECT_EXTENSION, actor, at, why, record=record)


# --- supervision (督办) ----------------------------------------------------------------------------


def supervise(
    order: WorkOrder, actor: Actor, at: datetime, *, reason: str, due: datetime | None = None
) -> Transition:
    """A supervisor opens a supervision order (督办单) and the unit is notified through its fast channel."""
    _require_role(actor, SUPERVISORS, Action.SUPERVISE)
    _require_state(order, set(State) - {State.DRAFT, State.DISCARDED} - FINISHED_STATES, Action.SUPERVISE)
    why = _require_text(reason, "reason", "督办事由")
    messages: tuple[OutboxMessage, ...] = ()
    if order.unit_id is not None:
        due_text = f"，请于{format_due_zh(due)}前办结并反馈" if due is not None else "，请加快办理并及时反馈"
        messages = (
            OutboxMessage(
                kind=DINGTALK_TO_UNIT,
                payload={
                    "unit_id": order.unit_id,
                    "work_order": order.number,
                    "title": f"督办：工单{order.number}",
                    "text": f"### 督办通知\n\n工单 **{order.number}**（{order.title or '未命名事项'}）"
                    f"\n\n督办事由：{why}{due_text}。",
                },
                idempotency_key=f"supervise:{order.number}:{at.isoformat()}",
            ),
        )
    record = SupervisionOpened(order.unit_id, why, due)
    return _transition(order, order, Action.SUPERVISE, actor, at, why, messages, record)
