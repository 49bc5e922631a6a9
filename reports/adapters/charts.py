"""Charts of the reports (图表): matplotlib figures drawn by the Agg canvas (no pyplot, no display) with a CJK font from the system
(Noto Sans CJK from `fonts-noto-cjk`, or WenQuanYi Micro Hei), written as PNG next to the HTML.

`cjk_font()` finds the font through matplotlib's own font manager and refuses to draw without one,
so a chart can never come out with tofu boxes (□) instead of Chinese labels.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import matplotlib
from matplotlib import font_manager
from matplotlib.figure import Figure

from reports.domain.errors import ReportError
from reports.domain.figures import HEADLINE_RATES, RATE_NAMES_ZH
from reports.domain.report import ReportContent

CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "WenQuanYi Micro Hei", "Source Han Sans SC")


class CjkFontMissing(ReportError):
    """No Chinese font installed: install fonts-noto-cjk (scripts/system-deps.sh)."""

    error_id = "cjk-font-missing"


@lru_cache(maxsize=1)
def cjk_font() -> tuple[str, str]:
    """(family, file) of the first installed CJK font matplotlib can use."""
    for family in CJK_FAMILIES:
        try:
            path = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
        except ValueError:
            continue
        return family, path
    raise CjkFontMissing("未找到中文字体：请安装 fonts-noto-cjk（scripts/system-deps.sh）")


def _figure(width: float, height: float) -> Figure:
    family, _ = cjk_font()
    matplotlib.rcParams["font.family"] = [family]
    matplotlib.rcParams["axes.unicode_minus"] = False
    fig = Figure(figsize=(width, height), dpi=150)
    return fig


def _save(fig: Figure, path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, format="png")
    return path.name


def rates_comparison(content: ReportContent, path: Path) -> str:
    """The county's four headline rates: this period, the previous one and a year ago."""
    fig = _figure(7.0, 3.2)
    ax = fig.add_subplot()
    labels = [RATE_NAMES_ZH[k] for k in HEADLINE_RATES]
    series = [
        ("本期", content.figures.county, "#1f5fa8"),
        ("上期", content.previous.county, "#8fb3de"),
        ("去年同期", content.last_year.county, "#c9c9c9"),
    ]
    width = 0.26
    for i, (name, figures, color) in enumerate(series):
        values = [(getattr(figures, k) or 0.0) * 100 for k in HEADLINE_RATES]
        xs = [x + (i - 1) * width for x in range(len(labels))]
        ax.bar(xs, values, width, label=name, color=color)
    ax.set_xticks(range(len(labels)), labels)
    ax.set_ylim(0, 105)
    ax.set_ylabel("%")
    ax.set_title("全县四率对比（本期、上期、去年同期）")
    ax.legend(loc="lower right", fontsize=8)
    return _save(fig, path)


def ranking_scores(content: ReportContent, path: Path, top: int = 40) -> str:
    """The ranked units' composite scores, best at the top."""
    ranked = [r for r in content.ranking if r.rank is not None][:top]
    fig = _figure(7.0, max(2.5, 0.22 * len(ranked) + 1.0))
    ax = fig.add_subplot()
    names = [f"{r.rank}. {r.unit_name}" for r in ranked][::-1]
    scores = [r.score or 0.0 for r in ranked][::-1]
    ax.barh(names, scores, color="#1f5fa8")
    ax.set_xlim(0, 100)
    ax.set_xlabel("综合得分")
    ax.set_title("承办单位综合得分排名")
    ax.tick_params(axis="y", labelsize=7)
    return _save(fig, path)


def hot_issue_counts(content: ReportContent, path: Path) -> str:
    """The hot issues' counts this period and the previous one."""
    issues = content.hot_issues.issues[:10]
    fig = _figure(7.0, max(2.5, 0.35 * len(issues) + 1.0))
    ax = fig.add_subplot()
    labels = [i.label for i in issues][::-1]
    ys = range(len(issues))
    ax.barh([y + 0.2 for y in ys], [i.count for i in issues][::-1], 0.4, label="本期", color="#c0392b")
    ax.barh([y - 0.2 for y in ys], [i.previous_count for i in issues][::-1], 0.4, label="上期", color="#e6b0aa")
    ax.set_yticks(list(ys), labels)
    ax.tick_params(axis="y", labelsize=8)
    ax.set_xlabel("工单数")
    ax.set_title("涉企热点问题")
    ax.legend(loc="lower right", fontsize=8)
    return _save(fig, path)


def charts(content: ReportContent, folder: Path) -> dict[str, str]:
    """Every chart of the report into `folder`; name → file name (relative to the HTML)."""
    out = {"rates": rates_comparison(content, folder / "rates.png")}
    if any(r.rank is not None for r in content.ranking):
        out["ranking"] = ranking_scores(content, folder / "ranking.png")
    if content.hot_issues.issues:
        out["hot_issues"] = hot_issue_counts(content, folder / "hot_issues.png")
    return out
