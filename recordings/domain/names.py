"""Safe recording names and stored paths (录音名校验). Pure.

Asterisk's recording name becomes a file name on our disk and a path segment of an ARI URL, so only
plain names are accepted: letters, digits, `.`, `_`, `-`, starting with a letter or digit, at most
128 characters. That refuses `../x`, `/etc/passwd`, `a/b`, `a\\b`, `%2e%2e`, NUL and spaces before
anything touches the disk. The store resolves every path again and checks it stays inside its root.
"""

from __future__ import annotations

import re
from datetime import datetime

from recordings.domain.errors import UnsafeRecordingName

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
MAX_NAME = 128


def validate_name(name: str) -> str:
    """The name unchanged when it is safe, else `UnsafeRecordingName` (error `recording-name-unsafe`)."""
    if not isinstance(name, str) or not name:
        raise UnsafeRecordingName(str(name), "不能为空 (empty)")
    if len(name) > MAX_NAME:
        raise UnsafeRecordingName(name[:40] + "…", f"长度超过 {MAX_NAME} (too long)")
    if "/" in name or "\\" in name:
        raise UnsafeRecordingName(name, "不能包含路径分隔符 (no path separators)")
    if "%" in name:
        raise UnsafeRecordingName(name, "不能包含百分号编码 (no percent-encoding)")
    if ".." in name:
        raise UnsafeRecordingName(name, "不能包含 '..' (no parent references)")
    if not NAME.fullmatch(name):
        raise UnsafeRecordingName(name, "只允许字母、数字、'.'、'_'、'-'，且以字母或数字开头 (letters, digits, . _ - only)")
    return name


def stored_path(name: str, extension: str, created: datetime) -> str:
    """Where a recording lives under the recordings folder: `YYYY/MM/DD/<name>.<ext>` (UTC date)."""
    validate_name(name)
    if not re.fullmatch(r"[a-z0-9]{1,8}", extension):
        raise UnsafeRecordingName(extension, "扩展名不合法 (bad extension)")
    return f"{created:%Y/%m/%d}/{name}.{extension}"


def validate_stored_path(relative: str) -> list[str]:
    """The parts of a stored path read back from the database; each part must be a safe name."""
    if not relative or relative.startswith(("/", "\\")) or "\\" in relative:
        raise UnsafeRecordingName(relative, "存储路径须为相对路径 (stored path must be relative)")
    parts = relative.split("/")
    for part in parts:
        validate_name(part)
    return parts
