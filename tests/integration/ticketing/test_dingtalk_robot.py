"""The DingTalk group robot against a local server that checks signatures the way DingTalk does."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from ticketing.adapters.dingtalk import DingTalkRobot, NotificationFailed, dingtalk_sign

SECRET = "SEC0c3d5e7a9b1f2e4d6c8a0b2d4f6e8a1c3e5b7d9f0a2c4e6b8d0f1a3c5e7b9d1f"
TOKEN = "robot-token-for-units"


@dataclass
class FakeDingTalk:
    """The custom-robot endpoint: access token, 1-hour timestamp window, HMAC-SHA256 signature."""

    secret: str | None = SECRET
    received: list[dict[str, Any]] = field(default_factory=list)
    queries: list[dict[str, str]] = field(default_factory=list)
    forced: list[web.Response] = field(default_factory=list)

    async def send(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        self.queries.append(query)
        if self.forced:
            return self.forced.pop(0)
        if query.get("access_token") != TOKEN:
            return web.json_response({"errcode": 300001, "errmsg": "token is not exist"})
        if self.secret is not None:
            try:
                timestamp = int(query["timestamp"])
            except (KeyError, ValueError):
                return web.json_response({"errcode": 310000, "errmsg": "sign not match"})
            if abs(time.time() * 1000 - timestamp) > 3600 * 1000:
                return web.json_response({"errcode": 310000, "errmsg": "invalid timestamp"})
            expected = base64.b64encode(
                hmac.new(self.secret.encode(), f"{timestamp}\n{self.secret}".encode(), hashlib.sha256).digest()
            ).decode()
            if query.get("sign") != expected:
                return web.json_response({"errcode": 310000, "errmsg": "sign not match"})
        self.received.append(await request.json())
        return web.json_response({"errcode": 0, "errmsg": "ok"})


@pytest.fixture
def dingtalk() -> FakeDingTalk:
    return FakeDingTalk()


@pytest.fixture
async def webhook(aiohttp_server, dingtalk) -> str:
    app = web.Application()
    app.router.add_post("/robot/send", dingtalk.send)
    server = await aiohttp_server(app)
    return str(server.make_url(f"/robot/send?access_token={TOKEN}"))


@pytest.fixture
async def session():
    async with aiohttp.ClientSession() as s:
        yield s


async def test_a_signed_markdown_message_is_delivered(webhook, dingtalk, session):
    robot = DingTalkRobot(webhook, SECRET, session)
    await robot.send_markdown(
        "工单即将超期", "### 工单 GD20251009001\n请于 **10月9日 16:00** 前办结", at_mobiles=["13800001111"]
    )
    assert dingtalk.received == [
        {
            "msgtype": "markdown",
            "markdown": {
                "title": "工单即将超期",
                "text": "### 工单 GD20251009001\n请于 **10月9日 16:00** 前办结 @13800001111",
            },
            "at": {"atMobiles": ["13800001111"], "isAtAll": False},
        }
    ]
    assert set(dingtalk.queries[0]) == {"access_token", "timestamp", "sign"}


async def test_signatures_with_plus_and_slash_survive_url_encoding(webhook, dingtalk, session):
    now = int(time.time() * 1000)
    awkward = next(ts for ts in range(now, now + 10_000) if "%2B" in dingtalk_sign(SECRET, ts))
    robot = DingTalkRobot(webhook, SECRET, session, now_ms=lambda: awkward)
    await robot.send_text("新工单已派发，请及时签收")
    assert dingtalk.received[0]["text"] == {"content": "新工单已派发，请及时签收"}


async def test_a_robot_without_secret_sends_no_signature(webhook, dingtalk, session):
    dingtalk.secret = None
    await DingTalkRobot(webhook, None, session).send_text("测试")
    assert set(dingtalk.queries[0]) == {"access_token"}


async def test_a_wrong_secret_is_a_permanent_failure(webhook, dingtalk, session):
    with pytest.raises(NotificationFailed) as err:
        await DingTalkRobot(webhook, "SECwrong", session).send_text("测试")
    assert err.value.errcode == 310000
    assert not err.value.retryable
    assert err.value.error_id == "notification-failed"
    assert dingtalk.received == []


async def test_a_stale_timestamp_is_refused(webhook, session):
    two_hours_ago = int(time.time() * 1000) - 2 * 3600 * 1000
    with pytest.raises(NotificationFailed) as err:
        await DingTalkRobot(webhook, SECRET, session, now_ms=lambda: two_hours_ago).send_text("测试")
    assert "invalid timestamp" in str(err.value)


async def test_sending_too_fast_is_retryable(webhook, dingtalk, session):
    dingtalk.forced.append(web.json_response({"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}))
    robot = DingTalkRobot(webhook, SECRET, session)
    with pytest.raises(NotificationFailed) as err:
        await robot.send_text("测试")
    assert err.value.retryable and err.value.errcode == 130101
    await robot.send_text("测试")  # the retry goes through
    assert len(dingtalk.received) == 1


@pytest.mark.parametrize(("status", "retryable"), [(502, True), (503, True), (429, True), (404, False)])
async def test_http_errors(webhook, dingtalk, session, status, retryable):
    dingtalk.forced.append(web.Response(status=status, text="upstream says no"))
    with pytest.raises(NotificationFailed) as err:
        await DingTalkRobot(webhook, SECRET, session).send_text("测试")
    assert err.value.status == status
    assert err.value.retryable is retryable


async def test_an_unreachable_robot_is_retryable(session, unused_tcp_port):
    robot = DingTalkRobot(f"http://127.0.0.1:{unused_tcp_port}/robot/send?access_token=x", SECRET, session)
    with pytest.raises(NotificationFailed) as err:
        await robot.send_text("测试")
    assert err.value.retryable
