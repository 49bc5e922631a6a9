"""The result of re-hashing a stored recording (完整性校验). Pure."""

from __future__ import annotations

from dataclasses import dataclass

from recordings.domain.model import Recording, RecordingState


@dataclass(frozen=True)
class IntegrityCheck:
    """What re-hashing one recording found. `actual_sha256` is None when the file is gone."""

    recording_id: int | None
    name: str
    expected_sha256: str
    expected_size: int
    actual_sha256: str | None
    actual_size: int | None

    @property
    def state(self) -> RecordingState:
        if self.actual_sha256 is None:
            return RecordingState.MISSING
        if self.actual_sha256 != self.expected_sha256 or self.actual_size != self.expected_size:
            return RecordingState.CORRUPT
        return RecordingState.STORED

    @property
    def ok(self) -> bool:
        return self.state is RecordingState.STORED

    def describe(self) -> str:
        if self.state is RecordingState.MISSING:
            return f"{self.name}: 文件丢失 (file missing)"
        if self.state is RecordingState.CORRUPT:
            return (
                f"{self.name}: 哈希不符 (hash mismatch) 期望 {self.expected_sha256[:16]}… "
                f"{self.expected_size} 字节, 实际 {(self.actual_sha256 or '')[:16]}… {self.actual_size} 字节"
            )
        return f"{self.name}: 完好 (ok)"


def check(recording: Recording, actual_sha256: str | None, actual_size: int | None) -> IntegrityCheck:
    return IntegrityCheck(
        recording.id, recording.name, recording.sha256, recording.size_bytes, actual_sha256, actual_size
    )
