"""Errors of the recordings package. Each has a stable `error_id`; the HTTP layer maps it to a status."""

from __future__ import annotations


class RecordingsError(Exception):
    """Base of recording errors; the message is Chinese first, then English."""

    error_id = "recordings-error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnsafeRecordingName(RecordingsError):
    """A recording name or stored path that could leave the recordings folder (非法录音名)."""

    error_id = "recording-name-unsafe"

    def __init__(self, name: str, why: str) -> None:
        self.name = name
        super().__init__(f"录音名不合法: {name!r}，{why} (unsafe recording name)")


class UnsupportedFormat(RecordingsError):
    """A recording format the hotline does not store (不支持的录音格式)."""

    error_id = "recording-format-unsupported"


class RecordingNotFound(RecordingsError):
    """No such recording (录音不存在)."""

    error_id = "recording-not-found"


class RecordingAlreadyRegistered(RecordingsError):
    """A recording of that name is already stored for another call (录音名已被占用)."""

    error_id = "recording-exists"


class RecordingSourceMissing(RecordingsError):
    """Asterisk (or its spool folder) has no finished recording of that name (源录音不存在)."""

    error_id = "recording-source-missing"


class RecordingFetchFailed(RecordingsError):
    """The recording could not be brought over whole: connection lost, size or hash mismatch (录音拉取失败)."""

    error_id = "recording-fetch-failed"


class RecordingAccessDenied(RecordingsError):
    """The user's role and relation to the call do not allow access (无权访问录音)."""

    error_id = "recording-access-denied"

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message)


class RecordingIntegrityFailed(RecordingsError):
    """The stored file no longer has the hash taken when it was stored: it is never served (录音完整性校验失败)."""

    error_id = "recording-integrity-failed"


class RecordingFileMissing(RecordingsError):
    """The row exists but the file is gone from disk (录音文件丢失)."""

    error_id = "recording-file-missing"


class RecordingUnreadable(RecordingsError):
    """The file is not audio of the format it claims (a WAV without a valid header, say) (录音无法解析)."""

    error_id = "recording-unreadable"
