"""A call record keeps the menu path, where the call went and how it ended."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from callflow.domain.call import DISPOSITIONS, CallRecord, CallRecordError, PathEntry

T0 = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


def record() -> CallRecord:
    return CallRecord(id="c1", channel_id="1796032840.1", caller_number="13800138000", started_at=T0)


def test_a_caller_who_hangs_up_in_the_menu_abandoned_it() -> None:
    call = record()
    call.path.append(PathEntry("main", "1", "goto:business"))
    call.close(T0)
    assert call.disposition == "abandoned-in-menu"
    assert call.closed


def test_a_routed_call_keeps_its_destination_and_disposition_when_closed() -> None:
    call = record()
    call.routed("complaint_seat", "complaint", "routed-to-seat")
    call.close(T0)
    assert (call.destination, call.service, call.disposition) == ("complaint_seat", "complaint", "routed-to-seat")


def test_a_closed_record_cannot_be_routed_again_and_closing_twice_keeps_the_first_end() -> None:
    call = record()
    call.close(T0)
    with pytest.raises(CallRecordError) as err:
        call.routed("x", None, "transferred")
    assert err.value.error_id == "call-record-invalid"
    call.close(datetime(2027, 1, 1, tzinfo=UTC))
    assert call.ended_at == T0


def test_the_path_reads_as_keys_and_outcomes_with_timeouts_shown() -> None:
    call = record()
    call.path += [PathEntry("main", None, "timeout"), PathEntry("main", "1", "goto:business")]
    assert call.path_text() == "main:∅(timeout) → main:1(goto:business)"
    assert "abandoned-in-menu" in DISPOSITIONS and "voice-message" in DISPOSITIONS
