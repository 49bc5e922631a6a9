"""Effectiveness figures (效能评估): their definitions as data, the period, and one unit's result.

The figures are computed in SQL (`ticketing.adapters.kpi_sql`); this module says what they mean, in
the plan's terms, so the API, the CLI, the report and docs/kpi.md all read the same definitions.

The cohort of a period (考核期工单): work orders *received* by the hotline in the period (Asia/Shanghai
calendar), drafts excluded, attributed to the unit responsible for them now (the last dispatch). Two
counts use their own event time instead: returns (退单) count against the unit that returned, in the
period it returned; supervision orders (督办单) count in the period they were opened.

A unit's on-time completion is measured at its reply (办结回复, `replied_at`), or at closing when a work
order was closed without a separate reply; the limit is `due`, which an approved extension (延期) moves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

SATISFIED_RATINGS = ("satisfied", "basically_satisfied")  # 满意, 基本满意


class InvalidPeriod(ValueError):
    """A period that is not `2026Q3`, `2026-10` or `2026` (考核期格式错误)."""

    error_id = "invalid-period"

    def __init__(self, text: str) -> None:
        self.text = text
        super().__init__(f"考核期格式错误：{text!r}，应为 2026Q3、2026-10 或 2026 (invalid period)")


@dataclass(frozen=True)
class Period:
    """A quarter (季度), month (月) or year (年) in local dates; `end` is exclusive."""

    label: str
    start: date
    end: date

    @classmethod
    def parse(cls, text: str) -> Period:
        text = text.strip().upper()
        if m := re.fullmatch(r"(\d{4})Q([1-4])", text):
            year, quarter = int(m[1]), int(m[2])
            start = date(year, 3 * quarter - 2, 1)
            end = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
            return cls(f"{year}Q{quarter}", start, end)
        if m := re.fullmatch(r"(\d{4})-(\d{1,2})", text):
            year, month = int(m[1]), int(m[2])
            if not 1 <= month <= 12:
                raise InvalidPeriod(text)
            end = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
            return cls(f"{year}-{month:02d}", date(year, month, 1), end)
        if m := re.fullmatch(r"(\d{4})", text):
            year = int(m[1])
            return cls(str(year), date(year, 1, 1), date(year + 1, 1, 1))
        raise InvalidPeriod(text)

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """The period as aware instants [start, end) in the hotline's zone."""
        return datetime.combine(self.start, time(0), tz), datetime.combine(self.end, time(0), tz)

    @property
    def name_zh(self) -> str:
        if "Q" in self.label:
            year, quarter = self.label.split("Q")
            return f"{year}年第{quarter}季度"
        if "-" in self.label:
            year, month = self.label.split("-")
            return f"{year}年{int(month)}月"
        return f"{self.label}年"


@dataclass(frozen=True)
class FigureDefinition:
    """One figure: names in Chinese and English, its numerator and denominator in words, a target."""

    key: str
    name_zh: str
    name_en: str
    numerator: str
    denominator: str
    target: float | None = None  # a rate the plan sets (整改回访满意率 100%)


FIGURES: tuple[FigureDefinition, ...] = (
    FigureDefinition(
        "response_rate", "工单响应率", "response rate",
        "在签收时限内签收的工单数 (signed_at ≤ sign_due)",
        "已转办到单位且有签收时限的工单数 (dispatched with a sign-for limit)",
    ),
    FigureDefinition(
        "on_time_rate", "按期办结率", "on-time completion rate",
        "在办理时限内（含已批准的延期）办结回复的工单数 (completed ≤ due)",
        "已办结的工单数 + 未办结但已超过时限的工单数 (completed, or still open past due)",
    ),
    FigureDefinition(
        "first_time_rate", "一次性化解率", "first-time resolution rate",
        "已办结且未被重复投诉、未重新办理（整改）、未被退单的事项数 (closed, never repeated, reopened or returned)",
        "考核期内受理的全部事项数 (all matters received)",
    ),
    FigureDefinition(
        "satisfaction_rate", "办结满意率", "satisfaction rate",
        "评价为满意或基本满意的工单数 (rated satisfied or basically satisfied)",
        "已评价的工单数 (rated)",
    ),
    FigureDefinition(
        "evaluation_coverage", "评价覆盖率（应评尽评）", "evaluation coverage",
        "已办结且已评价的工单数 (closed and rated)",
        "已办结的工单数 (closed)",
    ),
    FigureDefinition(
        "revisit_satisfaction_rate", "整改回访满意率", "rectification revisit satisfaction rate",
        "整改后回访评价为满意或基本满意的工单数 (revisit rated satisfied or basically satisfied)",
        "整改后已回访的工单数 (reopened for rectification and revisited)",
        target=1.0,
    ),
)

COUNTS_ZH = {
    "received": "受理工单",
    "dispatched": "转办",
    "closed": "办结",
    "overdue_open": "超期未办结",
    "returns": "退单",
    "repeat_complaints": "重复投诉（本期新件）",
    "repeated": "被重复投诉",
    "supervision_orders": "督办单",
    "reopened": "整改重办",
}


def ratio(numerator: int, denominator: int) -> float | None:
    """numerator ÷ denominator, or None when there is nothing to measure (shown as “—”)."""
    return numerator / denominator if denominator else None


@dataclass(frozen=True)
class UnitFigures:
    """One unit's counts for a period, as the SQL returns them; the rates derive from the counts.

    `unit_id` None is the hotline itself: matters closed on the line (当场办结) that never went to a unit.
    """

    unit_id: int | None
    unit_name: str
    received: int = 0
    dispatched: int = 0
    signed_in_time: int = 0
    completed: int = 0
    completed_in_time: int = 0
    overdue_open: int = 0
    closed: int = 0
    first_time_resolved: int = 0
    rated: int = 0
    satisfied: int = 0
    closed_rated: int = 0
    reopened: int = 0
    revisited: int = 0
    revisit_satisfied: int = 0
    repeat_complaints: int = 0
    repeated: int = 0
    returns: int = 0
    supervision_orders: int = 0

    @property
    def response_rate(self) -> float | None:
        return ratio(self.signed_in_time, self.dispatched)

    @property
    def on_time_rate(self) -> float | None:
        return ratio(self.completed_in_time, self.completed + self.overdue_open)

    @property
    def first_time_rate(self) -> float | None:
        return ratio(self.first_time_resolved, self.received)

    @property
    def satisfaction_rate(self) -> float | None:
        return ratio(self.satisfied, self.rated)

    @property
    def evaluation_coverage(self) -> float | None:
        return ratio(self.closed_rated, self.closed)

    @property
    def revisit_satisfaction_rate(self) -> float | None:
        return ratio(self.revisit_satisfied, self.revisited)

    def counts(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.type in ("int", int)}

    def rates(self) -> dict[str, float | None]:
        return {figure.key: getattr(self, figure.key) for figure in FIGURES}

    def as_dict(self) -> dict[str, object]:
        rates = {key: None if value is None else round(value, 4) for key, value in self.rates().items()}
        return {"unit_id": self.unit_id, "unit_name": self.unit_name, "counts": self.counts(), "rates": rates}


def total(figures: list[UnitFigures], name: str = "全县合计") -> UnitFigures:
    """The county-wide sum of the units' counts (rates are recomputed from the sums, never averaged)."""
    sums = {key: sum(getattr(f, key) for f in figures) for key in UnitFigures(None, "").counts()}
    return UnitFigures(unit_id=None, unit_name=name, **sums)


def format_rate(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"
