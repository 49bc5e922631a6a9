"""The DingTalk group robot (钉钉/浙政钉群机器人): the fast channel that tells a unit about a work order.

Speaks the custom-robot webhook format: POST JSON (`text` or `markdown` message) to the robot's webhook
URL (`https://oapi.dingtalk.com/robot/send?access_token=...`). With the "加签" security setting the URL
also carries `timestamp` (milliseconds) and `sign` = urlencode(base64(HMAC-SHA256(key=secret,
msg=f"{timestamp}\\n{secret}"))); DingTalk refuses a timestamp more than one hour off its clock.
The reply is `{"errcode": 0, "errmsg": "ok"}`; anything else raises `NotificationFailed`, which says
whether the outbox worker should retry.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import urllib.parse
from collections.abc import Callable, Sequence
from typing import Any

import aiohttp
from yarl import URL

# errcodes worth retrying: -1 system busy (系统繁忙), 130101 over 20 messages a minute (发送速度太快).
RETRYABLE_ERRCODES = frozenset({-1, 130101})


class NotificationFailed(Exception):
    """A notification was not delivered (通知发送失败); `retryable` tells the outbox whether to try again."""

    error_id = "notification-failed"

    def __init__(self, message: str, *, retryable: bool, errcode: int | None = None, status: int | None = None):
        super().__init__(message)
        self.retryable = retryable
        self.errcode = errcode
        self.status = status


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """The `sign` query value, already URL-encoded, exactly as DingTalk documents it."""
    string_to_sign = f"{timestamp_ms}\n{secret}"
    digest = hmac.new(secret.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


def _now_ms() -> int:
    return int(time.time() * 1000)


class DingTalkRobot:
    """One group robot. `secret` is the robot's "加签" secret (SEC...); None for keyword/IP-only robots."""

    def __init__(
        self,
        webhook_url: str,
        secret: str | None,
        session: aiohttp.ClientSession,
        *,
        timeout: float = 10.0,
        now_ms: Callable[[], int] = _now_ms,
    ) -> None:
        self.webhook_url = webhook_url
        self._secret = secret
        self._session = session
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._now_ms = now_ms

    def signed_url(self) -> URL:
        """The webhook URL with `timestamp` and `sign` appended (sign is pre-encoded, so the URL is too)."""
        if not self._secret:
            return URL(self.webhook_url)
        timestamp = self._now_ms()
        separator = "&" if "?" in self.webhook_url else "?"
        query = f"timestamp={timestamp}&sign={dingtalk_sign(self._secret, timestamp)}"
        return URL(str(URL(self.webhook_url)) + separator + query, encoded=True)

    async def send_markdown(
        self, title: str, text: str, at_mobiles: Sequence[str] = (), at_all: bool = False
    ) -> None:
        """A markdown message; `title` shows in the conversation list, `text` in the group."""
        text = _with_mentions(text, at_mobiles)
        await self.send(
            {"msgtype": "markdown", "markdown": {"title": title, "text": text}, "at": _at(at_mobiles, at_all)}
        )

    async def send_text(self, content: str, at_mobiles: Sequence[str] = (), at_all: bool = False) -> None:
        content = _with_mentions(content, at_mobiles)
        await self.send({"msgtype": "text", "text": {"content": content}, "at": _at(at_mobiles, at_all)})

    async def send(self, message: dict[str, Any]) -> None:
        """POST one message; raises `NotificationFailed` unless DingTalk answers errcode 0."""
        try:
            async with self._session.post(self.signed_url(), json=message, timeout=self._timeout) as resp:
                if resp.status != 200:
                    body = (await resp.text())[:200]
                    raise NotificationFailed(
                        f"钉钉机器人返回 HTTP {resp.status} (DingTalk HTTP error): {body}",
                        retryable=resp.status >= 500 or resp.status == 429,
                        status=resp.status,
                    )
                try:
                    reply = await resp.json(content_type=None)
                except ValueError as exc:
                    raise NotificationFailed(
                        "钉钉机器人返回的不是 JSON (DingTalk reply is not JSON)", retryable=True, status=resp.status
                    ) from exc
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise NotificationFailed(
                f"无法连接钉钉机器人 (DingTalk unreachable): {exc!r}", retryable=True
            ) from exc
        errcode = reply.get("errcode") if isinstance(reply, dict) else None
        if errcode != 0:
            errmsg = reply.get("errmsg", "") if isinstance(reply, dict) else str(reply)
            code = errcode if isinstance(errcode, int) else None
            raise NotificationFailed(
                f"钉钉机器人拒绝消息 (DingTalk refused): errcode={errcode} errmsg={errmsg}",
                retryable=code in RETRYABLE_ERRCODES,
                errcode=code,
                status=200,
            )


def _at(mobiles: Sequence[str], at_all: bool) -> dict[str, Any]:
    return {"atMobiles": list(mobiles), "isAtAll": at_all}


def _with_mentions(text: str, mobiles: Sequence[str]) -> str:
    """DingTalk only highlights an @mobile that also appears in the text, so add the missing ones."""
    missing = [m for m in mobiles if f"@{m}" not in text]
    return text + "".join(f" @{m}" for m in missing) if missing else text
