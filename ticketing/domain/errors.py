"""Domain errors of the work-order package. Each has a stable `error_id` the HTTP layer maps to a status."""

from __future__ import annotations


class TicketingError(Exception):
    """Base of work-order errors; the message is Chinese first, then English."""

    error_id = "ticketing-error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidTransition(TicketingError):
    """The action is not allowed in the work order's current state (状态不允许该操作)."""

    error_id = "invalid-transition"

    def __init__(self, state: str, action: str, detail: str = "") -> None:
        self.state = state
        self.action = action
        extra = f"：{detail}" if detail else ""
        super().__init__(
            f"工单当前状态为「{state}」，不能执行「{action}」{extra} "
            f"(action '{action}' is not allowed in state '{state}')"
        )


class Forbidden(TicketingError):
    """The actor's role may not perform the action (无权限)."""

    error_id = "forbidden"

    def __init__(self, role: str, action: str) -> None:
        self.role = role
        self.action = action
        super().__init__(f"角色「{role}」无权执行「{action}」 (role '{role}' may not '{action}')")


class NotFound(TicketingError):
    """No such work order, unit or extension visible to the actor (不存在或无权查看)."""

    error_id = "not-found"


class InvalidInput(TicketingError):
    """A field is missing or has a value the hotline does not know (参数错误)."""

    error_id = "invalid-input"

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


class ConcurrentUpdate(TicketingError):
    """Someone else changed the work order at the same moment; reload and retry (并发修改)."""

    error_id = "concurrent-update"


class Unauthenticated(TicketingError):
    """No valid API token (未认证)."""

    error_id = "unauthenticated"
