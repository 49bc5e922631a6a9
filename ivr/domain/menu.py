"""The voice navigation menu (语音导航菜单) as plain data, built from YAML by `ivr.config`.

A `Menu` is a tree of `MenuNode`s: each node plays one prompt and maps a key (0-9, * and #) to an
`Action`. A finished navigation ends at a `Destination`: a seat of the business-environment line
(营商环境专线坐席, optionally for one of the five services), a transfer back into the dialplan (e.g. the
general 12345 queue), or a hang-up.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

DestinationKind = Literal["seat", "transfer", "hangup"]

SERVICES: Mapping[str, str] = {
    "policy_query": "政策查询",
    "matter_consultation": "事项咨询",
    "complaint": "投诉举报",
    "difficult_matter": "难事协调",
    "suggestion": "建议征集",
}
"""The five services of the business-environment line (五项服务): config name -> Chinese label."""

KEYS: tuple[str, ...] = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "*", "#")
"""DTMF keys a menu node may bind."""


@dataclass(frozen=True)
class Destination:
    """Where a finished navigation sends the call (导航去向)."""

    name: str
    kind: DestinationKind
    service: str | None = None
    """For kind "seat": one of `SERVICES`, or None for an agent without a chosen service (人工服务)."""
    context: str | None = None
    """For kind "transfer": continue in the dialplan at context/extension/priority."""
    extension: str | None = None
    priority: int = 1
    label: str = ""
    """Chinese label, e.g. "投诉举报"."""
    prompt: str | None = None
    """Announcement the session may play when handing the call over (e.g. "transfer_seat"), or None."""


@dataclass(frozen=True)
class GoTo:
    """Move to another menu node (进入下级菜单)."""

    node: str


@dataclass(frozen=True)
class RouteTo:
    """Finish the navigation at a destination. `agent` marks the "press 0 for an agent" key (转人工)."""

    destination: str
    agent: bool = False


@dataclass(frozen=True)
class Repeat:
    """Play the current node's prompt again (重听)."""


@dataclass(frozen=True)
class Back:
    """Return to the node the caller came from (返回上级菜单); at the root it repeats."""


Action = GoTo | RouteTo | Repeat | Back


@dataclass(frozen=True)
class MenuNode:
    """One menu level: a prompt and the keys it accepts."""

    id: str
    prompt: str
    """Prompt name: file `prompts_dir/<name>.wav`, played as media `sound:hotline/<name>`."""
    keys: Mapping[str, Action] = field(default_factory=dict)
    timeout_s: float = 5.0
    retries: int = 3
    """Re-prompts after the first attempt; one more failure (invalid key or no input) goes to the agent."""
    invalid_prompt: str = "invalid"
    timeout_prompt: str = "no_input"
    label: str = ""


@dataclass(frozen=True)
class Menu:
    """A validated voice navigation menu with its prompt texts."""

    root: str
    nodes: Mapping[str, MenuNode]
    destinations: Mapping[str, Destination]
    prompts: Mapping[str, str]
    """Prompt name -> Chinese text (synthesized by `hotline prompts build`)."""
    agent_destination: str = "business_seat"
    """Where exhausted retries go (and the `agent` shorthand key)."""
    greeting_prompt: str = "greeting"
    """Played once before the root node when the line is open."""
    closed_prompt: str = "closed"
    """Played outside office hours, then a voice message (留言) is recorded."""
    voice_message_max_s: float = 120.0

    def node(self, node_id: str) -> MenuNode:
        return self.nodes[node_id]

    def destination(self, name: str) -> Destination:
        return self.destinations[name]

    @property
    def agent(self) -> Destination:
        return self.destinations[self.agent_destination]

    def referenced_prompts(self) -> list[str]:
        """Every prompt name the navigation can play, in a stable order without duplicates."""
        names = [self.greeting_prompt, self.closed_prompt]
        for node in self.nodes.values():
            names += [node.prompt, node.invalid_prompt, node.timeout_prompt]
        names += [d.prompt for d in self.destinations.values() if d.prompt]
        return list(dict.fromkeys(names))
