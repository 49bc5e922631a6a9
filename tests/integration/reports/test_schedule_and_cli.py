"""The schedule writes each due report once; the command line writes HTML and PDF to a folder."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from hotline.cli import main
from hotline.db import make_engine, make_sessionmaker
from hotline.settings import Settings
from reports.services import ReportSchedule
from reports.web import build_service
from tests.integration.reports.pdf_tools import pdf_text
from tests.integration.reports.report_fixtures import TZ, FixedQuarter
from ticketing.domain.calendar import OfficeHours, WorkingCalendar


async def working_calendar() -> WorkingCalendar:
    return WorkingCalendar(OfficeHours.parse())


async def test_the_schedule_writes_last_months_and_last_quarters_report_once_on_the_first_working_day(
    fixed_quarter: FixedQuarter,
) -> None:
    engine = make_engine(fixed_quarter.url)
    now = datetime(2026, 10, 7, 9, 0, tzinfo=TZ)  # still the National Day holiday
    settings = Settings(database_url=fixed_quarter.url, data_dir=fixed_quarter.folder)
    try:
        service = build_service(settings, make_sessionmaker(engine), lambda: now)
        schedule = ReportSchedule(service, working_calendar, lambda: now)
        assert await schedule.run_due() == []
        now = datetime(2026, 10, 8, 9, 0, tzinfo=TZ)  # the first working day of October and of Q4
        written = await schedule.run_due()
        assert sorted(r.name for r in written) == ["monthly-2026-09", "quarterly-2026Q3"]
        assert all(r.trigger == "schedule" and r.draft for r in written)
        assert await schedule.run_due() == []  # never twice for one period
        # a second service process sharing the folder does not write them again either
        other = ReportSchedule(build_service(settings, make_sessionmaker(engine), lambda: now), working_calendar, lambda: now)
        assert await other.run_due() == []
        assert [r.name for r in service.folder.list()] == ["quarterly-2026Q3", "monthly-2026-09"]
    finally:
        await engine.dispose()


def test_hotline_report_quarterly_writes_html_and_pdf_into_the_given_folder(
    fixed_quarter: FixedQuarter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HOTLINE_DATABASE_URL", fixed_quarter.url)
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path))
    notes = tmp_path / "建议.txt"
    notes.write_text("一、压实首接责任，减少退单。\n二、对工程款拖欠开展专项清欠。\n", encoding="utf-8")
    out = tmp_path / "out"
    code = main(["report", "quarterly", "--quarter", "2026Q3", "--out", str(out), "--recommendations", str(notes),
                 "--as-of", "2026-10-09T10:00:00+08:00"])
    assert code == 0
    assert (out / "report.html").is_file() and (out / "report.pdf").is_file()
    printed = capsys.readouterr().out
    assert "已生成12345营商环境专线2026年第3季度分析报告" in printed and "草稿" not in printed
    text = pdf_text(out / "report.pdf")
    assert "对工程款拖欠开展专项清欠" in text
    assert "“工程款拖欠" in text or "工程款" in text  # the hot issue of the fixed quarter
    assert "共性问题" in text  # 工程款拖欠 came from units A, B and the hotline itself

    assert main(["report", "monthly", "--month", "2026Q3"]) == 2
    assert "月度报告需要月份" in capsys.readouterr().err


def test_hotline_report_ranking_exports_the_csv(
    fixed_quarter: FixedQuarter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOTLINE_DATABASE_URL", fixed_quarter.url)
    target = tmp_path / "ranking.csv"
    assert main(["report", "ranking", "--period", "2026Q3", "--csv", str(target), "--as-of", "2026-10-09T10:00:00+08:00"]) == 0
    lines = target.read_bytes().decode("utf-8-sig").splitlines()
    assert lines[1].startswith(f"1,{fixed_quarter.units['B'][1]},83.33,")
    assert lines[2].startswith(f"2,{fixed_quarter.units['A'][1]},54.17,")
