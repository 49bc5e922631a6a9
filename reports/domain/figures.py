"""The figures of a report period (报告期数据): calls, work orders by unit, class and service, and the
comparison with the previous period (环比) and the same period last year (同比).

Work-order figures are `ticketing.domain.kpi.UnitFigures` — the one implementation of the KPI
definitions (docs/kpi.md); this module only arranges them and adds the call figures of the seat.
Every number a report prints, in text or table, is read from these objects (one source).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ticketing.domain.kpi import FIGURES, Period, UnitFigures, format_rate, ratio, total

HEADLINE_RATES = ("response_rate", "on_time_rate", "first_time_rate", "satisfaction_rate")
"""The four headline rates (四率) that rank the units: response, on-time completion, first-time
resolution, satisfaction."""

RATE_NAMES_ZH = {f.key: f.name_zh for f in FIGURES}
CLASS_ZH = {"consultation": "咨询求助", "complaint": "投诉举报", "suggestion": "意见建议"}
SERVICE_ZH = {
    "policy_query": "政策查询",
    "matter_consultation": "事项咨询",
    "complaint": "投诉受理",
    "difficult_matter": "难事协调",
    "suggestion": "建议征集",
}


@dataclass(frozen=True)
class CallFigures:
    """Calls to the dedicated seat (专席话务) in a period, from the seat's call records.

    offered 呼入量: callers queued in the period; answered 接通量; abandoned 放弃量 (hung up while
    waiting); ended: waits that ended (answered + abandoned + overflowed + callback); answered_in_time:
    answered within the service-level threshold (default 20 s).
    """

    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    ended: int = 0
    answered_in_time: int = 0

    @property
    def service_level(self) -> float | None:
        """服务水平: answered within the threshold ÷ waits that ended (as the live board counts it)."""
        return ratio(self.answered_in_time, self.ended)

    @property
    def abandonment_rate(self) -> float | None:
        """放弃率: abandoned ÷ waits that ended."""
        return ratio(self.abandoned, self.ended)

    @property
    def answer_rate(self) -> float | None:
        """接通率: answered ÷ waits that ended."""
        return ratio(self.answered, self.ended)

    def __add__(self, other: CallFigures) -> CallFigures:
        return CallFigures(
            self.offered + other.offered,
            self.answered + other.answered,
            self.abandoned + other.abandoned,
            self.ended + other.ended,
            self.answered_in_time + other.answered_in_time,
        )


@dataclass(frozen=True)
class ClassServiceFigures:
    """The cohort figures of one class (分类) and service (服务) across all units."""

    order_class: str
    service: str
    figures: UnitFigures

    @property
    def label_zh(self) -> str:
        return f"{CLASS_ZH.get(self.order_class, self.order_class)} · {SERVICE_ZH.get(self.service, self.service)}"


@dataclass(frozen=True)
class PeriodFigures:
    """Everything counted for one period: per unit, the county total, calls, class and service."""

    period: Period
    units: list[UnitFigures]
    calls: CallFigures = CallFigures()
    calls_by_service: dict[str, CallFigures] = field(default_factory=dict)
    by_class_service: list[ClassServiceFigures] = field(default_factory=list)
    extensions: dict[int | None, int] = field(default_factory=dict)
    """Approved extensions (延期) per unit, decided in the period."""

    @property
    def county(self) -> UnitFigures:
        return total(self.units)

    @property
    def extensions_total(self) -> int:
        return sum(self.extensions.values())

    def unit(self, unit_id: int | None) -> UnitFigures | None:
        return next((u for u in self.units if u.unit_id == unit_id), None)


@dataclass(frozen=True)
class Change:
    """One figure now, in the previous period and a year ago, with the differences (rates in points)."""

    key: str
    name_zh: str
    current: float | None
    previous: float | None
    last_year: float | None
    is_rate: bool

    @staticmethod
    def _diff(a: float | None, b: float | None) -> float | None:
        return None if a is None or b is None else a - b

    @property
    def vs_previous(self) -> float | None:
        return self._diff(self.current, self.previous)

    @property
    def vs_last_year(self) -> float | None:
        return self._diff(self.current, self.last_year)

    def show(self, value: float | None) -> str:
        if self.is_rate:
            return format_rate(value)
        return "—" if value is None else f"{value:,.0f}"

    def show_delta(self, value: float | None) -> str:
        """“+2.5个百分点” for rates, “+12” for counts, “—” when either side has nothing to measure."""
        if value is None:
            return "—"
        if self.is_rate:
            return f"{value * 100:+.1f}个百分点"
        return f"{value:+,.0f}"


COMPARED_COUNTS = {
    "received": "受理工单",
    "closed": "办结",
    "overdue_open": "超期未办结",
    "returns": "退单",
    "repeat_complaints": "重复投诉",
    "supervision_orders": "督办单",
    "reopened": "整改重办",
}


def _value(figures: UnitFigures | None, key: str) -> float | None:
    if figures is None:
        return None
    value = getattr(figures, key)
    return None if value is None else float(value)


def compare(
    current: UnitFigures, previous: UnitFigures | None, last_year: UnitFigures | None
) -> list[Change]:
    """The headline rates, the other rates and the main counts, each against both earlier periods."""
    out = [
        Change(f.key, f.name_zh, _value(current, f.key), _value(previous, f.key), _value(last_year, f.key), True)
        for f in FIGURES
    ]
    out += [
        Change(key, name, _value(current, key), _value(previous, key), _value(last_year, key), False)
        for key, name in COMPARED_COUNTS.items()
    ]
    return out


def compare_calls(current: CallFigures, previous: CallFigures, last_year: CallFigures) -> list[Change]:
    rows: list[tuple[str, str, bool]] = [
        ("offered", "呼入量", False),
        ("answered", "接通量", False),
        ("abandoned", "放弃量", False),
        ("service_level", "服务水平（20秒接通率）", True),
        ("abandonment_rate", "放弃率", True),
    ]

    def value(calls: CallFigures, key: str) -> float | None:
        v = getattr(calls, key)
        return None if v is None else float(v)

    return [
        Change(key, name, value(current, key), value(previous, key), value(last_year, key), is_rate)
        for key, name, is_rate in rows
    ]
