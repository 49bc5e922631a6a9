"""The agent console's pure rules: who sits at which seat, the caller's history hints, the draft form."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from console import agent_domain as desk

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 30, 10, 0, tzinfo=TZ)
UNITS = [desk.Unit(3, "县市场监督管理局"), desk.Unit(7, "县水务集团")]


def past(number: str, state: str, order_class: str = "complaint", days_ago: int = 3, **kw: object) -> desk.PastOrder:
    fields: dict[str, object] = {
        "id": int(number[-2:]), "number": number, "state": state, "order_class": order_class, "service": "complaint",
        "title": "停水", "enterprise": None, "caller_phone": "13900001111",
        "received_at": NOW - timedelta(days=days_ago), "unit_name": "县水务集团", "repeat_of": None,
    }
    fields.update(kw)
    return desk.PastOrder(**fields)  # type: ignore[arg-type]


def test_an_agent_sits_at_the_seat_named_by_their_login_then_by_their_name() -> None:
    assert desk.seat_agent_ids("agent101", "张敏") == ("agent101", "张敏")
    assert desk.seat_agent_ids("agent101", "agent101") == ("agent101",)


def test_open_orders_and_recent_complaints_are_hinted_and_old_ones_are_not() -> None:
    orders = [past("YS01", "dispatched"), past("YS02", "closed", days_ago=40), past("YS03", "closed", "consultation")]
    hints = desk.history_hints(orders, NOW)
    assert hints[0].startswith("有 1 件工单尚未办结（YS01）")
    assert "30 天内已投诉 1 次" in hints[1]
    assert len(hints) == 2
    assert desk.history_hints([past("YS04", "closed", days_ago=31)], NOW) == []
    flagged = desk.history_hints([past("YS05", "closed", days_ago=60, repeat_of=1)], NOW)
    assert flagged == ["已有 1 件被认定为重复投诉（YS05）"]


def test_the_enterprise_is_the_one_named_most_often_on_earlier_orders() -> None:
    orders = [
        past("YS01", "closed", enterprise="甲公司", days_ago=1),
        past("YS02", "closed", enterprise="乙公司", days_ago=2),
        past("YS03", "closed", enterprise="乙公司", days_ago=3),
    ]
    assert desk.enterprise_of(orders) == "乙公司"
    assert desk.enterprise_of([past("YS04", "closed")]) is None


def test_a_draft_becomes_the_form_with_the_unit_found_by_name_and_coordination_as_difficult_matter() -> None:
    draft = {
        "class": "complaint", "service": "coordination", "complexity": "difficult", "department": "县水务集团",
        "enterprise": "宏达路桥工程有限公司", "contact_phone": None, "summary": "反映停水", "keywords": ["停水"],
        "why": {"department_reason": "关键词“停水”指向县水务集团"},
    }
    form = desk.form_from_draft(draft, UNITS, "13900001111", "来电人：停水了", "live")
    assert (form.service, form.unit, form.contact, form.source) == ("difficult_matter", "7", "13900001111", "live")
    assert form.unit_reason.startswith("关键词")


def test_the_form_is_checked_before_ticketing_sees_it() -> None:
    base = {"order_class": "consultation", "service": "policy_query", "title": "社保补贴怎么申请"}
    with pytest.raises(desk.AgentConsoleError, match="答复内容") as missing:
        desk.read_form(base, "answer")
    assert missing.value.error_id == "agent-form-invalid"
    with pytest.raises(desk.AgentConsoleError, match="不能当场办结"):
        desk.read_form({**base, "order_class": "complaint", "service": "complaint", "answer": "已答复"}, "answer")
    with pytest.raises(desk.AgentConsoleError, match="承办单位"):
        desk.read_form(base, "dispatch")
    with pytest.raises(desk.AgentConsoleError, match="诉求事项"):
        desk.read_form({**base, "title": " "}, "dispatch")
    chosen = desk.read_form({**base, "answer": "可网上申领", "kb_entry_id": "12", "unit": "3"}, "answer")
    assert (chosen.kb_entry_id, chosen.complexity, chosen.fields["unit"]) == (12, None, "")
    complaint = desk.read_form({**base, "order_class": "complaint", "service": "complaint", "unit": "3"}, "dispatch")
    assert (complaint.unit_id, complaint.complexity and complaint.complexity.value) == (3, "general")


def test_the_fields_the_agent_changed_are_listed_without_the_body_text() -> None:
    suggested = desk.OrderForm(title="反映停水", unit="7", content="原文").fields()
    chosen = {**suggested, "title": "反映小区停水三天", "unit": "3", "content": "改写的内容"}
    assert desk.changed_fields(suggested, chosen) == ["title", "unit"]
