"""The outbox handler for `dingtalk.unit` messages: looks up the unit's robot and sends the markdown.

The webhook and secret are read at delivery time, not stored in the outbox row, so a unit whose robot
was misconfigured is reached once an admin fixes it (and no secret sits in the outbox table).
"""

from __future__ import annotations

import aiohttp
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ticketing.adapters.dingtalk import DingTalkRobot
from ticketing.adapters.orm import UnitRow
from ticketing.outbox import DeliveryFailed, OutboxMessage


class DingTalkUnitHandler:
    """Delivers `{"unit_id", "title", "text"}` to the unit's DingTalk group robot (浙政钉快速通道)."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], http: aiohttp.ClientSession, timeout: float = 10.0
    ) -> None:
        self._sessions = sessions
        self._http = http
        self._timeout = timeout

    async def __call__(self, message: OutboxMessage) -> None:
        payload = message.payload
        unit_id = payload.get("unit_id")
        async with self._sessions() as session:
            unit = await session.get(UnitRow, unit_id) if isinstance(unit_id, int) else None
        if unit is None:
            raise DeliveryFailed(f"单位不存在 (no such unit): {unit_id!r}", retryable=False)
        if not unit.dingtalk_webhook:
            raise DeliveryFailed(
                f"{unit.name}未配置钉钉机器人，无法通知 (unit has no DingTalk webhook)", retryable=False
            )
        robot = DingTalkRobot(unit.dingtalk_webhook, unit.dingtalk_secret, self._http, timeout=self._timeout)
        await robot.send_markdown(str(payload.get("title", "")), str(payload.get("text", "")))
