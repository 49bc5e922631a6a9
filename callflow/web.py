"""Wiring of callflow into the aiohttp app: the ARI controller as a background task, and /healthz.

The service starts and serves even while Asterisk is unreachable: the controller keeps reconnecting
(backoff with jitter). /healthz's HTTP status reflects only the database; its `ari` entry tells the
ARI state plainly: `{"ok": false, "state": "reconnecting", "since": ..., "url": ..., "error": ...}`.
(The `ari` probe says `affects_status: false`, so `ok` false there does not make /healthz 503.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from aiohttp import web

from callflow.ari.client import AriClient
from callflow.ari.events import Backoff
from callflow.clock import REAL_TIME, Clock
from callflow.controller import Controller

log = logging.getLogger(__name__)

CallPlugin = Callable[[web.Application, Controller], None]
"""Installs routes on the controller at start-up (e.g. the voice menu for `inbound` calls)."""

CONTROLLER = web.AppKey("callflow_controller", Controller)
ARI_CLIENT = web.AppKey("callflow_ari_client", AriClient)
CALL_PLUGINS = web.AppKey("callflow_call_plugins", list)
CLOCK = web.AppKey("callflow_clock", Clock)
"""Tests put a `ScaledClock` shared with the fake Asterisk here."""
ARI_BACKOFF = web.AppKey("callflow_ari_backoff", Backoff)


def register_call_plugin(app: web.Application, plugin: CallPlugin) -> None:
    """Order-independent: a package may register before or after `setup`."""
    if CALL_PLUGINS not in app:
        app[CALL_PLUGINS] = []
    app[CALL_PLUGINS].append(plugin)


def setup(app: web.Application) -> None:
    if CALL_PLUGINS not in app:
        app[CALL_PLUGINS] = []
    app.cleanup_ctx.append(_ari_controller)


async def _ari_controller(app: web.Application) -> AsyncIterator[None]:
    from hotline.app import HEALTH, SETTINGS

    settings = app[SETTINGS]
    client = AriClient(settings.ari_url, settings.ari_user, settings.ari_password)
    clock = app[CLOCK] if CLOCK in app else REAL_TIME
    backoff = app[ARI_BACKOFF] if ARI_BACKOFF in app else Backoff()
    controller = Controller(
        client,
        settings.ari_app,
        clock=clock,
        backoff=backoff,
        fallback=(settings.seat_context, settings.seat_extension),
    )
    app[ARI_CLIENT] = client
    app[CONTROLLER] = controller
    for plugin in app[CALL_PLUGINS]:
        plugin(app, controller)

    async def probe() -> dict[str, Any]:
        state = controller.state
        state["calls"] = len(controller.workers)
        state["affects_status"] = False  # /healthz's HTTP status is the database's alone
        return state

    app[HEALTH].register("ari", probe)
    task = asyncio.create_task(controller.run(), name="ari-controller")
    log.info("ARI controller started for %s (app %s)", settings.ari_url, settings.ari_app)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await client.close()

