"""Who may listen to a recording (录音调听权限). Pure: a decision over facts the service gathers.

- supervisors (督查员) and admins (管理员): every recording;
- an agent (话务员): recordings of calls they took;
- unit staff (承办人, 单位负责人): recordings of calls whose work order their unit is handling now;
- anyone else (including the service's own `system` identity): no.
Every decision carries a stable reason word, written to the access log whether allowed or denied.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ticketing.domain.roles import Actor, Role


@dataclass(frozen=True)
class CallFacts:
    """What is known about the call a recording belongs to."""

    call_id: str
    agent_user_ids: frozenset[int] = field(default_factory=frozenset)  # agents who took the call
    handling_unit_ids: frozenset[int] = field(default_factory=frozenset)  # units of its work orders


@dataclass(frozen=True)
class AccessDecision:
    allowed: bool
    reason: str

    @property
    def message(self) -> str:
        return REASON_TEXT.get(self.reason, self.reason)


REASON_TEXT = {
    "supervisor": "督查员可调听全部录音 (supervisors hear every recording)",
    "admin": "管理员可调听全部录音 (admins hear every recording)",
    "agent-took-call": "本人接听的通话 (the agent took this call)",
    "unit-handles-work-order": "本单位承办该通话的工单 (the unit handles this call's work order)",
    "agent-not-on-call": "话务员只能调听本人接听的通话录音 (agents hear only calls they took)",
    "unit-not-handling": "本单位未承办该通话的工单 (the unit does not handle this call's work order)",
    "role-not-allowed": "该角色无权调听录音 (this role may not hear recordings)",
}


def decide(actor: Actor, facts: CallFacts) -> AccessDecision:
    """May `actor` see and hear recordings of the call described by `facts`?"""
    if actor.role is Role.SUPERVISOR:
        return AccessDecision(True, "supervisor")
    if actor.role is Role.ADMIN:
        return AccessDecision(True, "admin")
    if actor.role is Role.AGENT:
        if actor.id is not None and actor.id in facts.agent_user_ids:
            return AccessDecision(True, "agent-took-call")
        return AccessDecision(False, "agent-not-on-call")
    if actor.role.is_unit_staff:
        if actor.unit_id is not None and actor.unit_id in facts.handling_unit_ids:
            return AccessDecision(True, "unit-handles-work-order")
        return AccessDecision(False, "unit-not-handling")
    return AccessDecision(False, "role-not-allowed")
