"""HTML (jinja2) and PDF (WeasyPrint) of a report, written into its folder with the charts.

The PDF is the same HTML laid out by WeasyPrint: A4 pages, page numbers from the `@page` counters,
fonts embedded as subsets (the CJK font the charts use, so the text never turns into tofu).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2

from reports.adapters.charts import charts, cjk_font
from reports.domain.figures import HEADLINE_RATES, RATE_NAMES_ZH, SERVICE_ZH
from reports.domain.report import ReportContent
from ticketing.domain.kpi import format_rate

HERE = Path(__file__).resolve().parent.parent
HTML_NAME = "report.html"
PDF_NAME = "report.pdf"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["prev_day"] = lambda d: (d - timedelta(days=1)) if isinstance(d, date) else d
    return env


_ENV = _environment()


def render_html(content: ReportContent, chart_files: dict[str, str], tz: ZoneInfo) -> str:
    def local(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return value.astimezone(tz).strftime(fmt) if value is not None else "—"

    family, _ = cjk_font()
    return _ENV.get_template("report.html").render(
        c=content,
        charts=chart_files,
        font=family,
        headline=HEADLINE_RATES,
        rate_names=RATE_NAMES_ZH,
        service_names=SERVICE_ZH,
        rate=format_rate,
        attr=getattr,
        local=local,
    )


def write_report(content: ReportContent, folder: Path, tz: ZoneInfo) -> tuple[Path, Path]:
    """report.html, report.pdf and the chart PNGs into `folder`; returns the HTML and PDF paths."""
    folder.mkdir(parents=True, exist_ok=True)
    html = render_html(content, charts(content, folder), tz)
    html_path = folder / HTML_NAME
    html_path.write_text(html, encoding="utf-8")
    pdf_path = folder / PDF_NAME
    write_pdf(html, folder, pdf_path)
    return html_path, pdf_path


def write_pdf(html: str, base: Path, out: Path) -> None:
    import weasyprint

    logging.getLogger("fontTools").setLevel(logging.WARNING)  # subsetting chatter
    tmp = out.with_suffix(".pdf.part")
    weasyprint.HTML(string=html, base_url=str(base)).write_pdf(tmp)
    tmp.replace(out)
