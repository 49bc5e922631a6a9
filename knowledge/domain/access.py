"""Who may do what in the knowledge base and the expert directory (权限). Pure.

- Units (承办人, 单位负责人) write and revise only their own unit's entries.
- Supervisors and admins (督查员, 管理员) may revise any entry and manage the expert directory.
- Everyone signed in reads: agents (话务员) see entries in force; a unit also sees its own hidden ones.
"""

from __future__ import annotations

from knowledge.domain.errors import NotAllowed
from ticketing.domain.roles import SUPERVISORS, Actor, Role


def check_write_entry(actor: Actor, unit_id: int) -> None:
    """Refuse unless the actor may create or revise an entry owned by `unit_id`."""
    if actor.role in SUPERVISORS or actor.role is Role.SYSTEM:
        return
    if actor.role.is_unit_staff:
        if actor.unit_id == unit_id:
            return
        raise NotAllowed("修改知识条目", "只能维护本单位的知识条目（a unit edits only its own entries）")
    raise NotAllowed("修改知识条目", f"角色「{actor.role.label_zh}」只能查阅知识库（read only）")


def sees_hidden_of(actor: Actor, unit_id: int) -> bool:
    """Whether the actor may open an entry of `unit_id` that is expired or not yet in force."""
    if actor.role.is_unit_staff:
        return actor.unit_id == unit_id
    return actor.role in SUPERVISORS or actor.role is Role.SYSTEM


def check_unit_list(actor: Actor, unit_id: int) -> None:
    """A unit's maintenance lists (expired, high-frequency) are for that unit and for supervisors."""
    if not sees_hidden_of(actor, unit_id):
        raise NotAllowed("查看该单位的知识维护清单", "只能查看本单位的清单（only your own unit's lists）")


def check_manage_experts(actor: Actor) -> None:
    if actor.role in SUPERVISORS or actor.role is Role.SYSTEM:
        return
    raise NotAllowed("管理专家库", "只有督查员和管理员可以维护专家库（supervisors and admins only）")
