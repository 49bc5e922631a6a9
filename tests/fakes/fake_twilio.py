"""A local fake of Twilio's Messages REST API, for the real `twilio` library to talk to.

`POST /2010-04-01/Accounts/{AccountSid}/Messages.json` with HTTP Basic auth (account SID and auth token),
form fields as Twilio takes them (To, From or MessagingServiceSid, Body, StatusCallback), answering with
Twilio-shaped JSON: 201 and a message resource, or an error body `{code, message, more_info, status}`.
Tests script the next answers (`fail_next`) or hold a response until released (`hold_next`) to make
the client time out.
"""

from __future__ import annotations

import asyncio
import base64
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime

from aiohttp import web

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


@dataclass(frozen=True)
class ReceivedRequest:
    """One request as the fake saw it."""

    method: str
    path: str
    account_sid: str
    form: dict[str, str]
    headers: dict[str, str]


@dataclass
class FakeTwilio:
    """State and script of the fake; `app` is the aiohttp application serving it."""

    account_sid: str
    auth_token: str
    requests: list[ReceivedRequest] = field(default_factory=list)
    _failures: list[tuple[int, int, str]] = field(default_factory=list)
    _pages: list[tuple[int, str]] = field(default_factory=list)
    _holds: int = 0
    release: asyncio.Event = field(default_factory=asyncio.Event)

    def fail_next(self, status: int, code: int, message: str) -> None:
        """Answer the next request with a Twilio error body."""
        self._failures.append((status, code, message))

    def fail_next_with_page(self, status: int, page: str) -> None:
        """Answer the next request with a non-JSON body, as a load balancer in front of Twilio may."""
        self._pages.append((status, page))

    def hold_next(self) -> None:
        """Keep the next request waiting until `release` is set (the client's timeout fires first)."""
        self._holds += 1

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/2010-04-01/Accounts/{account_sid}/Messages.json", self._create_message)
        return app

    def _error(self, status: int, code: int, message: str) -> web.Response:
        return web.json_response(
            {
                "code": code,
                "message": message,
                "more_info": f"https://www.twilio.com/docs/errors/{code}",
                "status": status,
            },
            status=status,
        )

    def _authorised(self, request: web.Request, account_sid: str) -> bool:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        return user == self.account_sid == account_sid and password == self.auth_token

    async def _create_message(self, request: web.Request) -> web.Response:
        account_sid = request.match_info["account_sid"]
        form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        self.requests.append(
            ReceivedRequest(request.method, request.path, account_sid, form, dict(request.headers))
        )
        if self._holds:
            self._holds -= 1
            await self.release.wait()
        if not self._authorised(request, account_sid):
            return self._error(401, 20003, "Authenticate")
        if self._failures:
            return self._error(*self._failures.pop(0))
        if self._pages:
            status, page = self._pages.pop(0)
            return web.Response(status=status, text=page, content_type="text/html")
        to = form.get("To", "")
        if not _E164.match(to):
            return self._error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        sender = form.get("From") or form.get("MessagingServiceSid")
        if not sender:
            return self._error(400, 21603, "The 'From' phone number is required.")
        if not form.get("Body"):
            return self._error(400, 21602, "Message body is required.")
        sid = "SM" + uuid.uuid4().hex
        now = format_datetime(datetime.now(UTC), usegmt=True)
        return web.json_response(
            {
                "account_sid": account_sid,
                "api_version": "2010-04-01",
                "body": form["Body"],
                "date_created": now,
                "date_sent": None,
                "date_updated": now,
                "direction": "outbound-api",
                "error_code": None,
                "error_message": None,
                "from": form.get("From"),
                "messaging_service_sid": form.get("MessagingServiceSid"),
                "num_media": "0",
                "num_segments": "1",
                "price": None,
                "price_unit": "USD",
                "sid": sid,
                "status": "accepted" if form.get("MessagingServiceSid") else "queued",
                "subresource_uris": {
                    "media": f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}/Media.json"
                },
                "to": to,
                "uri": f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}.json",
            },
            status=201,
        )
