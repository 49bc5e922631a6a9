"""The composition root: `create_app(settings, overrides)` wires every package into one aiohttp app.

Every shared object lives under a `web.AppKey`; engines, connections and background tasks are
started and stopped by `cleanup_ctx`. `overrides` lets tests pass their own ports (fakes) by key.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any

from aiohttp import web
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from hotline.db import make_engine, make_sessionmaker
from hotline.health import Health
from hotline.settings import Settings

log = logging.getLogger(__name__)

SETTINGS = web.AppKey("settings", Settings)
ENGINE = web.AppKey("engine", AsyncEngine)
SESSIONS = web.AppKey("sessions", async_sessionmaker)
HEALTH = web.AppKey("health", Health)


async def _database(app: web.Application) -> AsyncIterator[None]:
    if ENGINE not in app:
        app[ENGINE] = make_engine(app[SETTINGS].database_url)
    app[SESSIONS] = make_sessionmaker(app[ENGINE])
    engine = app[ENGINE]

    async def probe() -> dict[str, Any]:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return {"ok": True, "dialect": engine.dialect.name}

    app[HEALTH].register("database", probe)
    yield
    await engine.dispose()


async def healthz(request: web.Request) -> web.Response:
    healthy, report = await request.app[HEALTH].report()
    return web.json_response({"ok": healthy, **report}, status=200 if healthy else 503)


def create_app(settings: Settings, overrides: Mapping[web.AppKey[Any], Any] | None = None) -> web.Application:
    """Build the service. Packages add their routes and background work through their `setup`."""
    app = web.Application(client_max_size=8 * 1024 * 1024)
    app[SETTINGS] = settings
    app[HEALTH] = Health()
    for key, value in (overrides or {}).items():
        app[key] = value
    app.cleanup_ctx.append(_database)
    app.router.add_get("/healthz", healthz)
    for setup in _package_setups():
        setup(app)
    return app


def _package_setups() -> list[Any]:
    """Each package's `setup(app)`, in dependency order. A package that has none is simply absent."""
    setups: list[Any] = []
    from callflow.seat.web import setup as setup_seat
    from callflow.web import setup as setup_callflow
    from ivr.session import setup as setup_navigation

    setups += [setup_callflow, setup_seat, setup_navigation]  # the seat queue exists before the menu
    from callflow.seat.expert_web import setup as setup_expert_calls

    setups.append(setup_expert_calls)  # recording and three-way calls build on the seat queue
    from callflow.seat.live_web import setup as setup_live_text

    setups.append(setup_live_text)  # live transcription of bridged calls
    from ticketing.web import setup as setup_ticketing

    setups.append(setup_ticketing)
    from ticketing.background import setup as setup_ticketing_background
    from ticketing.kpi_web import setup as setup_kpi

    setups += [setup_kpi, setup_ticketing_background]
    from hotline.callbacks import setup as setup_callbacks

    setups.append(setup_callbacks)  # voice messages → callback work orders
    from hotline.transcription import setup as setup_transcription

    setups.append(setup_transcription)  # call recordings → transcription jobs → draft work orders
    from sms_feedback.web import setup as setup_sms

    setups.append(setup_sms)
    from knowledge.web import setup as setup_knowledge

    setups.append(setup_knowledge)
    from recordings.web import setup as setup_recordings

    setups.append(setup_recordings)
    from console.web import setup as setup_console

    setups.append(setup_console)
    return setups
