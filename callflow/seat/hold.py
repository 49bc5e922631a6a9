"""Holding the caller (保持): the caller leaves the call's mixing bridge and hears music on hold on their
own channel, so the agent (and an expert) can talk without being heard; resuming stops the music and
puts the caller back in the bridge.

ARI's `POST /channels/{id}/hold` only indicates hold to the caller's phone: on Asterisk 22 the caller
then hears music, but their voice still reaches the bridge (seen on a real Asterisk), so the agent
would go on hearing them. The agent console's hold and the expert consultation both use this instead.
"""

from __future__ import annotations

from callflow.ari.client import AriClient
from callflow.seat.bridged import BridgedCall


async def hold_caller(client: AriClient, call: BridgedCall, moh_class: str) -> None:
    await client.request("POST", f"/bridges/{call.bridge_id}/removeChannel", {"channel": call.caller.channel_id})
    await client.request("POST", f"/channels/{call.caller.channel_id}/moh", {"mohClass": moh_class})


async def resume_caller(client: AriClient, call: BridgedCall) -> None:
    await client.request("DELETE", f"/channels/{call.caller.channel_id}/moh")
    await client.request("POST", f"/bridges/{call.bridge_id}/addChannel", {"channel": call.caller.channel_id})
