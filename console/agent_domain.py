"""The agent console's rules (坐席工作台), pure: no I/O, no asyncio.

- who a signed-in console user is at the seat (`seat_agent_ids`);
- the caller's history and its repeat hints (`history_hints`) for the screen pop;
- the draft work-order form: suggestion from a draft, the agent's edits checked (`read_form`), and the
  fields where the agent departed from the suggestion (`changed_fields`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ticketing.domain import workorder as wo

PAUSE_REASONS = ("小休", "用餐", "培训", "会议", "整理工单")
"""The reasons offered with 示忙 (the seat accepts any text; these keep the reports comparable)."""

SERVICE_ZH = {
    "policy_query": "政策查询",
    "matter_consultation": "事项咨询",
    "complaint": "投诉受理",
    "difficult_matter": "难事协调",
    "coordination": "难事协调",
    "suggestion": "建议征集",
}
CLASS_ZH = {"consultation": "咨询求助", "complaint": "投诉举报", "suggestion": "意见建议"}
COMPLEXITY_ZH = {"simple": "简单事项", "general": "一般事项", "difficult": "疑难事项"}
SEAT_STATE_ZH = {
    "offline": "未登录",
    "available": "示闲",
    "ringing": "振铃中",
    "on_call": "通话中",
    "wrap_up": "话后整理",
    "paused": "示忙",
}
OPEN_STATES = frozenset({"registered", "dispatched", "signed", "handling", "replied", "returned", "reopened"})
REPEAT_WINDOW_DAYS = 30
FORM_FIELDS = ("order_class", "service", "complexity", "title", "content", "enterprise", "contact", "location", "unit")


class AgentConsoleError(Exception):
    """A refused agent-console request; `error_id` is stable, the message is Chinese (English)."""

    error_id = "agent-console-error"

    def __init__(self, message: str, error_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if error_id is not None:
            self.error_id = error_id


def seat_agent_ids(login: str, name: str) -> tuple[str, ...]:
    """The seat agent ids a console user answers to: the login first (坐席工号 = 登录账号), then the
    display name (the expert and live-text APIs match the seat agent id against the user's name)."""
    return tuple(dict.fromkeys(x for x in (login, name) if x))


# --- the caller's history ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PastOrder:
    """One earlier work order of the caller's number or enterprise, as the screen pop shows it."""

    id: int
    number: str
    state: str
    order_class: str | None
    service: str | None
    title: str | None
    enterprise: str | None
    caller_phone: str | None
    received_at: datetime
    unit_name: str | None
    repeat_of: int | None

    @property
    def open(self) -> bool:
        return self.state in OPEN_STATES

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["received_at"] = self.received_at.isoformat()
        data["open"] = self.open
        data["state_zh"] = wo.State(self.state).label_zh if self.state in {s.value for s in wo.State} else self.state
        data["class_zh"] = CLASS_ZH.get(self.order_class or "", "")
        data["service_zh"] = SERVICE_ZH.get(self.service or "", "")
        return data


def enterprise_of(orders: Sequence[PastOrder]) -> str | None:
    """The caller's enterprise: the one named most often on their earlier work orders (latest wins ties)."""
    counts: dict[str, int] = {}
    for order in sorted(orders, key=lambda o: o.received_at, reverse=True):
        if order.enterprise:
            counts[order.enterprise] = counts.get(order.enterprise, 0) + 1
    return max(counts, key=lambda name: counts[name]) if counts else None


def history_hints(orders: Sequence[PastOrder], now: datetime, window_days: int = REPEAT_WINDOW_DAYS) -> list[str]:
    """What the agent should know before answering (重复来电提示), in Chinese."""
    hints = []
    still_open = [o for o in orders if o.open]
    if still_open:
        numbers = "、".join(o.number for o in still_open[:3])
        hints.append(f"有 {len(still_open)} 件工单尚未办结（{numbers}）：可告知办理进度，同一事项勿重复登记")
    since = now - timedelta(days=window_days)
    complaints = [o for o in orders if o.order_class == "complaint" and o.received_at >= since]
    if complaints:
        hints.append(
            f"{window_days} 天内已投诉 {len(complaints)} 次：同一事项再次投诉将认定为重复投诉，并对原承办单位督办"
        )
    repeated = [o for o in orders if o.repeat_of is not None]
    if repeated:
        hints.append(f"已有 {len(repeated)} 件被认定为重复投诉（{repeated[0].number}）")
    return hints


# --- the draft work order ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    id: int
    name: str


@dataclass
class OrderForm:
    """The draft work order on the agent's screen (工单草稿): the suggestion, or what the agent chose."""

    order_class: str = "consultation"
    service: str = "policy_query"
    complexity: str = ""
    title: str = ""
    content: str = ""
    enterprise: str = ""
    contact: str = ""
    location: str = ""
    unit: str = ""
    """The suggested or chosen unit's id, as text ("" when none)."""
    unit_reason: str = ""
    keywords: list[str] = field(default_factory=list)
    answered_on_line: bool = False
    source: str = "none"
    """Where the suggestion came from: `transcription` (after the call), `live` (live text), `none`."""

    def fields(self) -> dict[str, str]:
        return {name: str(getattr(self, name)) for name in FORM_FIELDS}

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def _unit_named(name: str | None, units: Sequence[Unit]) -> Unit | None:
    if not name:
        return None
    for unit in units:
        if unit.name == name:
            return unit
    for unit in units:
        if name in unit.name or unit.name in name:
            return unit
    return None


def form_from_draft(
    draft: Mapping[str, Any], units: Sequence[Unit], caller_number: str, content: str, source: str
) -> OrderForm:
    """The suggestion: the draft extractor's fields mapped onto ticketing's (难事协调 is `difficult_matter`)."""
    service = str(draft.get("service") or "policy_query")
    unit = _unit_named(draft.get("department"), units)
    why = draft.get("why") or {}
    return OrderForm(
        order_class=str(draft.get("class") or "consultation"),
        service=wo.parse_service(service).value if service in SERVICE_ZH else "policy_query",
        complexity=str(draft.get("complexity") or ""),
        title=str(draft.get("summary") or ""),
        content=content,
        enterprise=str(draft.get("enterprise") or ""),
        contact=str(draft.get("contact_phone") or caller_number or ""),
        location=str(draft.get("location") or ""),
        unit=str(unit.id) if unit else "",
        unit_reason=str(why.get("department_reason") or "") if isinstance(why, Mapping) else "",
        keywords=[str(k) for k in draft.get("keywords") or []],
        answered_on_line=bool(draft.get("answered_on_line")),
        source=source,
    )


@dataclass(frozen=True)
class ChosenOrder:
    """The agent's form, checked: ready for ticketing's create_draft / register / dispatch."""

    order_class: wo.OrderClass
    service: wo.Service
    complexity: wo.Complexity | None
    details: wo.Details
    unit_id: int | None
    answer: str
    kb_entry_id: int | None
    fields: dict[str, str]


def _text(data: Mapping[str, Any], name: str, limit: int) -> str:
    value = data.get(name)
    return str(value).strip()[:limit] if value is not None else ""


def read_form(data: Mapping[str, Any], action: str) -> ChosenOrder:
    """Check the agent's form for `answer` (当场答复并办结) or `dispatch` (登记并派单)."""
    try:
        order_class = wo.OrderClass(_text(data, "order_class", 20))
    except ValueError:
        raise AgentConsoleError("请选择诉求分类 (choose a class)", "agent-form-invalid") from None
    try:
        service = wo.parse_service(_text(data, "service", 30))
    except ValueError:
        raise AgentConsoleError("请选择服务类别 (choose a service)", "agent-form-invalid") from None
    complexity_text = _text(data, "complexity", 20)
    try:
        complexity = wo.Complexity(complexity_text) if complexity_text else None
    except ValueError:
        raise AgentConsoleError("复杂程度无效 (unknown complexity)", "agent-form-invalid") from None
    title = _text(data, "title", 200)
    if not title:
        raise AgentConsoleError("请填写诉求事项 (the matter is required)", "agent-form-invalid")
    unit_text = _text(data, "unit", 12)
    unit_id = int(unit_text) if unit_text.isdigit() else None
    answer = _text(data, "answer", 2000)
    kb_text = str(data.get("kb_entry_id") or "").strip()
    kb_entry_id = int(kb_text) if kb_text.isdigit() else None
    if action == "answer":
        if order_class is wo.OrderClass.COMPLAINT:
            raise AgentConsoleError(
                "投诉举报须转承办单位办理，不能当场办结 (complaints are always dispatched)", "agent-form-invalid"
            )
        if not answer:
            raise AgentConsoleError("请填写答复内容 (the answer given on the line is required)", "agent-form-invalid")
    elif action == "dispatch":
        if unit_id is None:
            raise AgentConsoleError("请选择承办单位 (choose the unit to dispatch to)", "agent-form-invalid")
    else:
        raise AgentConsoleError(f"未知操作 (unknown action): {action}", "agent-unknown-action")
    if order_class is wo.OrderClass.COMPLAINT and complexity is None:
        complexity = wo.Complexity.GENERAL
    if order_class is not wo.OrderClass.COMPLAINT:
        complexity = None
    details = wo.Details(
        caller_phone=_text(data, "contact", 40) or None,
        enterprise=_text(data, "enterprise", 200) or None,
        location=_text(data, "location", 200) or None,
        title=title,
        content=_text(data, "content", 4000) or None,
    )
    chosen = {
        "order_class": order_class.value,
        "service": service.value,
        "complexity": complexity.value if complexity else "",
        "title": title,
        "content": details.content or "",
        "enterprise": details.enterprise or "",
        "contact": details.caller_phone or "",
        "location": details.location or "",
        "unit": str(unit_id) if unit_id is not None and action == "dispatch" else "",
    }
    return ChosenOrder(order_class, service, complexity, details, unit_id, answer, kb_entry_id, chosen)


def changed_fields(suggested: Mapping[str, str], chosen: Mapping[str, str]) -> list[str]:
    """The form fields where the agent's choice differs from the suggestion (the body text excluded)."""
    return [
        name
        for name in FORM_FIELDS
        if name != "content" and (suggested.get(name) or "").strip() != (chosen.get(name) or "").strip()
    ]
