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
    """Each package's `setup(app)`, in dependency order (imported here: packages import this module's
    keys, so importing them at the top would be circular)."""
    from callflow.seat.expert_web import setup as expert_calls
    from callflow.seat.live_web import setup as live_text
    from callflow.seat.web import setup as seat
    from callflow.web import setup as callflow
    from console.web import setup as console
    from hotline.callbacks import setup as callbacks
    from hotline.transcription import setup as transcription
    from ivr.session import setup as navigation
    from knowledge.web import setup as knowledge
    from recordings.web import setup as recordings
    from reports.web import setup as reports
    from sms_feedback.channels_web import setup as survey_channels
    from sms_feedback.reviews_web import setup as reviews
    from sms_feedback.web import setup as sms
    from ticketing.background import setup as ticketing_background
    from ticketing.kpi_web import setup as kpi
    from ticketing.web import setup as ticketing

    return [
        callflow,
        seat,  # the seat queue exists before the menu hands callers to it
        navigation,
        expert_calls,  # recording and three-way calls build on the seat queue
        live_text,  # live transcription of bridged calls
        ticketing,
        kpi,
        ticketing_background,
        callbacks,  # voice messages → callback work orders
        transcription,  # call recordings → transcription jobs → draft work orders
        sms,
        reviews,  # the review loop (差评整改) after the surveys
        survey_channels,  # the rating link page and the phone survey (电话回访), on the survey services
        knowledge,
        recordings,
        reports,  # before the console: its pages read the reports service
        console,
    ]
