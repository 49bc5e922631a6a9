"""/healthz: each component reports its own state; the endpoint gathers them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

Probe = Callable[[], Awaitable[dict[str, Any]]]


@dataclass
class Health:
    """A registry of named probes. A probe returns a dict with at least {"ok": bool}."""

    probes: dict[str, Probe] = field(default_factory=dict)

    def register(self, name: str, probe: Probe) -> None:
        self.probes[name] = probe

    async def report(self) -> tuple[bool, dict[str, Any]]:
        out: dict[str, Any] = {}
        healthy = True
        for name, probe in self.probes.items():
            try:
                state = await probe()
            except Exception as exc:  # a probe that fails is a component that is down
                state = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
            out[name] = state
            if state.get("affects_status", True):  # informational probes (e.g. ARI) only report
                healthy = healthy and bool(state.get("ok"))
        return healthy, out
