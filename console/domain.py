"""What the console shows (pure): urgency colours of due times, and which actions a user may offer
on a work order in its state. The rules themselves stay in `ticketing.domain.workorder`; this only
decides which forms to show, so a refused action is still refused by the service.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from ticketing.domain.roles import HOTLINE_STAFF, SUPERVISORS, UNIT_STAFF, Role
from ticketing.domain.workorder import State


class Urgency(StrEnum):
    OVERDUE = "overdue"  # 已超期 (red)
    DUE_TODAY = "due-today"  # 今日到期 (amber)
    NORMAL = "normal"


URGENCY_ZH = {Urgency.OVERDUE: "已超期", Urgency.DUE_TODAY: "今日到期", Urgency.NORMAL: ""}


def deadline(state: State, sign_due: datetime | None, due: datetime | None) -> datetime | None:
    """The deadline that matters: while dispatched and unsigned the earlier of signing (签收时限) and
    the reply due; afterwards the reply due (办理时限)."""
    if state is State.DISPATCHED and sign_due is not None:
        return sign_due if due is None else min(sign_due, due)
    return due


def urgency(state: State, sign_due: datetime | None, due: datetime | None, now: datetime, tz: ZoneInfo) -> Urgency:
    """Red when the running deadline has passed, amber when it falls today (local day), else none.
    Only orders whose clock runs at the unit (dispatched, signed, handling) are coloured."""
    if state not in (State.DISPATCHED, State.SIGNED, State.HANDLING):
        return Urgency.NORMAL
    when = deadline(state, sign_due, due)
    if when is None:
        return Urgency.NORMAL
    if now > when:
        return Urgency.OVERDUE
    if when.astimezone(tz).date() == now.astimezone(tz).date():
        return Urgency.DUE_TODAY
    return Urgency.NORMAL


class Offer(StrEnum):
    """Forms on a work order's page (each a POST with CSRF to /unit/orders/{id}/{offer})."""

    SIGN = "sign"  # 签收
    HANDLE = "handle"  # 开始办理
    REPLY = "reply"  # 答复
    EXTENSION = "extension"  # 申请延期
    RETURN = "return"  # 退单
    CLOSE = "close"  # 办结
    APPROVE_EXTENSION = "approve-extension"  # 批准延期
    REJECT_EXTENSION = "reject-extension"  # 驳回延期


def offers(role: Role, state: State, own_unit: bool, extension_pending: bool, difficult: bool) -> list[Offer]:
    """The actions to show to `role` on an order in `state` (extensions: difficult matters only, 疑难事项)."""
    out: list[Offer] = []
    if role in UNIT_STAFF and own_unit:
        if state is State.DISPATCHED:
            out += [Offer.SIGN, Offer.RETURN]
        elif state is State.SIGNED:
            out += [Offer.HANDLE, Offer.REPLY, Offer.RETURN]
            out += [Offer.EXTENSION] if difficult and not extension_pending else []
        elif state is State.HANDLING:
            out += [Offer.REPLY, Offer.RETURN]
            out += [Offer.EXTENSION] if difficult and not extension_pending else []
    if role in HOTLINE_STAFF and state is State.REPLIED:
        out.append(Offer.CLOSE)
    if role in SUPERVISORS and extension_pending and state in (State.SIGNED, State.HANDLING):
        out += [Offer.APPROVE_EXTENSION, Offer.REJECT_EXTENSION]
    return out
