"""`GET /api/v1/kpi?period=2026Q3|2026-10|2026&unit=<id or code>`: the effectiveness figures (效能评估).

Hotline staff (agent, supervisor, admin) see every unit and the county total; unit staff see their own
unit only (asking for another unit is 403). Rates are fractions (0.8333), null when nothing was there
to measure; the definitions travel with the figures so a reader never has to guess.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy import or_, select

from hotline.app import SESSIONS, SETTINGS
from ticketing import auth, openapi
from ticketing.adapters.kpi_sql import KpiQueries
from ticketing.adapters.orm import UnitRow
from ticketing.adapters.repository import as_row_id
from ticketing.domain.errors import Forbidden, InvalidInput, NotFound, TicketingError
from ticketing.domain.kpi import FIGURES, InvalidPeriod, Period, UnitFigures, total
from ticketing.web import NOW, error_response

PATH = "/api/v1/kpi"


def figures_document(
    period: Period, tz: ZoneInfo, as_of: datetime, figures: list[UnitFigures], with_total: bool
) -> dict[str, Any]:
    """The JSON the API returns and `hotline kpi --json` prints."""
    start, end = period.bounds(tz)
    doc: dict[str, Any] = {
        "period": period.label,
        "period_name": period.name_zh,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "as_of": as_of.astimezone(tz).isoformat(),
        "definitions": [
            {
                "key": f.key,
                "name_zh": f.name_zh,
                "name_en": f.name_en,
                "numerator": f.numerator,
                "denominator": f.denominator,
                "target": f.target,
            }
            for f in FIGURES
        ],
        "units": [f.as_dict() for f in figures],
    }
    if with_total:
        doc["total"] = total(figures).as_dict()
    return doc


async def _unit_id(request: web.Request, ref: str) -> int:
    async with request.app[SESSIONS]() as session:
        row_id = as_row_id(ref)
        condition = or_(UnitRow.code == ref, UnitRow.id == row_id) if row_id is not None else UnitRow.code == ref
        found = await session.scalar(select(UnitRow.id).where(condition))
    if found is None:
        raise NotFound(f"承办单位 {ref} 不存在 (no such unit)")
    return int(found)


async def kpi(request: web.Request) -> web.Response:
    """Effectiveness figures per unit for a period (效能评估)."""
    try:
        actor = await auth.authenticate(request.app[SESSIONS], request.headers.get("Authorization"))
        text = request.query.get("period", "").strip()
        if not text:
            raise InvalidInput("period", "请指定考核期 period，如 2026Q3 或 2026-10 (period is required)")
        period = Period.parse(text)
        unit_ref = request.query.get("unit", "").strip()
        unit_id = await _unit_id(request, unit_ref) if unit_ref else None
        if actor.role.is_unit_staff:
            if unit_id is not None and unit_id != actor.unit_id:
                raise Forbidden(actor.role.value, "kpi")
            unit_id = actor.unit_id
        settings = request.app[SETTINGS]
        tz = ZoneInfo(settings.timezone)
        as_of = request.app[NOW]() if NOW in request.app else datetime.now(UTC)
        figures = await KpiQueries(request.app[SESSIONS], tz).figures(period, as_of, unit_id)
    except InvalidPeriod as exc:
        return error_response(exc.error_id, str(exc), 400, field="period")
    except TicketingError as exc:
        if isinstance(exc, InvalidInput):
            return error_response(exc.error_id, exc.message, field=exc.field)
        return error_response(exc.error_id, exc.message)
    doc = figures_document(period, tz, as_of, figures, with_total=unit_id is None)
    return web.json_response(doc, dumps=lambda v: json.dumps(v, ensure_ascii=False))


OPERATION: dict[str, Any] = {
    "summary": "Effectiveness figures per unit (效能评估)",
    "description": "Response rate, on-time completion, first-time resolution, satisfaction, evaluation "
    "coverage, rectification revisit satisfaction, and counts of returns, repeats and supervision orders, "
    "computed in SQL over the work orders received in the period. Unit staff see their own unit only.",
    "parameters": [
        {"name": "period", "in": "query", "required": True, "schema": {"type": "string"},
         "description": "2026Q3 (quarter), 2026-10 (month) or 2026 (year), Asia/Shanghai dates"},
        {"name": "unit", "in": "query", "required": False, "schema": {"type": "string"},
         "description": "unit id or code; omitted: every unit plus the county total"},
    ],
    "responses": {
        "200": {
            "description": "figures",
            "content": {"application/json": {"schema": {
                "type": "object",
                "properties": {
                    "period": {"type": "string"},
                    "period_name": {"type": "string"},
                    "from": {"type": "string", "format": "date-time"},
                    "to": {"type": "string", "format": "date-time"},
                    "as_of": {"type": "string", "format": "date-time"},
                    "definitions": {"type": "array", "items": {"type": "object"}},
                    "units": {"type": "array", "items": {"type": "object", "properties": {
                        "unit_id": {"type": "integer", "nullable": True},
                        "unit_name": {"type": "string"},
                        "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
                        "rates": {"type": "object", "additionalProperties": {"type": "number", "nullable": True}},
                    }}},
                    "total": {"type": "object"},
                },
            }}},
        },
        "400": {"description": "invalid-period or invalid-input"},
        "401": {"description": "unauthenticated"},
        "403": {"description": "forbidden: a unit asking for another unit"},
        "404": {"description": "not-found: no such unit"},
    },
}


def setup(app: web.Application) -> None:
    """Serve the figures and describe the route in the OpenAPI document."""
    app.router.add_get(PATH, kpi)
    openapi.describe(app, "get", PATH, OPERATION)
