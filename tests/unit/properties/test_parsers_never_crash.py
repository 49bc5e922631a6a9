"""Every parser of outside input is total: any text gives a result or the parser's own error, never a crash.

Menu YAML (运营人员编辑的菜单), SMS replies (短信回复), transcripts for draft extraction (转写文本 → 工单草稿)
and the year's holiday schedule file (节假日安排导入). Examples are bounded so the folder runs in seconds.
"""

from __future__ import annotations

import json
import unicodedata
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asr.data import default_extractor
from asr.domain.draft import DraftExtractor, DraftWorkOrder
from asr.domain.transcript import Turn, turns_from_lines
from ivr.config import DEFAULT_MENU_PATH, MenuConfigError, parse_menu
from ivr.domain.menu import Menu
from sms_feedback.domain.reply import Rating, parse_reply
from ticketing.domain.calendar import YearSchedule
from ticketing.domain.calendar_import import ScheduleFileInvalid, format_year_schedule, parse_year_schedule

BOUNDED = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Text a person or a broken tool could produce: CJK, full-width forms, emoji, controls, surrogate-free unicode.
any_text = st.text(st.characters(codec="utf-8"), max_size=200)
hotline_words = st.sampled_from(
    ["满意", "不满意", "基本满意", "没解决", "退订", "TD", "１", "２", "３", "1", "2", "3", "工单", "2025093000012",
     "营业执照", "市场监管局", "电话13900001111", "：", "，", "\n", "\u3000", "😀", "<script>", "'; DROP TABLE x;--"]
)
mixed_text = st.lists(st.one_of(hotline_words, any_text), max_size=8).map("".join)


# --- menu configuration ---------------------------------------------------------------------------

DEFAULT_MENU = DEFAULT_MENU_PATH.read_text(encoding="utf-8")
yaml_bits = st.sampled_from(
    ["nodes:", "  main:", "    keys:", "      1: {goto: business}", "prompts:", "- ", ": ", "{", "}", "[", "]",
     "&a", "*a", "!!python/object:os.system", "'", '"', "\t", "timeout: -1", "retries: 99", "root: main",
     "destinations:", "  seat: {kind: seat}", "---", "...", "%YAML 1.1", "? ", "|", ">", "#", "\n", "  "]
)
yaml_like = st.lists(st.one_of(yaml_bits, any_text), max_size=25).map("\n".join)


def _menu_or_located_error(text: str) -> None:
    try:
        menu = parse_menu(text, "fuzz.yaml")
    except MenuConfigError as exc:
        assert exc.problems, "a rejected menu names at least one problem"
        for problem in exc.problems:
            assert problem.line >= 1 and problem.column >= 1, problem
            assert problem.code and problem.message_zh, problem
        return
    assert isinstance(menu, Menu)


@BOUNDED
@given(yaml_like)
def test_any_menu_text_gives_a_menu_or_an_error_with_line_and_column(text: str) -> None:
    _menu_or_located_error(text)


@BOUNDED
@given(st.integers(0, len(DEFAULT_MENU)), st.integers(0, 40), mixed_text)
def test_the_default_menu_damaged_anywhere_gives_a_menu_or_a_located_error(at: int, cut: int, insert: str) -> None:
    _menu_or_located_error(DEFAULT_MENU[:at] + insert + DEFAULT_MENU[at + cut :])


def test_the_shipped_menu_still_parses() -> None:
    assert isinstance(parse_menu(DEFAULT_MENU), Menu)


# --- SMS replies ------------------------------------------------------------------------------------


@BOUNDED
@given(mixed_text)
def test_any_sms_reply_is_read_without_raising(raw: str) -> None:
    parsed = parse_reply(raw)
    assert isinstance(parsed.rating, Rating)
    assert isinstance(parsed.reason, str) and parsed.reason
    if parsed.work_order_ref is not None:
        assert parsed.work_order_ref.isdigit()


@pytest.mark.parametrize(
    ("half", "rating"),
    [("1", Rating.SATISFIED), ("2", Rating.BASICALLY_SATISFIED), ("3", Rating.DISSATISFIED)],
)
def test_full_width_digits_rate_like_ascii_digits(half: str, rating: Rating) -> None:
    full = chr(ord(half) - ord("0") + ord("０"))
    assert unicodedata.east_asian_width(full) == "F"
    assert parse_reply(full).rating is rating
    assert parse_reply(f" {full}。").rating is parse_reply(f" {half}。").rating is rating


@BOUNDED
@given(st.sampled_from("123"), st.sampled_from(["", " ", "\u3000", "。", "！", "\n"]))
def test_a_choice_digit_with_padding_keeps_its_rating(digit: str, pad: str) -> None:
    assert parse_reply(pad + digit + pad).rating is parse_reply(digit).rating


# --- draft extraction -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def drafts() -> DraftExtractor:
    return default_extractor()


speaker = st.sampled_from(["来电人：", "话务员：", "caller: ", "agent: ", "", "？？："])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(speaker, mixed_text), max_size=10))
def test_any_transcript_text_gives_a_draft(drafts: DraftExtractor, lines: list[tuple[str, str]]) -> None:
    turns = turns_from_lines(who + text for who, text in lines)
    draft = drafts.draft(turns)
    assert isinstance(draft, DraftWorkOrder)
    assert json.dumps(draft.to_dict(), ensure_ascii=False)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.builds(Turn, st.sampled_from(["caller", "agent", "unknown"]), any_text), max_size=6))
def test_raw_recognizer_turns_give_a_draft(drafts: DraftExtractor, turns: list[Turn]) -> None:
    assert isinstance(drafts.draft(turns), DraftWorkOrder)


def test_an_empty_call_gives_a_draft(drafts: DraftExtractor) -> None:
    assert isinstance(drafts.draft([]), DraftWorkOrder)


# --- the holiday schedule file ---------------------------------------------------------------------

line_bits = st.sampled_from(
    ["2027-01-01", "2027-02-06", "2027-02-07", "2028-01-01", "2027-13-40", "holiday", "workday", "放假", "班",
     ",", "，", "元旦", "春节调休上班", "#", "\ufeff", " ", ""]
)
schedule_like = st.lists(st.lists(st.one_of(line_bits, any_text), max_size=5).map("".join), max_size=12).map(
    "\n".join
)


@BOUNDED
@given(st.one_of(schedule_like, st.binary(max_size=300).map(lambda b: b.decode("utf-8", "replace"))))
def test_any_schedule_text_is_imported_whole_or_rejected_with_line_numbers(text: str) -> None:
    try:
        schedule = parse_year_schedule(text, "fuzz.txt")
    except ScheduleFileInvalid as exc:
        assert exc.errors and exc.error_id == "calendar-import-invalid"
        assert all(e.line >= 0 and e.message for e in exc.errors)
        return
    assert isinstance(schedule, YearSchedule) and schedule.holidays
    assert {d.year for d in [*schedule.holidays, *schedule.workdays]} == {schedule.year}


@BOUNDED
@given(
    st.sets(st.integers(0, 364), min_size=1, max_size=20),
    st.text(st.characters(categories=("Lo", "Nd")), min_size=1, max_size=8),
)
def test_a_formatted_schedule_reads_back_the_same(offsets: set[int], note: str) -> None:
    first = date(2027, 1, 1)
    days = [first + timedelta(days=o) for o in offsets]
    holidays = {d: note for d in days if d.weekday() < 5} or {first: note}
    workdays = {d: note for d in days if d.weekday() >= 5 and d not in holidays}
    schedule = YearSchedule(year=2027, holidays=holidays, workdays=workdays)
    assert parse_year_schedule(format_year_schedule(schedule)) == schedule
