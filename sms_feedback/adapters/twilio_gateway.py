"""`SmsGateway` over the real `twilio` library's async client.

`Client(account_sid, auth_token, http_client=AsyncTwilioHttpClient(...))` and
`client.messages.create_async(to=, from_=, body=, status_callback=)`. The library's documented way to
change how requests travel is a custom http client; `RoutedAsyncTwilioHttpClient` is one: it may send
the API calls to another base URL (a proxy on a government network, or a local fake Twilio in tests),
applies its timeout to every call, and sends Basic auth as a header.

Errors become the port's: 5xx, 429, timeouts and broken connections are `SmsRetryableError`; any other
4xx is `SmsPermanentError` carrying Twilio's error code (21211 invalid number, 21610 unsubscribed…).
"""

from __future__ import annotations

import base64
import logging
from urllib.parse import urlsplit, urlunsplit

import aiohttp
from twilio.base import values
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from sms_feedback.adapters.local_outbox import LocalOutboxGateway
from sms_feedback.ports import SentMessage, SmsGateway, SmsPermanentError, SmsRetryableError

log = logging.getLogger(__name__)


class RoutedAsyncTwilioHttpClient(AsyncTwilioHttpClient):
    """The library's async http client, optionally pointed at another base URL (scheme, host, port)."""

    def __init__(self, *, api_base_url: str | None = None, timeout: float | None = 10.0) -> None:
        super().__init__(timeout=timeout)
        self.api_base_url = api_base_url.rstrip("/") if api_base_url else None

    def route(self, url: str) -> str:
        """The URL the request really goes to: the library's path under `api_base_url`."""
        if not self.api_base_url:
            return url
        base = urlsplit(self.api_base_url)
        target = urlsplit(url)
        return urlunsplit((base.scheme, base.netloc, base.path + target.path, target.query, ""))

    async def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - the library's signature
        allow_redirects: bool = False,
    ) -> Response:
        headers = dict(headers or {})
        if auth is not None:  # aiohttp deprecates its auth= parameter; the header is the same thing
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
            headers["Authorization"] = f"Basic {token}"
        return await super().request(
            method,
            self.route(url),
            params=params,
            data=data,
            headers=headers,
            auth=None,
            timeout=timeout if timeout is not None else self.timeout,
            allow_redirects=allow_redirects,
        )


class TwilioGateway:
    """Sends survey SMS through Twilio's Messages API with a status callback URL."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        sender: str,
        *,
        api_base_url: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self._account_sid = account_sid
        self._auth_token = auth_token
        self._sender = sender  # a number (+861…), an alphanumeric sender id, or a Messaging Service MG…
        self._api_base_url = api_base_url
        self._timeout = timeout
        self._http: RoutedAsyncTwilioHttpClient | None = None
        self._client: Client | None = None

    def _ensure_client(self) -> Client:
        # built on first use: the http client opens an aiohttp session, which wants a running loop
        if self._client is None:
            self._http = RoutedAsyncTwilioHttpClient(api_base_url=self._api_base_url, timeout=self._timeout)
            self._client = Client(self._account_sid, self._auth_token, http_client=self._http, environment={})
        return self._client

    async def send(self, to: str, body: str, status_callback: str | None = None) -> SentMessage:
        client = self._ensure_client()
        sender = (
            {"messaging_service_sid": self._sender}
            if self._sender.startswith("MG")
            else {"from_": self._sender}
        )
        try:
            message = await client.messages.create_async(
                to=to,
                body=body,
                status_callback=status_callback if status_callback else values.unset,
                **sender,
            )
        except (TwilioRestException, TwilioServiceException) as exc:
            raise _classify(exc) from exc
        except TimeoutError as exc:
            raise SmsRetryableError(f"Twilio 请求超时（{self._timeout} 秒）: {to}") from exc
        except aiohttp.ClientError as exc:
            raise SmsRetryableError(f"无法连接 Twilio: {exc}") from exc
        if not message.sid:
            raise SmsRetryableError("Twilio 的回应中没有 MessageSid")
        log.info("sms sent via twilio sid=%s to=%s status=%s", message.sid, to, message.status)
        return SentMessage(sid=message.sid, status=str(message.status or "queued"))

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None
            self._client = None


def _classify(exc: TwilioRestException | TwilioServiceException) -> SmsRetryableError | SmsPermanentError:
    status = int(exc.status)
    code = int(exc.code) if exc.code is not None else None
    text = getattr(exc, "msg", None) or getattr(exc, "title", "") or str(exc)
    message = f"Twilio 拒绝发送（HTTP {status}，错误码 {code}）: {text}"
    if status >= 500 or status == 429:
        return SmsRetryableError(message, http_status=status, code=code)
    return SmsPermanentError(message, http_status=status, code=code)


def choose_gateway(
    account_sid: str | None,
    auth_token: str | None,
    sender: str | None,
    *,
    api_base_url: str | None = None,
) -> SmsGateway:
    """Twilio when all three credentials are set, otherwise the local outbox (the embedded default)."""
    if account_sid and auth_token and sender:
        return TwilioGateway(account_sid, auth_token, sender, api_base_url=api_base_url)
    missing = [
        name
        for name, value in (
            ("TWILIO_ACCOUNT_SID", account_sid),
            ("TWILIO_AUTH_TOKEN", auth_token),
            ("TWILIO_FROM", sender),
        )
        if not value
    ]
    log.info("no Twilio credentials (%s): SMS go to the local outbox", ", ".join(missing))
    return LocalOutboxGateway()
