"""The ARI REST client: one aiohttp session, typed errors, timeouts, and the calls a hotline makes.

Parameters go in the query string exactly as the Swagger descriptions name them (`variables` in the JSON
body). Every method returns Asterisk's parsed JSON; ids are plain strings.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from typing import Any

import aiohttp

from callflow.ari.errors import AriUnavailable, ChannelGone, NotFound, error_for

Json = Any
Params = Mapping[str, str | int | float | bool | None]


def _query(params: Params | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in (params or {}).items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, float) and value.is_integer():
            out[key] = str(int(value))
        else:
            out[key] = str(value)
    return out


class AriClient:
    """REST half of ARI. `base_url` is Asterisk's HTTP root (e.g. http://127.0.0.1:8088), without `/ari`."""

    def __init__(
        self,
        base_url: str,
        user: str,
        password: str,
        *,
        session: aiohttp.ClientSession | None = None,
        timeout_s: float = 30.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        self.headers = {"Authorization": f"Basic {token}"}
        self.timeout = aiohttp.ClientTimeout(total=timeout_s, connect=min(5.0, timeout_s))
        self._session = session
        self._owns_session = session is None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
            self._owns_session = True
        return self._session

    async def close(self) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()

    def events_url(self, apps: Iterable[str]) -> str:
        ws = "ws" + self.base_url[len("http") :] if self.base_url.startswith("http") else self.base_url
        return f"{ws}/ari/events?app={','.join(apps)}&subscribeAll=false"

    async def request(
        self, method: str, path: str, params: Params | None = None, body: Json | None = None
    ) -> Json:
        """One REST call. Raises a subclass of `AriError`; returns parsed JSON, bytes for files, or None."""
        url = f"{self.base_url}/ari{path}"
        try:
            async with self.session.request(
                method, url, params=_query(params), json=body, headers=self.headers, timeout=self.timeout
            ) as resp:
                if resp.status >= 400:
                    message = await self._message(resp)
                    raise error_for(resp.status, message, method, path)
                if resp.status == 204:
                    return None
                if resp.content_type == "application/json":
                    return await resp.json()
                return await resp.read()
        except (aiohttp.ClientConnectionError, TimeoutError) as exc:
            raise AriUnavailable(0, f"{type(exc).__name__}: {exc}", method, path) from exc

    @staticmethod
    async def _message(resp: aiohttp.ClientResponse) -> str:
        try:
            data = await resp.json(content_type=None)
        except (ValueError, aiohttp.ContentTypeError):
            return (await resp.text())[:200]
        if isinstance(data, dict):
            return str(data.get("message") or data.get("error") or data)
        return str(data)

    # --- applications, channels, bridges (reconcile) ---
    async def get_application(self, app: str) -> Json:
        return await self.request("GET", f"/applications/{app}")

    async def list_channels(self) -> list[Json]:
        return list(await self.request("GET", "/channels"))

    async def list_bridges(self) -> list[Json]:
        return list(await self.request("GET", "/bridges"))

    async def get_channel(self, channel_id: str) -> Json:
        return await self.request("GET", f"/channels/{channel_id}")

    async def subscribe(self, app: str, event_source: str) -> Json:
        """Receive events of `event_source` (e.g. `channel:<id>`) on `app`'s socket too."""
        return await self.request("POST", f"/applications/{app}/subscription", {"eventSource": event_source})

    async def ping(self) -> Json:
        return await self.request("GET", "/asterisk/ping")

    # --- channel control ---
    async def answer(self, channel_id: str) -> None:
        await self.request("POST", f"/channels/{channel_id}/answer")

    async def hangup(self, channel_id: str, reason: str = "normal") -> None:
        await self.request("DELETE", f"/channels/{channel_id}", {"reason": reason})

    async def hangup_if_present(self, channel_id: str, reason: str = "normal") -> bool:
        """Hang up; a channel that is already gone is fine. True if we hung it up."""
        try:
            await self.hangup(channel_id, reason)
        except ChannelGone:
            return False
        return True

    async def continue_in_dialplan(
        self, channel_id: str, context: str | None = None, extension: str | None = None, priority: int | None = None
    ) -> None:
        await self.request(
            "POST",
            f"/channels/{channel_id}/continue",
            {"context": context, "extension": extension, "priority": priority},
        )

    async def set_variable(self, channel_id: str, name: str, value: str) -> None:
        await self.request("POST", f"/channels/{channel_id}/variable", {"variable": name, "value": value})

    async def get_variable(self, channel_id: str, name: str) -> str | None:
        """The variable's value, or None when it is not set."""
        try:
            data = await self.request("GET", f"/channels/{channel_id}/variable", {"variable": name})
        except ChannelGone:
            raise
        except NotFound:
            return None
        return None if data is None else str(data.get("value", ""))

    async def send_dtmf(
        self, channel_id: str, dtmf: str, *, between_ms: int = 250, duration_ms: int = 150
    ) -> None:
        await self.request(
            "POST", f"/channels/{channel_id}/dtmf", {"dtmf": dtmf, "between": between_ms, "duration": duration_ms}
        )

    async def originate(
        self,
        endpoint: str,
        *,
        app: str,
        app_args: str | None = None,
        caller_id: str | None = None,
        timeout_s: int | None = None,
        variables: Mapping[str, str] | None = None,
    ) -> Json:
        body = {"variables": dict(variables)} if variables else None
        return await self.request(
            "POST",
            "/channels",
            {"endpoint": endpoint, "app": app, "appArgs": app_args, "callerId": caller_id, "timeout": timeout_s},
            body,
        )

    # --- media ---
    async def play(self, channel_id: str, media: Iterable[str], playback_id: str) -> Json:
        """Play one or several media (`sound:a,sound:b` is one playback with `next_media_uri`)."""
        return await self.request(
            "POST", f"/channels/{channel_id}/play/{playback_id}", {"media": ",".join(media)}
        )

    async def get_playback(self, playback_id: str) -> Json:
        return await self.request("GET", f"/playbacks/{playback_id}")

    async def stop_playback(self, playback_id: str) -> bool:
        """Stop a playback (it then finishes as `done`). False if it had already finished."""
        try:
            await self.request("DELETE", f"/playbacks/{playback_id}")
        except NotFound:
            return False
        return True

    async def record(
        self,
        channel_id: str,
        name: str,
        *,
        fmt: str = "wav",
        max_duration_s: int = 0,
        max_silence_s: int = 0,
        beep: bool = True,
        terminate_on: str = "#",
        if_exists: str = "fail",
    ) -> Json:
        return await self.request(
            "POST",
            f"/channels/{channel_id}/record",
            {
                "name": name,
                "format": fmt,
                "maxDurationSeconds": max_duration_s,
                "maxSilenceSeconds": max_silence_s,
                "beep": beep,
                "terminateOn": terminate_on,
                "ifExists": if_exists,
            },
        )

    async def get_live_recording(self, name: str) -> Json:
        return await self.request("GET", f"/recordings/live/{name}")

    async def stop_live_recording(self, name: str) -> None:
        await self.request("POST", f"/recordings/live/{name}/stop")

    async def get_stored_recording(self, name: str) -> Json | None:
        try:
            return await self.request("GET", f"/recordings/stored/{name}")
        except NotFound:
            return None

    async def stored_recording_file(self, name: str) -> bytes:
        data = await self.request("GET", f"/recordings/stored/{name}/file")
        return bytes(data)

    # --- bridges ---
    async def destroy_bridge(self, bridge_id: str) -> bool:
        try:
            await self.request("DELETE", f"/bridges/{bridge_id}")
        except NotFound:
            return False
        return True
