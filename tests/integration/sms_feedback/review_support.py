"""Scenario helpers for the review-loop tests: closed work orders through the real API, the loop itself."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from sms_feedback.adapters.orm import (
    ReviewBadReviewRow,
    ReviewEventRow,
    ReviewRectificationRow,
    ReviewResponsibilityRow,
)
from sms_feedback.review_loop import SURVEY_SEND, ReviewLoop
from sms_feedback.reviews_web import REVIEW_LOOP
from tests.integration.ticketing.api_fixtures import WorkOrderApi
from ticketing.adapters.orm import OutboxRow


def review_loop(api: WorkOrderApi) -> ReviewLoop:
    app = api.client.app
    assert app is not None
    return app[REVIEW_LOOP]


async def closed_order(
    api: WorkOrderApi, unit: str = "scjgj", handler: str = "market", title: str = "食品经营许可证办理缓慢"
) -> str:
    """A complaint dispatched to `unit`, answered by `handler` and closed by the hotline (办结)."""
    ref = str((await api.dispatched_complaint(unit, "simple", caller_phone="139-0000-1111", title=title))["number"])
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
