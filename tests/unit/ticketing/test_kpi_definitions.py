"""The effectiveness figures' definitions: periods, rates from counts, county totals."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from ticketing.domain.kpi import FIGURES, InvalidPeriod, Period, UnitFigures, format_rate, total

TZ = ZoneInfo("Asia/Shanghai")


def test_a_quarter_runs_from_midnight_local_time_to_the_next_quarter() -> None:
    q3 = Period.parse("2026Q3")
    assert (q3.start, q3.end) == (date(2026, 7, 1), date(2026, 10, 1))
    start, end = q3.bounds(TZ)
    assert start == datetime(2026, 7, 1, tzinfo=TZ) and end.isoformat() == "2026-10-01T00:00:00+08:00"
    assert Period.parse("2026Q4").end == date(2027, 1, 1)
    assert Period.parse(" 2026-3 ").label == "2026-03"
    assert Period.parse("2026-03").name_zh == "2026年3月"


@pytest.mark.parametrize("text", ["2026Q0", "2026Q5", "2026-00", "26Q3", "2026/10", ""])
def test_malformed_periods_are_refused_with_a_chinese_message(text: str) -> None:
    with pytest.raises(InvalidPeriod) as refused:
        Period.parse(text)
    assert refused.value.error_id == "invalid-period"
    assert "考核期格式错误" in str(refused.value)


def test_rates_come_from_counts_and_are_unknown_without_a_denominator() -> None:
    unit = UnitFigures(unit_id=1, unit_name="县税务局", received=10, dispatched=8, signed_in_time=6,
                       completed=5, completed_in_time=4, overdue_open=3, closed=5, first_time_resolved=4,
                       rated=4, satisfied=3, closed_rated=4)
    assert unit.response_rate == 0.75
    assert unit.on_time_rate == 0.5  # 4 in time ÷ (5 completed + 3 open past due)
    assert unit.first_time_rate == 0.4
    assert unit.satisfaction_rate == 0.75 and unit.evaluation_coverage == 0.8
    assert unit.revisit_satisfaction_rate is None
    assert format_rate(unit.response_rate) == "75.0%" and format_rate(None) == "—"
    assert set(unit.rates()) == {f.key for f in FIGURES}


def test_the_county_total_divides_sums_instead_of_averaging_rates() -> None:
    big = UnitFigures(1, "县住建局", received=90, rated=90, satisfied=90)
    small = UnitFigures(2, "荷地镇", received=10, rated=10, satisfied=0)
    county = total([big, small])
    assert county.unit_name == "全县合计" and county.received == 100
    assert county.satisfaction_rate == 0.9  # not (100% + 0%) / 2


def test_every_figure_names_its_numerator_and_denominator_and_revisits_must_reach_100_percent() -> None:
    for figure in FIGURES:
        assert figure.name_zh and figure.name_en and figure.numerator and figure.denominator
    assert {f.key: f.target for f in FIGURES}["revisit_satisfaction_rate"] == 1.0
