"""A phone we ring ourselves (呼出腿): an agent's endpoint for a queued caller, or an expert's for a
three-way call. The owner adopts the session, then originates the channel; the leg reports whether it
was answered and, when it never was, why it failed to ring through.
"""

from __future__ import annotations

from callflow.ari.client import AriClient
from callflow.clock import Clock
from callflow.session import CallSession, Event

CAUSE_BUSY = 17
CAUSE_NO_ANSWER = (19, 21, 0)


class OriginatedLeg(CallSession):
    """What every originated leg shares: `answered`, the ring failure, the refused originate."""

    def __init__(self, channel_id: str, args: list[str], clock: Clock, client: AriClient) -> None:
        super().__init__({"id": channel_id}, args, clock)
        self._leg_client = client
        self.answered = False
        self.why: str | None = None
        """Why it did not ring through, as the Dial event told (busy, unreachable); None: from the cause."""

    async def start(self, resumed: bool = False) -> None:
        """Nothing to do: the owner originates the leg right after adopting it."""

    def close(self) -> None:
        """The leg never came to be (the originate was refused): end this session's worker now."""
        self.finish()
        self._post(None)  # wakes the worker, which then sees the session finished

    async def fail(self, exc: BaseException) -> None:
        await self._leg_client.hangup_if_present(self.channel_id)

    async def on_Dial(self, event: Event) -> None:
        status = event.get("dialstatus")
        if status == "BUSY":
            self.why = "busy"
        elif status in ("CHANUNAVAIL", "CONGESTION"):
            self.why = "unreachable"

    def ring_failure(self, event: Event) -> str:
        """busy, no-answer or unreachable: the Dial status if one came, else the hang-up cause."""
        cause = int(event.get("cause", 0) or 0)
        return self.why or ("busy" if cause == CAUSE_BUSY else "no-answer" if cause in CAUSE_NO_ANSWER else "unreachable")
