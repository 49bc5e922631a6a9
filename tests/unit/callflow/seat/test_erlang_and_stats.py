"""Erlang C against textbook values, and the live statistics of the seat."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from callflow.seat.domain import Seat
from callflow.seat.erlang import (
    ErlangInputError,
    agents_needed,
    average_speed_of_answer,
    erlang_c,
    service_level,
)
from callflow.seat.stats import HandledCall, QueueOutcome, SeatStatistics

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def test_erlang_c_matches_the_textbook_example() -> None:
    # 100 calls in 30 minutes, AHT 180 s → 10 Erlangs; the well-known worked example (callcentrehelper.com).
    assert erlang_c(10, 11) == pytest.approx(0.6821, abs=1e-4)
    assert erlang_c(10, 14) == pytest.approx(0.1741, abs=1e-4)
    assert service_level(10, 14, 180, 20) == pytest.approx(0.8884, abs=1e-4)
    assert average_speed_of_answer(10, 14, 180) == pytest.approx(7.84, abs=0.01)
    assert erlang_c(2, 3) == pytest.approx(4 / 9)


def test_the_advice_is_the_fewest_agents_meeting_80_in_20_with_its_inputs() -> None:
    advice = agents_needed(100, 180, interval_s=1800, target_sl=0.8, answer_within_s=20)
    assert advice.agents == 14
    assert advice.traffic_erlangs == pytest.approx(10)
    assert advice.expected_sl >= 0.8 > service_level(10, 13, 180, 20)
    shown = advice.as_json()
    assert {"offered_calls", "aht_s", "interval_s", "target_sl", "target_answer_s"} <= shown.keys()


def test_no_calls_need_no_agents_and_nonsense_is_refused() -> None:
    assert agents_needed(0, 180).agents == 0
    with pytest.raises(ErlangInputError):
        agents_needed(10, 0)
    with pytest.raises(ErlangInputError):
        agents_needed(10, 180, target_sl=1.5)


def test_large_volumes_stay_numerically_sound() -> None:
    advice = agents_needed(6000, 300, interval_s=1800)
    assert 1000 < advice.agents < 1100 and 0.8 <= advice.expected_sl < 0.9


def test_live_statistics_count_windows_service_level_and_aht() -> None:
    stats = SeatStatistics(answer_within_s=20)
    now = T0 + timedelta(minutes=90)
    for minutes_ago, wait, outcome in [(5, 10, "answered"), (10, 30, "answered"), (12, 40, "abandoned"),
                                       (40, 5, "answered"), (80, 5, "answered")]:
        entered = now - timedelta(minutes=minutes_ago, seconds=wait)
        stats.caller_entered(entered)
        stats.wait_ended(QueueOutcome(f"c{minutes_ago}", entered, entered + timedelta(seconds=wait), outcome))
    stats.call_handled(HandledCall("c5", now - timedelta(minutes=1), talk_s=200, wrap_up_s=20))
    stats.call_handled(HandledCall("c10", now - timedelta(minutes=3), talk_s=100, wrap_up_s=20))
    seat = Seat()
    seat.add_member("101", T0, endpoint="PJSIP/101")
    seat.enqueue("w1", "ch", "138", now - timedelta(seconds=45))
    snap = stats.snapshot(seat, now)
    quarter, hour = snap["windows"]
    assert (quarter["offered"], quarter["answered"], quarter["abandoned"]) == (3, 2, 1)
    assert quarter["service_level"] == pytest.approx(1 / 3, abs=1e-3)
    assert (hour["offered"], hour["answered"]) == (4, 3)  # the call 80 minutes ago is outside the hour
    assert quarter["aht_s"] == 170.0
    assert snap["waiting"] == 1 and snap["longest_wait_s"] == 45.0
    assert snap["agents_by_state"]["available"] == 1
    assert snap["staffing"]["offered_calls"] == 2.0  # last hour's 4 calls → 2 in the next 30 minutes
