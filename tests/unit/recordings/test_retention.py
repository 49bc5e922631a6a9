"""Retention per kind, from the setting; legal hold keeps a recording whatever its date."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from recordings.domain.model import Recording, RecordingKind
from recordings.domain.retention import DEFAULT_DAYS, RetentionPolicy, RetentionSpecError, due_for_purge

CREATED = datetime(2025, 1, 10, 9, 0, tzinfo=UTC)


def _recording(kind: RecordingKind, policy: RetentionPolicy) -> Recording:
    return Recording(
        id=1,
        name="call-1-mix",
        call_id="call-1",
        kind=kind,
        format="wav",
        sample_rate=8000,
        channels=1,
        duration_s=12.5,
        size_bytes=200_044,
        sha256="0" * 64,
        stored_path="2025/01/10/call-1-mix.wav",
        created_at=CREATED,
        retention_until=policy.until(kind, CREATED),
    )


def test_the_setting_overrides_only_the_kinds_it_names() -> None:
    policy = RetentionPolicy.parse("mix=730, caller=30")
    assert policy.days[RecordingKind.MIX] == 730
    assert policy.days[RecordingKind.CALLER] == 30
    assert policy.days[RecordingKind.AGENT] == DEFAULT_DAYS[RecordingKind.AGENT]
    assert policy.until(RecordingKind.CALLER, CREATED) == CREATED + timedelta(days=30)


def test_an_empty_setting_means_the_defaults() -> None:
    assert dict(RetentionPolicy.parse("").days) == dict(DEFAULT_DAYS)
    assert "通话混音(mix) 365 天" in RetentionPolicy.parse(None).describe()


@pytest.mark.parametrize("spec", ["mix", "mix=0", "mix=-3", "mix=ten", "video=30"])
def test_an_unreadable_setting_is_refused(spec: str) -> None:
    with pytest.raises(RetentionSpecError):
        RetentionPolicy.parse(spec)


def test_a_recording_is_due_on_its_retention_date_not_before() -> None:
    policy = RetentionPolicy.parse("caller=30")
    rec = _recording(RecordingKind.CALLER, policy)
    assert not due_for_purge(rec, rec.retention_until - timedelta(seconds=1))
    assert due_for_purge(rec, rec.retention_until)


def test_legal_hold_keeps_a_recording_long_past_its_date() -> None:
    rec = replace(_recording(RecordingKind.MIX, RetentionPolicy()), legal_hold=True, legal_hold_reason="行政复议")
    assert not due_for_purge(rec, rec.retention_until + timedelta(days=3650))
