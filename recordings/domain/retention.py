"""How long recordings are kept (录音保存期限) and which are due for purging. Pure.

Days are per kind; a recording under legal hold (司法保全/投诉复核 etc.) is never purged, whatever its
date. The setting `HOTLINE_RECORDINGS_RETENTION` reads like `mix=365,caller=180,agent=180,voice_message=365`;
kinds it does not name keep their default. The policy in force decides: changing the setting moves the
retention date of recordings already stored too (each row's `retention_until` is brought up to date).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from recordings.domain.model import Recording, RecordingKind

DEFAULT_DAYS: Mapping[RecordingKind, int] = {
    RecordingKind.MIX: 365,
    RecordingKind.VOICE_MESSAGE: 365,
    RecordingKind.CALLER: 180,
    RecordingKind.AGENT: 180,
}


class RetentionSpecError(ValueError):
    """The retention setting cannot be read."""

    error_id = "recording-retention-invalid"


@dataclass(frozen=True)
class RetentionPolicy:
    """Days kept per kind of recording."""

    days: Mapping[RecordingKind, int] = field(default_factory=lambda: dict(DEFAULT_DAYS))

    @classmethod
    def parse(cls, spec: str | None) -> RetentionPolicy:
        days = dict(DEFAULT_DAYS)
        for item in (spec or "").split(","):
            item = item.strip()
            if not item:
                continue
            key, sep, value = item.partition("=")
            try:
                kind = RecordingKind(key.strip())
                number = int(value.strip())
            except ValueError as exc:
                raise RetentionSpecError(
                    f"录音保存期限设置无法识别: {item!r} (expected kind=days, kinds: "
                    f"{', '.join(k.value for k in RecordingKind)})"
                ) from exc
            if not sep or number < 1:
                raise RetentionSpecError(f"保存天数须为正整数: {item!r} (days must be a positive integer)")
            days[kind] = number
        return cls(days)

    def until(self, kind: RecordingKind, created: datetime) -> datetime:
        """The moment after which a recording of this kind created then may be purged."""
        return created + timedelta(days=self.days.get(kind, DEFAULT_DAYS[kind]))

    def describe(self) -> str:
        return ", ".join(f"{k.label_zh}({k.value}) {self.days[k]} 天" for k in RecordingKind if k in self.days)


    @property
    def shortest(self) -> timedelta:
        return timedelta(days=min(self.days.values()))

    def applied(self, recording: Recording) -> Recording:
        """The recording with the retention date of this policy (the policy in force governs, so a
        changed setting applies to recordings already stored, both ways)."""
        until = self.until(recording.kind, recording.created_at)
        return recording if until == recording.retention_until else replace(recording, retention_until=until)


def due_for_purge(recording: Recording, now: datetime) -> bool:
    """Past its retention date and not under legal hold."""
    return not recording.legal_hold and recording.retention_until <= now
