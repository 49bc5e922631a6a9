"""Errors of the knowledge base and expert directory, each with a stable `error_id` for the HTTP layer."""

from __future__ import annotations


class KnowledgeError(Exception):
    """Base of knowledge-base errors; the message is Chinese first, then English."""

    error_id = "knowledge-error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class EntryNotFound(KnowledgeError):
    """No such knowledge entry (知识条目不存在)."""

    error_id = "kb-entry-not-found"

    def __init__(self, entry_id: int) -> None:
        self.entry_id = entry_id
        super().__init__(f"知识条目 {entry_id} 不存在 (no knowledge entry {entry_id})")


class ExpertNotFound(KnowledgeError):
    """No such expert (专家不存在)."""

    error_id = "expert-not-found"

    def __init__(self, expert_id: int) -> None:
        self.expert_id = expert_id
        super().__init__(f"专家 {expert_id} 不存在 (no expert {expert_id})")


class NotAllowed(KnowledgeError):
    """The actor may not do this to the knowledge base or the expert directory (无权限)."""

    error_id = "kb-forbidden"

    def __init__(self, action: str, reason: str) -> None:
        self.action = action
        super().__init__(f"无权{action}：{reason}")


class InvalidField(KnowledgeError):
    """A field is missing or malformed (参数错误)."""

    error_id = "kb-invalid-input"

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


class StaleVersion(KnowledgeError):
    """The entry was changed by someone else since the editor loaded it (版本冲突，请刷新后再改)."""

    error_id = "kb-stale-version"

    def __init__(self, entry_id: int, expected: int, current: int) -> None:
        self.current = current
        super().__init__(
            f"知识条目 {entry_id} 已被他人修改（当前第 {current} 版，提交基于第 {expected} 版），请刷新后再改"
            f" (entry {entry_id} is at version {current}, the edit was based on version {expected})"
        )
