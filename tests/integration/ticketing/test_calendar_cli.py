"""`hotline calendar ...` end to end: due times printed exactly, missing years refused, imports and
overrides stored in a real database and used by the next `due`."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hotline.cli import main
from hotline.db import Base, make_engine
from ticketing.adapters.calendar_orm import CalendarOverrideRow, CalendarYearDayRow, CalendarYearRow

ROOT = Path(__file__).resolve().parents[3]
TABLES = [CalendarOverrideRow.__table__, CalendarYearRow.__table__, CalendarYearDayRow.__table__]


async def _create_calendar_tables(url: str) -> None:
    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(lambda sync: Base.metadata.create_all(sync, tables=TABLES))
    await engine.dispose()


@pytest.fixture
def no_database(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "absent" / "hotline.sqlite3"
    monkeypatch.setenv("HOTLINE_DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    monkeypatch.delenv("HOTLINE_TIMEZONE", raising=False)
    monkeypatch.delenv("HOTLINE_OFFICE_HOURS", raising=False)
    return path


@pytest.fixture
def database(tmp_path, monkeypatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path}/hotline.sqlite3"
    asyncio.run(_create_calendar_tables(url))
    monkeypatch.setenv("HOTLINE_DATABASE_URL", url)
    monkeypatch.delenv("HOTLINE_TIMEZONE", raising=False)
    monkeypatch.delenv("HOTLINE_OFFICE_HOURS", raising=False)
    return url


def test_due_prints_the_iso_timestamp_with_its_offset(no_database, capsys):
    assert main(["calendar", "due", "--from", "2025-09-30T16:00", "--working-days", "1"]) == 0
    out = capsys.readouterr()
    assert out.out == "2025-10-09T16:00:00+08:00\n"
    assert "未加载本地日历调整" in out.err  # says why no overrides were used
    assert not no_database.exists()  # asking for a due time creates no database


def test_due_in_working_hours(no_database, capsys):
    assert main(["calendar", "due", "--from", "2025-09-30T16:00", "--hours", "2"]) == 0
    assert capsys.readouterr().out == "2025-10-09T09:00:00+08:00\n"


def test_due_fails_naming_the_missing_year(no_database, capsys):
    assert main(["calendar", "due", "--from", "2031-03-03T10:00", "--working-days", "1"]) != 0
    out = capsys.readouterr()
    assert out.out == ""
    assert "2031 年节假日安排数据缺失" in out.err
    assert "no holiday data for year 2031" in out.err


def test_due_with_tables_missing_falls_back_with_a_note(tmp_path, monkeypatch, capsys):
    url = f"sqlite+aiosqlite:///{tmp_path}/empty.sqlite3"
    (tmp_path / "empty.sqlite3").touch()
    monkeypatch.setenv("HOTLINE_DATABASE_URL", url)
    assert main(["calendar", "due", "--from", "2025-09-27T10:00", "--working-days", "1"]) == 0
    out = capsys.readouterr()
    assert out.out == "2025-09-29T08:30:00+08:00\n"
    assert "hotline db upgrade" in out.err


def test_the_installed_command_prints_the_due_time(no_database):
    env = {**os.environ, "HOTLINE_DATABASE_URL": f"sqlite+aiosqlite:///{no_database}"}
    result = subprocess.run(
        [sys.executable, "-m", "hotline.cli", "calendar", "due", "--from", "2025-09-30T16:00", "--working-days", "1"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "2025-10-09T16:00:00+08:00\n"


def test_import_makes_a_new_year_known(database, tmp_path, capsys):
    schedule = tmp_path / "2027.csv"
    schedule.write_text(
        "# 测试数据，非国务院通知\n2027-01-01,holiday,元旦\n2027-01-02,workday,元旦调休上班\n", encoding="utf-8"
    )
    assert main(["calendar", "due", "--from", "2026-12-31T16:00", "--working-days", "1"]) == 1
    capsys.readouterr()
    assert main(["calendar", "import", str(schedule), "--by", "admin"]) == 0
    assert "已导入 2027 年节假日安排：1 个放假日、1 个调休上班日" in capsys.readouterr().out
    assert main(["calendar", "due", "--from", "2026-12-31T16:00", "--working-days", "1"]) == 0
    assert capsys.readouterr().out == "2027-01-02T16:00:00+08:00\n"
    assert main(["calendar", "check", "--year", "2027"]) == 0
    listing = capsys.readouterr().out
    assert "数据来源：导入的年度安排" in listing
    assert "2027-01-02 周六 上班 元旦调休上班" in listing


def test_import_refuses_a_bad_file_with_line_numbers(database, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("2027-01-01,holiday,元旦\n2027-02-30,holiday,春节\n", encoding="utf-8")
    assert main(["calendar", "import", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "第 2 行" in err and "2027-02-30" in err
    assert main(["calendar", "check", "--year", "2027"]) == 1  # nothing was stored


def test_override_changes_the_next_due_time(database, capsys):
    assert main(["calendar", "override", "2025-10-08", "--working", "--note", "县政府通知正常上班"]) == 0
    assert "已将 2025-10-08 设为工作日" in capsys.readouterr().out
    assert main(["calendar", "due", "--from", "2025-09-30T16:00", "--working-days", "1"]) == 0
    out = capsys.readouterr()
    assert out.out == "2025-10-08T16:00:00+08:00\n"
    assert out.err == ""
    assert main(["calendar", "check", "--year", "2025"]) == 0
    assert "2025-10-08 周三 上班 县政府通知正常上班（本地调整）" in capsys.readouterr().out
    assert main(["calendar", "override", "2025-10-08", "--remove"]) == 0
    capsys.readouterr()
    assert main(["calendar", "due", "--from", "2025-09-30T16:00", "--working-days", "1"]) == 0
    assert capsys.readouterr().out == "2025-10-09T16:00:00+08:00\n"


def test_override_without_tables_asks_for_db_upgrade(no_database, capsys):
    assert main(["calendar", "override", "2026-10-10", "--holiday"]) == 1
    assert "hotline db upgrade" in capsys.readouterr().err


def test_check_lists_the_holidays_of_a_year(no_database, capsys):
    assert main(["calendar", "check", "--year", "2026"]) == 0
    out = capsys.readouterr().out
    assert "2026-02-14 周六 上班 春节调休" in out
    assert "2026-10-01 周四 放假 国庆节" in out
    assert "6 个调休上班日" in out
