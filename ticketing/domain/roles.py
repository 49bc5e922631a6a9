"""Who may do what to a work order (角色与权限). Pure: no I/O.

Hotline staff (agent 话务员, supervisor 督查, admin 管理员) see every work order; unit staff (unit handler
承办人, unit leader 单位负责人) see and act on only their own unit's work orders.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    AGENT = "agent"
    UNIT_HANDLER = "unit_handler"
    UNIT_LEADER = "unit_leader"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    SYSTEM = "system"  # the service itself (watchers, survey replies); never held by a user

    @property
    def is_unit_staff(self) -> bool:
        return self in (Role.UNIT_HANDLER, Role.UNIT_LEADER)

    @property
    def label_zh(self) -> str:
        return _LABELS[self]


_LABELS = {
    Role.AGENT: "话务员",
    Role.UNIT_HANDLER: "承办人",
    Role.UNIT_LEADER: "单位负责人",
    Role.SUPERVISOR: "督查员",
    Role.ADMIN: "管理员",
    Role.SYSTEM: "系统",
}

USER_ROLES = tuple(r for r in Role if r is not Role.SYSTEM)
HOTLINE_STAFF = frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN})
UNIT_STAFF = frozenset({Role.UNIT_HANDLER, Role.UNIT_LEADER})
SUPERVISORS = frozenset({Role.SUPERVISOR, Role.ADMIN})


@dataclass(frozen=True)
class Actor:
    """The person (or the system) performing an action."""

    id: int | None
    name: str
    role: Role
    unit_id: int | None = None

    def can_see(self, unit_id: int | None) -> bool:
        """Unit staff see only their unit's work orders; everyone else sees all."""
        if self.role.is_unit_staff:
            return self.unit_id is not None and unit_id == self.unit_id
        return True


SYSTEM = Actor(id=None, name="system", role=Role.SYSTEM)
