"""`hotline call test`: an operator's smoke test through ARI.

Originates `Local/stasis@hotline-local` (the dialplan sends the ;2 half into `Stasis(hotline,local)`,
where the running service's voice menu answers it). The ;1 half joins a small Stasis app of our own
(`<app>-calltest`) so we can press keys on it; the digits arrive on ;2 as if a caller pressed them.
When ;2 leaves the menu we print the path the menu left on the channel (HOTLINE_MENU_PATH) and where
the call ended up (its dialplan context/extension, or hung up), then hang up the test call.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any

from callflow.ari.client import AriClient
from callflow.ari.errors import AriError, AriUnavailable, NotFound
from callflow.ari.events import Backoff, EventStream
from callflow.clock import REAL_TIME, Clock


@dataclass
class CallTestResult:
    """What `hotline call test` found out."""

    path: str | None
    destination: str | None
    service: str | None
    ended_in: dict[str, Any] | None
    """The ;2 half's dialplan location after it left the menu, or None when it was hung up."""
    hung_up: bool

    def lines(self) -> list[str]:
        where = (
            "已挂断 (hung up)"
            if self.hung_up or self.ended_in is None
            else f"{self.ended_in.get('context')},{self.ended_in.get('exten')},{self.ended_in.get('priority')}"
        )
        return [
            f"导航路径 (path): {self.path or '（无）'}",
            f"去向 (destination): {self.destination or '（无）'}"
            + (f"  服务 (service): {self.service}" if self.service else ""),
            f"通话最终位置 (ended in): {where}",
        ]


async def run_call_test(
    client: AriClient,
    app: str,
    keys: list[str],
    *,
    number: str = "13800138000",
    endpoint: str = "Local/stasis@hotline-local",
    clock: Clock = REAL_TIME,
    key_gap_s: float = 1.0,
    settle_timeout_s: float = 120.0,
    connect_timeout_s: float = 10.0,
) -> CallTestResult:
    """Place the test call, press `keys` one by one, wait until the menu hands the call over."""
    test_app = f"{app}-calltest"
    watch = _TestCallWatch()
    stream = EventStream(client, [test_app], watch.on_event, backoff=Backoff(0.05, 1.0))
    reader = asyncio.create_task(stream.run())
    first: str | None = None
    limit = clock.real_seconds(settle_timeout_s)
    try:
        try:
            await asyncio.wait_for(stream.connected.wait(), connect_timeout_s)
        except TimeoutError:
            raise AriUnavailable(
                0, f"无法连接 ARI (cannot reach ARI) at {client.base_url}: {stream.state.last_error}"
            ) from None
        origin = await client.originate(
            endpoint, app=test_app, app_args="calltest", caller_id=f'"call test" <{number}>'
        )
        first = str(origin["id"])
        await asyncio.wait_for(watch.started(first), limit)
        menu_leg = await _other_half(client, origin)
        watch.menu_leg = menu_leg
        await client.subscribe(test_app, f"channel:{menu_leg}")  # its ChannelVarset events reach us
        for i, key in enumerate(keys):
            if i:
                await clock.sleep(key_gap_s)
            await client.send_dtmf(first, key)
        await asyncio.wait_for(watch.settled.wait(), limit)
        ended_in, hung_up = await _where_it_went(client, menu_leg, clock, settle_timeout_s)
        variables = watch.variables
        return CallTestResult(
            variables.get("HOTLINE_MENU_PATH"),
            variables.get("HOTLINE_DESTINATION"),
            variables.get("HOTLINE_SERVICE") or None,
            ended_in,
            hung_up,
        )
    finally:
        if first is not None:
            with contextlib.suppress(AriError):
                await client.hangup_if_present(first)
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader


class _TestCallWatch:
    """Follows the events of the test call: our ;1 half, and the subscribed ;2 half in the menu."""

    def __init__(self) -> None:
        self.menu_leg: str | None = None
        self.variables: dict[str, str] = {}
        self.settled = asyncio.Event()
        """The menu set HOTLINE_DESTINATION (it hands the call over next), or the menu leg hung up."""
        self._started: set[str] = set()
        self._change = asyncio.Event()

    def on_event(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        channel = event.get("channel") or {}
        if kind == "StasisStart":
            self._started.add(str(channel.get("id")))
        elif channel.get("id") == self.menu_leg:
            if kind == "ChannelVarset" and str(event.get("variable", "")).startswith("HOTLINE_"):
                self.variables[str(event["variable"])] = str(event.get("value", ""))
                if event["variable"] == "HOTLINE_DESTINATION":
                    self.settled.set()
            elif kind in ("ChannelHangupRequest", "ChannelDestroyed"):
                self.settled.set()
        self._change.set()
        self._change = asyncio.Event()

    async def started(self, channel_id: str) -> None:
        while channel_id not in self._started:
            await self._change.wait()


async def _other_half(client: AriClient, origin: dict[str, Any]) -> str:
    name = str(origin["name"])
    if not name.endswith(";1"):
        return str(origin["id"])
    wanted = name[:-2] + ";2"
    for channel in await client.list_channels():
        if channel.get("name") == wanted:
            return str(channel["id"])
    raise AriError(404, f"the other half {wanted} of the test call is not there", "GET", "/channels")


async def _where_it_went(
    client: AriClient, channel_id: str, clock: Clock, timeout_s: float
) -> tuple[dict[str, Any] | None, bool]:
    """The menu leg's dialplan location once it left Stasis (a moment after HOTLINE_DESTINATION), or gone."""
    deadline = clock.monotonic() + timeout_s
    while clock.monotonic() < deadline:
        try:
            channel = await client.get_channel(channel_id)
        except NotFound:
            return None, True
        dialplan = channel.get("dialplan") or {}
        if dialplan.get("app_name") != "Stasis":
            return dialplan, False
        await clock.sleep(0.2)
    raise TimeoutError(f"the test call stayed in the menu for {timeout_s} s")


def _call_test(args: argparse.Namespace) -> int:
    from hotline.settings import Settings

    settings = Settings.from_env()
    keys = [k.strip() for k in args.keys.split(",") if k.strip()]

    async def main() -> int:
        client = AriClient(settings.ari_url, settings.ari_user, settings.ari_password)
        try:
            result = await run_call_test(
                client,
                settings.ari_app,
                keys,
                number=args.number,
                endpoint=args.endpoint,
                key_gap_s=args.gap,
                connect_timeout_s=args.connect_timeout,
            )
        except (AriError, TimeoutError) as exc:
            print(f"测试呼叫失败 (test call failed): {exc or type(exc).__name__}")
            return 1
        finally:
            await client.close()
        for line in result.lines():
            print(line)
        return 0 if result.destination or result.hung_up else 1

    return asyncio.run(main())


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    call = sub.add_parser("call", help="calls through ARI")
    callsub = call.add_subparsers(dest="call_command", required=True)
    test = callsub.add_parser("test", help="originate a test call into the app, press keys, print the path")
    test.add_argument("--keys", default="", help="keys to press, comma separated, e.g. 1,3")
    test.add_argument("--number", default="13800138000", help="caller number of the test call")
    test.add_argument("--endpoint", default="Local/stasis@hotline-local", help="what to originate")
    test.add_argument("--gap", type=float, default=1.0, help="seconds between keys")
    test.add_argument("--connect-timeout", type=float, default=10.0, help="seconds to wait for ARI")
    test.set_defaults(func=_call_test)
