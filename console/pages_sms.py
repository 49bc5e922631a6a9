"""短信与回访 (`/sms`): what the service has sent and how each satisfaction survey stands.

For agents, supervisors and admins. The upper part is the survey table (persisted: every closure's
survey with its state, delivery status, rating and channel — sms, web or phone); the lower part is the
local outbox (本地发件箱), the messages the default gateway kept instead of sending when no Twilio
credentials are set (kept in memory since the service started). With Twilio configured it says so.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy import select

from console.auth.services import SignedIn
from console.web import page, render
from hotline.app import SESSIONS
from sms_feedback.adapters.local_outbox import LocalOutboxGateway
from sms_feedback.adapters.orm import SurveyRow
from sms_feedback.web import SMS_GATEWAY
from ticketing.domain.roles import Role

SURVEY_LIMIT = 100
STATE_ZH = {
    "pending": "待发送",
    "sending": "发送中",
    "sent": "已发送，待评价",
    "rated": "已评价",
    "opted_out": "已退订",
    "expired": "已过期",
    "unreachable": "多次回访未接通",
}
RATING_ZH = {"satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意"}
CHANNEL_ZH = {"sms": "短信", "web": "评价链接", "link": "评价链接", "phone": "电话回访"}
PURPOSE_ZH = {"closure": "办结回访", "revisit": "整改回访"}


def survey_line(row: SurveyRow) -> dict[str, Any]:
    """One survey as the page shows it (display text)."""
    return {
        "number": row.workorder_number,
        "phone": row.phone,
        "purpose": PURPOSE_ZH.get(row.purpose or "closure", row.purpose or ""),
        "state": STATE_ZH.get(row.state, row.state),
        "delivery": row.delivery_status or "—",
        "failed": row.delivery_failed_at is not None,
        "sent_at": row.sent_at,
        "rating": RATING_ZH.get(row.rating or "", "—"),
        "channel": CHANNEL_ZH.get(row.channel or "", "—"),
        "rated_at": row.rated_at,
        "comment": row.comment or "",
    }


@page(Role.AGENT, Role.SUPERVISOR, Role.ADMIN)
async def sms_page(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    """The surveys, newest first, and the local outbox."""
    async with request.app[SESSIONS]() as session:
        rows = (
            await session.execute(select(SurveyRow).order_by(SurveyRow.id.desc()).limit(SURVEY_LIMIT))
        ).scalars().all()
    gateway = request.app.get(SMS_GATEWAY)
    local = isinstance(gateway, LocalOutboxGateway)
    messages = list(reversed(gateway.messages)) if isinstance(gateway, LocalOutboxGateway) else []
    return render(
        request, "sms.html", surveys=[survey_line(r) for r in rows], local_gateway=local, messages=messages,
        limit=SURVEY_LIMIT,
    )


ROUTES = [("GET", "/sms", sms_page)]
