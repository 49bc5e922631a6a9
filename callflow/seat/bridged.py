"""A bridged call (坐席通话): the caller and the agent in one mixing bridge, and the legs that join later.

`BridgedCall` owns the mixing bridge and every leg in it. Other features build on its hooks:
`on_answered` runs once caller and agent are together (start a recording), `on_ended` once the call
is over and the bridge is gone (stop what you started). Expert legs (三方通话) are added with `add_leg`.
A hang-up by anyone ends the whole call: the remaining legs are hung up and the bridge is destroyed,
so nothing is left behind in Asterisk.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from callflow.ari.client import AriClient
from callflow.ari.errors import AriError

log = logging.getLogger(__name__)

Hook = Callable[["BridgedCall"], Awaitable[None]]


@dataclass
class Leg:
    """One party of the call: `caller`, `agent` or (later) `expert`."""

    role: str
    channel_id: str
    who: str
    joined_at: datetime
    left_at: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "channel_id": self.channel_id,
            "who": self.who,
            "joined_at": self.joined_at.isoformat(),
            "left_at": self.left_at.isoformat() if self.left_at else None,
        }


@dataclass
class BridgedCall:
    """The mixing bridge of one answered call and its legs."""

    client: AriClient
    call_id: str
    bridge_id: str
    caller: Leg
    agent: Leg
    extra_legs: list[Leg] = field(default_factory=list)
    on_answered: list[Hook] = field(default_factory=list)
    on_ended: list[Hook] = field(default_factory=list)
    ended_at: datetime | None = None
    ended_by: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    """Room for features built on top (e.g. the recording's name)."""

    @property
    def legs(self) -> list[Leg]:
        return [self.caller, self.agent, *self.extra_legs]

    def leg(self, channel_id: str) -> Leg | None:
        for leg in self.legs:
            if leg.channel_id == channel_id:
                return leg
        return None

    async def open(self, bridge_name: str) -> None:
        """Create the mixing bridge and put caller and agent in it (the caller leaves its holding bridge)."""
        await self.client.request(
            "POST", f"/bridges/{self.bridge_id}", {"type": "mixing", "name": bridge_name}
        )
        await self.client.request(
            "POST",
            f"/bridges/{self.bridge_id}/addChannel",
            {"channel": f"{self.caller.channel_id},{self.agent.channel_id}"},
        )
        for hook in list(self.on_answered):
            try:
                await hook(self)
            except Exception:
                log.exception("call %s: an on_answered hook failed", self.call_id)

    async def add_leg(self, leg: Leg) -> None:
        """Put one more party (an expert) into the call."""
        self.extra_legs.append(leg)
        await self.client.request("POST", f"/bridges/{self.bridge_id}/addChannel", {"channel": leg.channel_id})

    def left(self, channel_id: str, at: datetime) -> Leg | None:
        leg = self.leg(channel_id)
        if leg is not None and leg.left_at is None:
            leg.left_at = at
        return leg

    async def close(self, at: datetime, ended_by: str) -> None:
        """End the call: hang up every leg still there, destroy the bridge, run `on_ended` (once)."""
        if self.ended_at is not None:
            return
        self.ended_at = at
        self.ended_by = ended_by
        for leg in self.legs:
            if leg.left_at is None:
                leg.left_at = at
                if leg.role != "caller":  # the caller's own session hangs it up (or it is gone already)
                    try:
                        await self.client.hangup_if_present(leg.channel_id)
                    except AriError as exc:
                        log.warning("call %s: could not hang up %s: %s", self.call_id, leg.channel_id, exc)
        try:
            await self.client.destroy_bridge(self.bridge_id)
        except AriError as exc:
            log.warning("call %s: could not destroy bridge %s: %s", self.call_id, self.bridge_id, exc)
        for hook in list(self.on_ended):
            try:
                await hook(self)
            except Exception:
                log.exception("call %s: an on_ended hook failed", self.call_id)

    @property
    def talk_s(self) -> float:
        end = self.ended_at or self.agent.left_at
        return 0.0 if end is None else max(0.0, (end - self.agent.joined_at).total_seconds())
