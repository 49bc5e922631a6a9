"""The ARI sessions of the seat: one for a queued caller, one for each agent leg rung for it.

`QueuedCallerSession` owns the caller's channel after the menu: holding bridge + music on hold,
position every N seconds, rings the agents the `Seat` reserved, bridges the winner, handles overflow
and callback by keypad, and closes the record. All events of the call (the agent legs' too, forwarded
by `AgentLegSession`) are handled one at a time in the caller's worker, so the call needs no locks.
"""

from __future__ import annotations

import asyncio
import logging
import math
import uuid
from typing import TYPE_CHECKING

from callflow.ari.errors import AriError, NotFound
from callflow.domain.call import CallRecord
from callflow.seat.bridged import BridgedCall, Leg
from callflow.seat.legs import OriginatedLeg
from callflow.seat.records import SeatCall
from callflow.services import SeatRequest
from callflow.session import CallSession, Event

if TYPE_CHECKING:
    from callflow.seat.services import SeatQueue

log = logging.getLogger(__name__)



class QueuedCallerSession(CallSession):
    """A caller handed to the seat (专席排队来电)."""

    def __init__(self, queue: SeatQueue, request: SeatRequest, record: CallRecord | None) -> None:
        super().__init__({"id": request.channel_id}, ["seat"], queue.clock)
        self.queue = queue
        self.client = queue.client
        self.config = queue.config
        self.request = request
        self.call_id = request.call_id
        self.record = record
        self.seat_call = SeatCall(
            call_id=request.call_id,
            caller_number=request.caller_number,
            queued_at=queue.now(),
            destination=request.destination,
        )
        self.stage = "new"
        """new → waiting → (offer → confirm/entering → registered) | bridged → ended."""
        self.holding_bridge: str | None = None
        self.agent_legs: dict[str, str] = {}
        """Ringing agent legs: channel id → agent id."""
        self.bridged: BridgedCall | None = None
        self.playback_id: str | None = None
        self._playbacks = 0
        self.digits = ""
        self.callback_number = request.caller_number
        self.overflow_reason: str | None = None
        self.confirm_timeouts = 0
        self._dirty = False
        self._writer: asyncio.Task[None] | None = None

    def post(self, item: object) -> None:
        """Deliver `item` (an event-like dict) to this session's worker, in order with its ARI events."""
        if not self.finished:
            self._post(item)

    # --- lifecycle ---
    async def start(self, resumed: bool = False) -> None:
        self.holding_bridge = f"{self.config.app}-seat-hold-{self.call_id}"
        self.bridges.add(self.holding_bridge)
        await self.client.request(
            "POST", f"/bridges/{self.holding_bridge}", {"type": "holding", "name": self.holding_bridge}
        )
        await self.client.request("POST", f"/bridges/{self.holding_bridge}/addChannel", {"channel": self.channel_id})
        await self.client.request("POST", f"/bridges/{self.holding_bridge}/moh", {"mohClass": self.config.moh_class})
        self.queue.caller_entered(self)  # in the queue once on hold: from here on an agent may be rung
        self.stage = "waiting"
        self._save()
        self.arm_timer(self.config.announce_every_s, "announce")
        self.arm_timer(self.config.rules.wait_limit_s, "wait-limit")
        await self.queue.changed_now()

    async def fail(self, exc: BaseException) -> None:
        """Our handler failed: leave the call to the dialplan's general queue rather than in silence."""
        log.error("call %s: seat session failed (%s); overflowing", self.channel_id, exc)
        if self.stage in ("waiting", "new", "offer", "confirm", "entering"):
            if self.stage == "waiting":
                await self._leave_queue("overflowed")
            self.overflow_reason = "failure"
            await self._to_overflow_destination()

    async def shutdown(self) -> None:
        self._save()

    async def resume(self, channel: Event | None) -> None:
        """After a reconnect: a caller's channel that is gone vanished while we were away (or with Asterisk)."""
        if channel is None:
            why = "asterisk-restart" if self.queue.controller.asterisk_restarted else "vanished"
            await self.on_StasisEnd({"type": "StasisEnd", "channel": {"id": self.channel_id}, "vanished": why})

    # --- the queue tells us whom to ring ---
    async def on_SeatRing(self, event: Event) -> None:
        agent_id = str(event["agent_id"])
        if self.stage != "waiting":
            self.queue.seat.ring_failed(self.call_id, agent_id, "caller-busy", self.queue.now())
            await self.queue.changed_now()
            return
        leg_id = f"{self.config.app}-seat-{uuid.uuid4().hex[:16]}"
        leg = AgentLegSession(self, leg_id, agent_id)
        self.agent_legs[leg_id] = agent_id
        self.helper_channels.add(leg_id)
        self.queue.controller.adopt(leg)
        self.seat_call.rung.append({"agent": agent_id, "at": self.queue.now().isoformat(), "outcome": "ringing"})
        self._save()  # written as it rings: a controller that dies now leaves who was rung behind
        try:
            await self.client.request(
                "POST",
                f"/channels/{leg_id}",
                {
                    "endpoint": str(event["endpoint"]),
                    "app": self.config.app,
                    "appArgs": "agent",
                    "callerId": self.request.caller_number or None,
                    "timeout": self.config.ring_s,
                },
            )
        except AriError as exc:  # e.g. 500 "Allocation failed": the endpoint does not exist
            log.warning("call %s: agent %s unreachable: %s", self.call_id, agent_id, exc)
            leg.close()
            await self.on_SeatRingFailed({"type": "SeatRingFailed", "channel_id": leg_id, "why": "unreachable"})

    async def on_SeatRingFailed(self, event: Event) -> None:
        leg_id = str(event["channel_id"])
        agent_id = self.agent_legs.pop(leg_id, None)
        self.helper_channels.discard(leg_id)
        if agent_id is None:
            return
        why = str(event["why"])
        self._rung(agent_id, why)
        self.queue.seat.ring_failed(self.call_id, agent_id, why, self.queue.now())
        await self.queue.changed_now()

    async def on_SeatAgentAnswered(self, event: Event) -> None:
        leg_id = str(event["channel_id"])
        agent_id = self.agent_legs.pop(leg_id, None)
        release = self.queue.answered(self, agent_id) if agent_id is not None and self.stage == "waiting" else None
        if agent_id is None or release is None:
            if agent_id is not None:
                self._rung(agent_id, "lost-race")
            self.helper_channels.discard(leg_id)
            await self.client.hangup_if_present(leg_id)
            await self.queue.changed_now()
            return
        self.stage = "bridged"
        self._rung(agent_id, "answered")
        for other_leg, other_agent in list(self.agent_legs.items()):
            if other_agent in release:
                del self.agent_legs[other_leg]
                self.helper_channels.discard(other_leg)
                self._rung(other_agent, "lost-race")
                await self.client.hangup_if_present(other_leg)
        self.cancel_timer("announce")
        self.cancel_timer("wait-limit")
        await self._stop_playback()
        now = self.queue.now()
        self.seat_call.answered_at = now
        self.seat_call.disposition = "answered"
        self.seat_call.agents.append(agent_id)
        bridge_id = f"{self.config.app}-seat-call-{self.call_id}"
        self.bridges.add(bridge_id)
        call = BridgedCall(
            self.client,
            self.call_id,
            bridge_id,
            caller=Leg("caller", self.channel_id, self.request.caller_number, now),
            agent=Leg("agent", leg_id, agent_id, now),
        )
        for hook in self.queue.bridged_call_hooks:
            hook(call)
        self.bridged = call
        try:
            await call.open(bridge_id)
        except AriError:
            if not await self._present(self.channel_id):
                raise  # the caller hung up: StasisEnd follows
            await self._agent_vanished(call)
            return
        await self._destroy_holding_bridge()
        self._save()
        await self.queue.changed_now()

    async def on_SeatAgentLeft(self, event: Event) -> None:
        """An agent leg left Stasis: in a bridged call the agent hung up, and the call ends for the caller."""
        leg_id = str(event["channel_id"])
        call = self.bridged
        if call is None or call.agent.channel_id != leg_id or call.ended_at is not None:
            return
        if call.data.get("agent_released"):  # the agent left a three-way call: caller and expert go on
            return
        call.left(leg_id, self.queue.now())
        await self._end_bridged_call("agent")
        await self.client.hangup_if_present(self.channel_id)

    async def on_SeatOverflow(self, event: Event) -> None:
        """The queue took this caller out (nobody staffed, or waited past the limit): offer a callback."""
        if self.stage != "waiting":
            return
        self.overflow_reason = str(event["reason"])
        self.seat_call.overflow_reason = self.overflow_reason
        self.seat_call.disposition = "overflowed"
        self.cancel_timer("announce")
        self.cancel_timer("wait-limit")
        self.stage = "offer"
        await self._stop_playback()
        await self._play(self.config.prompts.callback_offer)
        self.arm_timer(self.config.callback_offer_s, "offer")

    # --- the caller ---
    async def on_ChannelDtmfReceived(self, event: Event) -> None:
        digit = str(event["digit"])
        if self.stage in ("waiting", "offer") and digit == "1":
            if self.stage == "waiting":
                await self._leave_queue("callback")
            self.cancel_timer("offer")
            await self._confirm_number()
        elif self.stage == "confirm":
            if digit == "1":
                await self._register_callback()
            elif digit == "2":
                self.stage = "entering"
                self.digits = ""
                await self._stop_playback()
                await self._play(self.config.prompts.callback_enter)
                self.arm_timer(2 * self.config.digit_timeout_s, "entering")
        elif self.stage == "entering":
            if digit == "#":
                self.cancel_timer("entering")
                if len(self.digits) >= 5:
                    self.callback_number = self.digits
                await self._confirm_number()
            elif digit.isdigit() and len(self.digits) < 20:
                self.arm_timer(self.config.digit_timeout_s, "entering")
                await self._stop_playback()
                self.digits += digit

    async def on_PlaybackFinished(self, event: Event) -> None:
        if event["playback"]["id"] != self.playback_id:
            return
        self.playback_id = None
        if self.stage == "registered":
            await self.client.hangup_if_present(self.channel_id)
        elif self.stage == "confirm":
            self.arm_timer(self.config.confirm_timeout_s, "confirm")

    async def on_timer(self, name: str) -> None:
        if name == "announce" and self.stage == "waiting":
            await self._announce()
            self.arm_timer(self.config.announce_every_s, "announce")
        elif name == "wait-limit" and self.stage == "waiting":
            await self.queue.changed_now()  # the queue sees the limit passed and sends SeatOverflow
        elif name == "offer" and self.stage == "offer":
            await self._to_overflow_destination()  # no callback wanted: on to the general queue
        elif name == "entering" and self.stage == "entering":
            if len(self.digits) >= 5:
                self.callback_number = self.digits
            await self._confirm_number()
        elif name == "confirm" and self.stage == "confirm":
            self.confirm_timeouts += 1
            if self.confirm_timeouts >= 2:  # no answer twice: a person had better take the call
                await self._to_overflow_destination()
            else:
                await self._confirm_number()

    async def on_StasisEnd(self, event: Event) -> None:
        """The caller hung up, or we sent the channel on (overflow) — either way the call is over for us."""
        if self.finished:
            return
        now = self.queue.now()
        if self.stage == "waiting":
            await self._leave_queue("abandoned")
        for leg_id in list(self.agent_legs):
            await self.client.hangup_if_present(leg_id)
        self.agent_legs.clear()
        vanished = event.get("vanished")
        if self.bridged is not None and self.bridged.ended_at is None:
            self.bridged.left(self.channel_id, now)
            await self._end_bridged_call(str(vanished or "caller"))
        await self._destroy_holding_bridge()
        self.stage = "ended"
        self.seat_call.ended_at = now
        if vanished:  # not heard hanging up: it vanished (with Asterisk, or while our socket was down)
            self.seat_call.ended_by = str(vanished)
        if self.seat_call.disposition == "waiting":
            self.seat_call.disposition = "abandoned"
        self.finish()
        self.queue.forget(self)
        if self.record is not None:
            self.record.close(self.clock.now())
        await self._save_now()
        await self.queue.changed_now()

    # --- helpers ---
    async def _leave_queue(self, outcome: str) -> None:
        """Out of the queue (abandoned, callback, overflowed): the agent legs ringing for us hang up."""
        self.cancel_timer("announce")
        self.cancel_timer("wait-limit")
        self.seat_call.disposition = outcome
        release = self.queue.wait_ended(self, outcome)
        for leg_id, agent_id in list(self.agent_legs.items()):
            if agent_id in release:
                del self.agent_legs[leg_id]
                self.helper_channels.discard(leg_id)
                self._rung(agent_id, "caller-left")
                await self.client.hangup_if_present(leg_id)
        self.queue.dispatch()

    async def _present(self, channel_id: str) -> bool:
        try:
            await self.client.get_channel(channel_id)
        except NotFound:
            return False
        return True

    async def _agent_vanished(self, call: BridgedCall) -> None:
        """The agent hung up between answering and the bridge: the caller waits again (still on hold)."""
        agent_id = call.agent.who
        log.info("call %s: agent %s gone before the bridge; back in the queue", self.call_id, agent_id)
        self.bridged = None
        self.helper_channels.discard(call.agent.channel_id)
        await self.client.hangup_if_present(call.agent.channel_id)
        await self.client.destroy_bridge(call.bridge_id)
        self.bridges.discard(call.bridge_id)
        self._rung(agent_id, "hung-up-at-answer", answered=True)
        self.seat_call.answered_at = None
        self.seat_call.disposition = "waiting"
        if agent_id in self.seat_call.agents:
            self.seat_call.agents.remove(agent_id)
        self.queue.requeue(self, agent_id)
        self.stage = "waiting"
        waited = (self.queue.now() - self.seat_call.queued_at).total_seconds()
        self.arm_timer(self.config.announce_every_s, "announce")
        self.arm_timer(max(0.0, self.config.rules.wait_limit_s - waited), "wait-limit")
        self._save()
        await self.queue.changed_now()

    async def _end_bridged_call(self, ended_by: str) -> None:
        call = self.bridged
        assert call is not None
        now = self.queue.now()
        self.seat_call.ended_by = ended_by
        self.helper_channels.discard(call.agent.channel_id)
        await call.close(now, ended_by)
        self.bridges.discard(call.bridge_id)
        self.seat_call.legs = [leg.as_json() for leg in call.legs] + list(call.data.get("expert_attempts", []))
        if not call.data.get("agent_released"):  # an agent who left a three-way call was released then
            self.queue.call_ended(self, call.agent.who, call.talk_s)

    async def _destroy_holding_bridge(self) -> None:
        if self.holding_bridge is not None:
            bridge, self.holding_bridge = self.holding_bridge, None
            await self.client.destroy_bridge(bridge)
            self.bridges.discard(bridge)

    async def _announce(self) -> None:
        """您前面还有N位… (and nothing while a prompt still plays)."""
        position = self.queue.seat.position(self.call_id)
        if position is None or self.playback_id is not None:
            return
        p = self.config.prompts
        if position == 0:
            names = [p.wait]
        elif position <= p.numbers_up_to:
            names = [p.position_prefix, p.number.format(n=position), p.position_suffix]
        else:
            names = [p.position_many]
        expected = self.queue.expected_wait_s(self.call_id)
        if expected is not None:
            minutes = max(1, math.ceil(expected / 60))
            if minutes <= p.numbers_up_to:
                names += [p.expected_prefix, p.number.format(n=minutes), p.expected_suffix]
        await self._play(*names)

    async def _confirm_number(self) -> None:
        """您的回拨号码是 <digits>，确认请按1，重新输入请按2."""
        self.stage = "confirm"
        await self._stop_playback()
        await self._destroy_holding_bridge()
        p = self.config.prompts
        number = self.callback_number or "0"
        await self._play_media(
            [f"{self.config.media_prefix}{p.callback_number_is}", f"digits:{number}",
             f"{self.config.media_prefix}{p.callback_confirm}"]
        )

    async def _register_callback(self) -> None:
        self.stage = "registered"
        self.cancel_timer("confirm")
        await self._stop_playback()
        self.seat_call.disposition = "callback"
        await self.queue.request_callback(self, self.callback_number)
        self._save()
        await self._play(self.config.prompts.callback_registered)

    async def _to_overflow_destination(self) -> None:
        """Continue in the dialplan at the overflow destination (e.g. the general 12345 queue)."""
        self.stage = "leaving"
        self.seat_call.disposition = "overflowed"
        await self._stop_playback()
        await self._destroy_holding_bridge()
        self._save()
        await self.client.continue_in_dialplan(
            self.channel_id, self.config.overflow_context, self.config.overflow_extension, 1
        )

    async def _play(self, *names: str) -> None:
        await self._play_media([f"{self.config.media_prefix}{name}" for name in names])

    async def _play_media(self, media: list[str]) -> None:
        self._playbacks += 1
        self.playback_id = f"{self.channel_id}-seat{self._playbacks}"
        await self.client.play(self.channel_id, media, self.playback_id)

    async def _stop_playback(self) -> None:
        playback, self.playback_id = self.playback_id, None
        if playback is not None:
            await self.client.stop_playback(playback)

    def _rung(self, agent_id: str, outcome: str, answered: bool = False) -> None:
        was = "answered" if answered else "ringing"
        for entry in reversed(self.seat_call.rung):
            if entry["agent"] == agent_id and entry["outcome"] == was:
                entry["outcome"] = outcome
                return

    def _save(self) -> None:
        """Write the records in the background, in order, latest state winning (writes coalesce)."""
        self._dirty = True
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._write())
            self.queue.track(self._writer)

    async def _write(self) -> None:
        while self._dirty:
            self._dirty = False
            try:
                if self.record is not None and self.queue.records is not None:
                    await self.queue.records.save(self.record)
                await self.queue.store.save_call(self.seat_call)
            except Exception:
                log.exception("call %s: seat record not saved", self.call_id)

    async def _save_now(self) -> None:
        """Wait until the records as they are now are written."""
        self._save()
        if self._writer is not None:
            await asyncio.shield(self._writer)


class AgentLegSession(OriginatedLeg):
    """A leg we originate to an agent's endpoint; its events go on to the caller's session."""

    def __init__(self, caller: QueuedCallerSession, channel_id: str, agent_id: str) -> None:
        super().__init__(channel_id, ["agent"], caller.clock, caller.client)
        self.caller = caller
        self.agent_id = agent_id
        self.left = False

    async def resume(self, channel: Event | None) -> None:
        """After a reconnect: did the leg answer, or end, while we could not hear its events?
        (A ringing leg is not in the app yet, so `channel` is None for it: ask Asterisk.)"""
        try:
            current = await self.caller.client.get_channel(self.channel_id)
        except NotFound:
            current = None
        if current is None:
            if self.answered:
                await self.on_StasisEnd({"type": "StasisEnd"})
            else:
                await self.on_ChannelDestroyed({"type": "ChannelDestroyed", "cause": 0})
        elif not self.answered and current.get("state") == "Up":
            await self.on_StasisStart({"type": "StasisStart"})

    async def on_StasisStart(self, event: Event) -> None:
        self.answered = True
        if self.caller.finished:  # the caller is gone: nobody to talk to
            await self.caller.client.hangup_if_present(self.channel_id)
            return
        self.caller.post({"type": "SeatAgentAnswered", "channel_id": self.channel_id})

    async def on_StasisEnd(self, event: Event) -> None:
        if not self.left:
            self.left = True
            self.caller.post({"type": "SeatAgentLeft", "channel_id": self.channel_id})
        self.finish()

    async def on_ChannelDestroyed(self, event: Event) -> None:
        if not self.answered:
            self.caller.post({"type": "SeatRingFailed", "channel_id": self.channel_id, "why": self.ring_failure(event)})
        elif not self.left:
            self.left = True
            self.caller.post({"type": "SeatAgentLeft", "channel_id": self.channel_id})
        self.finish()
