"""Scenario helpers for the review-loop tests (a pytest plugin, listed in tests/conftest.py).

`review_api`: the real app on a clean copy of the module's migrated database (`migrated_url`, which
each review test module chooses), a movable clock, one user per role, and the background tasks off so
the outbox keeps exactly what the scenario queued.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from hotline.app import create_app
from hotline.db import make_engine, make_sessionmaker
from hotline.settings import Settings
from sms_feedback.adapters.orm import (
    ReviewBadReviewRow,
    ReviewEventRow,
    ReviewRectificationRow,
    ReviewResponsibilityRow,
)
from sms_feedback.review_loop import SURVEY_SEND, ReviewLoop
from sms_feedback.reviews_web import REVIEW_LOOP
from tests.integration.ticketing.api_fixtures import TZ, USERS, MovableClock, WorkOrderApi, _clean_copy
from ticketing.adapters.orm import OutboxRow
from ticketing.background import BACKGROUND
from ticketing.services import Directory
from ticketing.web import NOW


@pytest.fixture
async def review_api(migrated_url: str, aiohttp_client: Any, tmp_path: Path) -> AsyncIterator[WorkOrderApi]:
    url = await _clean_copy(migrated_url, tmp_path)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    directory = Directory(sessions)
    tokens = {}
    for login, (role, unit) in USERS.items():
        _, tokens[login] = await directory.add_user(login, login, role, unit)
    units = {u.code: u.id for u in await directory.units()}
    clock = MovableClock(datetime(2025, 11, 3, 9, 0, tzinfo=TZ))
    settings = Settings(database_url=url, data_dir=tmp_path, ari_url="http://127.0.0.1:9")
    app = create_app(settings, overrides={NOW: clock.now, BACKGROUND: False})
    client = await aiohttp_client(app)
    yield WorkOrderApi(client, engine, sessions, clock, engine.dialect.name, tokens, units)
    await engine.dispose()


def review_loop(api: WorkOrderApi) -> ReviewLoop:
    app = api.client.app
    assert app is not None
    return app[REVIEW_LOOP]


async def closed_order(
    api: WorkOrderApi,
    unit: str = "scjgj",
    handler: str = "market",
    title: str = "食品经营许可证办理缓慢",
    phone: str = "139-0000-1111",
) -> str:
    """A complaint dispatched to `unit`, answered by `handler` and closed by the hotline (办结)."""
    ref = str((await api.dispatched_complaint(unit, "simple", caller_phone=phone, title=title))["number"])
    await api.ok("POST", f"/workorders/{ref}/sign", handler)
    await api.ok("POST", f"/workorders/{ref}/reply", handler, {"reply": "已上门办理"})
    await api.ok("POST", f"/workorders/{ref}/close", "agent", {"result": "已办结"})
    return ref


async def order(api: WorkOrderApi, ref: str) -> dict[str, Any]:
    return dict(await api.ok("GET", f"/workorders/{ref}", "supervisor"))


async def entries(api: WorkOrderApi, ref: str) -> list[ReviewRectificationRow]:
    async with api.sessions() as session:
        rows = await session.scalars(
            select(ReviewRectificationRow)
            .where(ReviewRectificationRow.workorder_number == ref)
            .order_by(ReviewRectificationRow.id)
        )
        return list(rows.all())


async def bad_reviews(api: WorkOrderApi, ref: str) -> list[ReviewBadReviewRow]:
    async with api.sessions() as session:
        rows = await session.scalars(
            select(ReviewBadReviewRow)
            .where(ReviewBadReviewRow.workorder_number == ref)
            .order_by(ReviewBadReviewRow.id)
        )
        return list(rows.all())


async def responsibilities(api: WorkOrderApi, ref: str) -> list[ReviewResponsibilityRow]:
    async with api.sessions() as session:
        rows = await session.scalars(
            select(ReviewResponsibilityRow).where(ReviewResponsibilityRow.workorder_number == ref)
        )
        return list(rows.all())


async def events(api: WorkOrderApi, review_id: int) -> list[ReviewEventRow]:
    async with api.sessions() as session:
        rows = await session.scalars(
            select(ReviewEventRow).where(ReviewEventRow.review_id == review_id).order_by(ReviewEventRow.id)
        )
        return list(rows.all())


async def revisit_surveys(api: WorkOrderApi) -> list[OutboxRow]:
    async with api.sessions() as session:
        rows = await session.scalars(
            select(OutboxRow)
            .where(OutboxRow.kind == SURVEY_SEND, OutboxRow.idempotency_key.like("%:revisit:%"))
            .order_by(OutboxRow.id)
        )
        return list(rows.all())


async def count(api: WorkOrderApi, table: Any) -> int:
    async with api.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)
