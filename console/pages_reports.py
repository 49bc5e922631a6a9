"""The reports pages (报告) of the console, for supervisors and admins: the generated monthly and
quarterly reports (list, download, run now, the editor's recommendations), the units' ranking
(通报晾晒) of a period with its CSV export, and the accountability list (倒查问责) with trails."""

from __future__ import annotations

from aiohttp import web

from console.auth.services import SignedIn
from console.web import now, page, render, tz
from reports.domain.errors import ReportError
from reports.domain.figures import HEADLINE_RATES, RATE_NAMES_ZH
from reports.domain.periods import (
    KINDS_ZH,
    MONTHLY,
    QUARTERLY,
    month_of,
    parse_period,
    parse_report_period,
    period_name_zh,
    previous_period,
    quarter_of,
)
from reports.domain.ranking import ranking_csv
from reports.web import REPORTS
from ticketing.domain.kpi import Period, format_rate
from ticketing.domain.roles import SUPERVISORS


def _defaults(request: web.Request) -> tuple[str, str]:
    """Last month and last quarter, the periods one usually wants."""
    today = now(request).astimezone(tz(request)).date()
    return previous_period(month_of(today)).label, previous_period(quarter_of(today)).label


async def _list_page(request: web.Request, error: str = "", status: int = 200) -> web.Response:
    service = request.app[REPORTS]
    last_month, last_quarter = _defaults(request)
    reports = service.folder.list()
    return render(
        request,
        "reports.html",
        status=status,
        reports=reports,
        recommendations={r.name: service.folder.recommendations(r.kind, r.period) for r in reports},
        kinds=KINDS_ZH,
        last_month=last_month,
        last_quarter=last_quarter,
        generated=request.query.get("generated", ""),
        error=error,
    )


@page(*SUPERVISORS)
async def reports_list(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    return await _list_page(request)


@page(*SUPERVISORS)
async def run_now(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    """Generate (or regenerate) a report now; with `recommendations`, the editor's text is saved first."""
    form = await request.post()
    kind = str(form.get("kind", ""))
    if kind not in (MONTHLY, QUARTERLY):
        return await _list_page(request, "请选择报告类型", status=400)
    try:
        period = parse_report_period(kind, str(form.get("period", "")))
    except ReportError as exc:
        return await _list_page(request, exc.message, status=400)
    text = form.get("recommendations")
    stored, _ = await request.app[REPORTS].generate(
        kind, period, recommendations=None if text is None else str(text), trigger="manual"
    )
    raise web.HTTPSeeOther(f"/reports?generated={stored.name}")


@page(*SUPERVISORS)
async def download(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    name, filename = request.match_info["name"], request.match_info["file"]
    try:
        path = request.app[REPORTS].folder.file(name, filename)
    except ReportError as exc:
        raise web.HTTPNotFound(text=exc.message) from exc
    response = web.FileResponse(path)
    if filename.endswith(".pdf"):
        response.headers["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response


def _period(request: web.Request) -> Period:
    """`?period=` a month, quarter, year or custom range; last quarter by default."""
    return parse_period(request.query.get("period") or _defaults(request)[1])


@page(*SUPERVISORS)
async def ranking(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    try:
        period = _period(request)
    except ReportError as exc:
        return render(request, "error.html", status=400, title="考核期格式错误", message=exc.message)
    service = request.app[REPORTS]
    rows = await service.ranking(period, now(request))
    return render(
        request,
        "reports_ranking.html",
        period=period,
        period_name=period_name_zh(period),
        rows=rows,
        weights=service.weights,
        headline=HEADLINE_RATES,
        rate_names=RATE_NAMES_ZH,
        rate=format_rate,
    )


@page(*SUPERVISORS)
async def ranking_export(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    try:
        period = _period(request)
    except ReportError as exc:
        raise web.HTTPBadRequest(text=exc.message) from exc
    rows = await request.app[REPORTS].ranking(period, now(request))
    return web.Response(
        body=ranking_csv(rows),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="ranking-{period.label}.csv"'},
    )


@page(*SUPERVISORS)
async def accountability(request: web.Request, signed: SignedIn) -> web.StreamResponse:
    """倒查问责: the period's orders with repeated returns, delay, repeats or bad ratings, with trails."""
    try:
        period = _period(request)
    except ReportError as exc:
        return render(request, "error.html", status=400, title="考核期格式错误", message=exc.message)
    found = await request.app[REPORTS].accountability(period, now(request))
    return render(request, "reports_accountability.html", period=period, period_name=period_name_zh(period), found=found, shown=ACCOUNTABILITY_SHOWN)


ACCOUNTABILITY_SHOWN = 200

ROUTES = [
    ("GET", "/reports", reports_list),
    ("POST", "/reports/run", run_now),
    ("GET", "/reports/ranking", ranking),
    ("GET", "/reports/ranking.csv", ranking_export),
    ("GET", "/reports/accountability", accountability),
    ("GET", "/reports/files/{name}/{file}", download),
]

