"""Importing a year's schedule file (节假日安排导入): what is accepted, and how mistakes are reported."""

from __future__ import annotations

from datetime import date

import pytest

from ticketing.domain.calendar_import import ScheduleFileInvalid, format_year_schedule, parse_year_schedule

# A fictitious 2027 schedule for tests only (not the State Council's notice).
GOOD = """\ufeff# 2027 年节假日安排（测试数据）
2027-01-01,holiday,元旦
2027-01-02,放假,元旦

2027-02-06，workday，春节调休上班
2027-02-10,holiday,春节, 除夕后
2027-02-20,班,春节调休上班
"""


def test_a_good_file_becomes_a_year_schedule():
    schedule = parse_year_schedule(GOOD, "2027.csv")
    assert schedule.year == 2027
    assert schedule.holidays == {
        date(2027, 1, 1): "元旦",
        date(2027, 1, 2): "元旦",
        date(2027, 2, 10): "春节, 除夕后",
    }
    assert schedule.workdays == {date(2027, 2, 6): "春节调休上班", date(2027, 2, 20): "春节调休上班"}
    assert parse_year_schedule(format_year_schedule(schedule)) == schedule


def test_every_mistake_is_reported_with_its_line_number():
    text = "\n".join(
        [
            "2027-01-01,holiday,元旦",  # 1 fine
            "2027-13-01,holiday,不存在的日期",  # 2 bad date
            "2027-01-04,rest,元旦",  # 3 bad kind
            "2027-01-05,holiday,",  # 4 empty note
            "2027-01-01,holiday,元旦",  # 5 duplicate of line 1
            "2027-01-06,workday,周三不是调休",  # 6 make-up day on a weekday
            "2027-01-07 holiday 元旦",  # 7 not three fields
            "2028-01-01,holiday,元旦",  # 8 a second year
        ]
    )
    with pytest.raises(ScheduleFileInvalid) as err:
        parse_year_schedule(text, "mixed.csv")
    assert [e.line for e in err.value.errors] == [2, 3, 4, 5, 6, 7, 8]
    message = str(err.value)
    assert "mixed.csv" in message
    assert "第 2 行" in message and "2027-13-01" in message
    assert "已在第 1 行" in message
    assert "one year per file" in message
    assert err.value.error_id == "calendar-import-invalid"


def test_a_file_without_holidays_is_refused():
    with pytest.raises(ScheduleFileInvalid) as err:
        parse_year_schedule("# nothing here\n\n2027-02-06,workday,春节调休上班\n")
    assert "no holiday lines" in str(err.value)
