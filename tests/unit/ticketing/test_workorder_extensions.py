"""Difficult matters (疑难事项): extension request with reason and basis, supervisor approval or rejection."""

from __future__ import annotations

import pytest

from tests.unit.ticketing.workorder_support import (
    AGENT,
    CALENDAR,
    HANDLER,
    OTHER_UNIT,
    SUPERVISOR,
    at,
    dispatched_complaint,
)
from ticketing.domain.errors import Forbidden, InvalidInput, InvalidTransition, NotFound
from ticketing.domain.workorder import (
    Complexity,
    ExtensionDecided,
    ExtensionRequested,
    WorkOrder,
    approve_extension,
    reject_extension,
    request_extension,
    return_order,
    sign,
)

REASON = "涉及多部门联合踏勘"
BASIS = "《庆元县营商环境投诉处理办法》第十二条"


def signed_difficult(phone: str | None = "13900001111") -> WorkOrder:
    order = dispatched_complaint(Complexity.DIFFICULT, at(2025, 9, 30, 16), phone)  # due 2025-10-14 16:00
    return sign(order, HANDLER, at(2025, 10, 9, 9)).order


def requested(phone: str | None = "13900001111") -> WorkOrder:
    return request_extension(
        signed_difficult(phone), HANDLER, at(2025, 10, 10, 9), working_days=3, reason=REASON, basis=BASIS
    ).order


def test_the_unit_requests_an_extension_with_reason_and_basis() -> None:
    t = request_extension(
        signed_difficult(), HANDLER, at(2025, 10, 10, 9), working_days=3, reason=REASON, basis=BASIS
    )
    assert t.record == ExtensionRequested(3, REASON, BASIS)
    assert t.order.pending_extension is not None and t.order.due == signed_difficult().due
    assert t.event.action.value == "request_extension" and t.event.reason == REASON


def test_only_difficult_matters_may_be_extended() -> None:
    order = sign(dispatched_complaint(Complexity.GENERAL), HANDLER, at(2025, 10, 9, 9)).order
    with pytest.raises(InvalidTransition) as exc:
        request_extension(order, HANDLER, at(2025, 10, 9, 10), working_days=3, reason=REASON, basis=BASIS)
    assert "疑难" in str(exc.value)


def test_a_request_needs_a_basis_and_a_sensible_number_of_days_and_only_one_at_a_time() -> None:
    order = signed_difficult()
    with pytest.raises(InvalidInput) as exc:
        request_extension(order, HANDLER, at(2025, 10, 10, 9), working_days=3, reason=REASON, basis="")
    assert exc.value.field == "basis"
    with pytest.raises(InvalidInput) as exc:
        request_extension(order, HANDLER, at(2025, 10, 10, 9), working_days=0, reason=REASON, basis=BASIS)
    assert exc.value.field == "working_days"
    with pytest.raises(InvalidTransition):
        request_extension(
            requested(), HANDLER, at(2025, 10, 10, 10), working_days=2, reason=REASON, basis=BASIS
        )


def test_agents_and_other_units_cannot_request() -> None:
    with pytest.raises(Forbidden):
        request_extension(
            signed_difficult(), AGENT, at(2025, 10, 10, 9), working_days=3, reason=REASON, basis=BASIS
        )
    with pytest.raises(NotFound):
        request_extension(
            signed_difficult(), OTHER_UNIT, at(2025, 10, 10, 9), working_days=3, reason=REASON, basis=BASIS
        )


def test_approval_moves_the_due_time_by_working_days_and_tells_the_caller_why() -> None:
    order = requested()
    t = approve_extension(order, SUPERVISOR, at(2025, 10, 10, 11), calendar=CALENDAR, note="同意")
    # old due Tue 10-14 16:00; + 3 working days → Fri 10-17 16:00
    assert t.order.due == at(2025, 10, 17, 16)
    assert t.order.original_due == at(2025, 10, 14, 16) and t.order.extended
    assert t.order.pending_extension is None
    assert t.record == ExtensionDecided(True, "同意", at(2025, 10, 14, 16), at(2025, 10, 17, 16))
    (sms,) = t.messages
    assert sms.kind == "sms.caller" and sms.payload["to"] == "13900001111"
    body = sms.payload["body"]
    for part in ("YS2025093000001", REASON, BASIS, "2025年10月17日16:00", "延期"):
        assert part in body
    assert sms.idempotency_key.startswith("extension-approved:YS2025093000001:")


def test_a_second_extension_keeps_the_original_due() -> None:
    order = approve_extension(requested(), SUPERVISOR, at(2025, 10, 10, 11), calendar=CALENDAR).order
    order = request_extension(
        order, HANDLER, at(2025, 10, 16, 9), working_days=1, reason=REASON, basis=BASIS
    ).order
    order = approve_extension(order, SUPERVISOR, at(2025, 10, 16, 10), calendar=CALENDAR).order
    assert order.due == at(2025, 10, 20, 16) and order.original_due == at(2025, 10, 14, 16)


def test_without_a_phone_number_no_message_is_queued() -> None:
    t = approve_extension(requested(phone=None), SUPERVISOR, at(2025, 10, 10, 11), calendar=CALENDAR)
    assert t.messages == ()


def test_rejection_keeps_the_due_time_and_needs_a_reason() -> None:
    order = requested()
    with pytest.raises(InvalidInput):
        reject_extension(order, SUPERVISOR, at(2025, 10, 10, 11), note="")
    t = reject_extension(order, SUPERVISOR, at(2025, 10, 10, 11), note="理由不充分，请按期办结")
    assert t.order.due == at(2025, 10, 14, 16) and not t.order.extended and t.order.pending_extension is None
    assert t.record == ExtensionDecided(False, "理由不充分，请按期办结", at(2025, 10, 14, 16), None)
    assert t.messages == ()


def test_only_supervisors_decide_and_only_on_a_pending_request() -> None:
    with pytest.raises(Forbidden):
        approve_extension(requested(), HANDLER, at(2025, 10, 10, 11), calendar=CALENDAR)
    with pytest.raises(Forbidden):
        reject_extension(requested(), AGENT, at(2025, 10, 10, 11), note="不同意")
    with pytest.raises(InvalidTransition) as exc:
        approve_extension(signed_difficult(), SUPERVISOR, at(2025, 10, 10, 11), calendar=CALENDAR)
    assert "没有待审批" in str(exc.value)


def test_an_order_with_a_pending_extension_cannot_be_returned() -> None:
    with pytest.raises(InvalidTransition):
        return_order(requested(), HANDLER, at(2025, 10, 10, 12), reason="不属于本单位")
