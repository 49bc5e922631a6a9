"""Wiring across packages: voice messages (callflow) become callback work orders (ticketing).

callflow keeps the messages and knows nothing of work orders; ticketing drafts work orders and knows
nothing of callflow's tables. This adapter is the one place that speaks to both.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

from aiohttp import web

from callflow.voice_messages import PendingVoiceMessage, VoiceMessagePickup
from ticketing.domain import workorder as wo
from ticketing.domain.roles import SYSTEM
from ticketing.services import WorkOrderService

VOICE_MESSAGE_PICKUP = web.AppKey("voice_message_pickup", VoiceMessagePickup)


class TicketingCallbackDrafts:
    """Drafts a callback work order (回拨) for a voice message, once per call."""

    def __init__(self, workorders: WorkOrderService, tz: ZoneInfo) -> None:
        self.workorders = workorders
        self.tz = tz

    async def draft_for_voice_message(self, message: PendingVoiceMessage) -> str:
        left = message.received_at.astimezone(self.tz).strftime("%Y-%m-%d %H:%M")
        length = f"，时长{message.duration_s:.0f}秒" if message.duration_s else ""
        row = await self.workorders.draft_for_call_once(
            SYSTEM,
            source=wo.Source.VOICE_MESSAGE,
            call_id=message.call_id,
            details=wo.Details(
                caller_phone=message.caller_number or None,
                title="非工作时间留言，请回拨",
                content=(
                    f"来电人{message.caller_number or '（号码未知）'}于{left}在非工作时间留言{length}"
                    f"（录音 {message.recording_name}）。请听取留言后回拨并登记诉求。"
                ),
            ),
            recording=message.recording_name,
            received_at=message.received_at,
        )
        return row.number


async def _pickup(app: web.Application) -> AsyncIterator[None]:
    from hotline.app import SESSIONS, SETTINGS
    from ticketing.background import BACKGROUND
    from ticketing.web import WORKORDERS

    settings = app[SETTINGS]
    drafts = TicketingCallbackDrafts(app[WORKORDERS], ZoneInfo(settings.timezone))
    pickup = VoiceMessagePickup(app[SESSIONS], drafts)
    app[VOICE_MESSAGE_PICKUP] = pickup
    if not app.get(BACKGROUND, True):  # tests that drive the background work themselves
        yield
        return
    task = asyncio.create_task(pickup.run(), name="voice-message-pickup")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def setup(app: web.Application) -> None:
    """Run the voice-message pickup with the service (after ticketing's services exist)."""
    app.cleanup_ctx.append(_pickup)
