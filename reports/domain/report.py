"""A report's content (报告内容): the figures of the period and the two it is compared with, the ranking,
hot issues, opinions and suggestions, bad reviews and rectification, the accountability list and the
editor's recommendations — plus the text paragraphs, written from the same figure objects the tables
show (one source: a number in the text can never differ from the table).

A report stays a draft (草稿) until the editor has written the recommendations (工作建议).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from reports.domain.accountability import AccountabilityList
from reports.domain.figures import Change, PeriodFigures, compare, compare_calls
from reports.domain.hot_issues import HotIssueAnalysis
from reports.domain.opinions import OpinionSummary
from reports.domain.periods import QUARTERLY, TITLES_ZH, period_name_zh
from reports.domain.ranking import RankedUnit, RankingWeights
from ticketing.domain.kpi import format_rate

if TYPE_CHECKING:  # the review loop's counts (sms_feedback/review_figures.py): a dataclass, no I/O here
    from sms_feedback.review_figures import LoopCounts

RATING_ZH = {"satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意"}


@dataclass(frozen=True)
class BadReview:
    """A work order rated dissatisfied (差评) and what its rectification (整改) came to."""

    number: str
    unit_name: str
    title: str
    comment: str | None
    rated_at: datetime | None
    reopened: bool
    revisit_rating: str | None

    @property
    def rectification_zh(self) -> str:
        if not self.reopened:
            return "未重新办理"
        if self.revisit_rating is None:
            return "整改中，待回访"
        return f"已整改，回访{RATING_ZH.get(self.revisit_rating, self.revisit_rating)}"


@dataclass(frozen=True)
class ReportContent:
    kind: str
    figures: PeriodFigures
    previous: PeriodFigures
    last_year: PeriodFigures
    ranking: list[RankedUnit]
    weights: RankingWeights
    hot_issues: HotIssueAnalysis
    opinions: OpinionSummary
    accountability: AccountabilityList
    bad_reviews: list[BadReview]
    generated_at: datetime
    as_of: datetime
    recommendations: str = ""
    reviews: list[LoopCounts] = field(default_factory=list)
    """The review loop's own counts per unit (好差评闭环: bad reviews, rectification entries opened and
    still open, supervisor closings, closed orders unrated after every channel), as
    sms_feedback.review_figures counts them; the last row is the county total. Counts only: the rates
    整改回访满意率 and 评价覆盖率 are ticketing's, in `figures` (one definition)."""

    @property
    def period(self) -> str:
        return self.figures.period.label

    @property
    def title_zh(self) -> str:
        return f"12345营商环境专线{period_name_zh(self.figures.period)}{TITLES_ZH[self.kind]}"

    @property
    def draft(self) -> bool:
        return not self.recommendations.strip()

    @property
    def is_quarterly(self) -> bool:
        return self.kind == QUARTERLY

    def changes(self) -> list[Change]:
        return compare(self.figures.county, self.previous.county, self.last_year.county)

    def call_changes(self) -> list[Change]:
        return compare_calls(self.figures.calls, self.previous.calls, self.last_year.calls)

    def change(self, key: str) -> Change:
        return next(c for c in [*self.changes(), *self.call_changes()] if c.key == key)

    def overview_zh(self) -> list[str]:
        """The opening paragraphs, every number read from the figures above."""
        county = self.figures.county
        calls = self.figures.calls
        name = period_name_zh(self.figures.period)

        def rate(key: str) -> str:
            c = self.change(key)
            return f"{c.name_zh}{c.show(c.current)}（环比{c.show_delta(c.vs_previous)}，同比{c.show_delta(c.vs_last_year)}）"

        paragraphs = [
            f"{name}，专席呼入{calls.offered:,}次，接通{calls.answered:,}次，放弃{calls.abandoned:,}次，"
            f"服务水平{format_rate(calls.service_level)}，放弃率{format_rate(calls.abandonment_rate)}。",
            f"共受理工单{county.received:,}件，办结{county.closed:,}件，超期未办结{county.overdue_open:,}件；"
            f"{rate('response_rate')}，{rate('on_time_rate')}，{rate('first_time_rate')}，"
            f"{rate('satisfaction_rate')}。",
            f"评价覆盖率{format_rate(county.evaluation_coverage)}，整改回访满意率"
            f"{format_rate(county.revisit_satisfaction_rate)}（目标100%）；退单{county.returns:,}次，"
            f"重复投诉{county.repeat_complaints:,}件，督办单{county.supervision_orders:,}件，"
            f"批准延期{self.figures.extensions_total:,}件。",
        ]
        if self.reviews:
            loop = self.reviews[-1]  # the county total
            paragraphs.append(
                f"好差评闭环：本期差评{loop.bad_reviews:,}件，新增整改{loop.rectifications_opened:,}件"
                f"（其中未销号{loop.rectifications_open:,}件），督查销号{loop.closed_by_supervisor:,}件；"
                f"各渠道均未评上的办结工单{loop.unrated_final:,}件。"
            )
        ranked = [r for r in self.ranking if r.rank is not None]
        if ranked:
            top, bottom = ranked[0], ranked[-1]
            paragraphs.append(
                f"按四率综合得分排名，{len(ranked)}个单位参与排名，第一名{top.unit_name}（{top.score:.2f}分），"
                f"末位{bottom.unit_name}（{bottom.score:.2f}分）。"
            )
        if self.hot_issues.issues:
            first = self.hot_issues.issues[0]
            paragraphs.append(
                f"涉企热点中，“{first.label}”最为集中，共{first.count:,}件（{first.trend_zh}）；"
                f"跨{len(first.units)}个单位的共性问题{len(self.hot_issues.common)}类。"
            )
        paragraphs.append(
            f"意见建议{self.opinions.total:,}件，归为{len(self.opinions.groups)}类；差评{len(self.bad_reviews):,}件；"
            f"倒查问责线索{len(self.accountability.entries):,}件。"
        )
        return paragraphs
