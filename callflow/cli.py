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
from callflow.ari.errors import AriError, NotFound
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
) -> CallTestResult:
    """Place the test call, press `keys` one by one, wait until the menu hands the call over."""
    test_app = f"{app}-calltest"
    events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    stream = EventStream(client, [test_app], events.put_nowait, backoff=Backoff(0.05, 1.0))
    reader = asyncio.create_task(stream.run())
    try:
        await asyncio.wait_for(stream.connected.wait(), clock.real_seconds(10) + 5)
        origin = await client.originate(
            endpoint, app=test_app, app_args="calltest", caller_id=f'"call test" <{number}>'
        )
        first = str(origin["id"])
        await _wait_for(events, lambda e: e.get("type") == "StasisStart" and e["channel"]["id"] == first,
                        clock.real_seconds(settle_timeout_s))
        menu_leg = await _other_half(client, origin)
        for i, key in enumerate(keys):
            if i:
                await clock.sleep(key_gap_s)
            await client.send_dtmf(first, key)
        ended_in, hung_up = await _wait_left_menu(client, menu_leg, clock, settle_timeout_s)
        path = destination = service = None
        if not hung_up:
            path = await _variable(client, menu_leg, "HOTLINE_MENU_PATH")
            destination = await _variable(client, menu_leg, "HOTLINE_DESTINATION")
            service = await _variable(client, menu_leg, "HOTLINE_SERVICE")
        with contextlib.suppress(AriError):
            await client.hangup_if_present(first)
        return CallTestResult(path, destination, service or None, ended_in, hung_up)
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader


async def _wait_for(queue: asyncio.Queue[dict[str, Any]], match: Any, limit_s: float) -> dict[str, Any]:
    async def loop() -> dict[str, Any]:
        while True:
            event = await queue.get()
            if match(event):
                return event

    return await asyncio.wait_for(loop(), limit_s)


async def _other_half(client: AriClient, origin: dict[str, Any]) -> str:
    name = str(origin["name"])
    if not name.endswith(";1"):
        return str(origin["id"])
    wanted = name[:-2] + ";2"
    for channel in await client.list_channels():
        if channel.get("name") == wanted:
            return str(channel["id"])
    raise AriError(404, f"the other half {wanted} of the test call is not there", "GET", "/channels")


async def _wait_left_menu(
    client: AriClient, channel_id: str, clock: Clock, timeout_s: float
) -> tuple[dict[str, Any] | None, bool]:
    """Poll the menu leg until it is no longer in Stasis (continued in the dialplan) or gone."""
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


async def _variable(client: AriClient, channel_id: str, name: str) -> str | None:
    try:
        return await client.get_variable(channel_id, name)
    except AriError:
        return None


def _call_test(args: argparse.Namespace) -> int:
    from hotline.settings import Settings

    settings = Settings.from_env()
    keys = [k.strip() for k in args.keys.split(",") if k.strip()]

    async def main() -> int:
        client = AriClient(settings.ari_url, settings.ari_user, settings.ari_password)
        try:
            result = await run_call_test(
                client, settings.ari_app, keys, number=args.number, endpoint=args.endpoint, key_gap_s=args.gap
            )
        except (AriError, TimeoutError) as exc:
            print(f"测试呼叫失败 (test call failed): {exc}")
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
    test.set_defaults(func=_call_test)
