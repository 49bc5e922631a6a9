"""Channels the application creates: originate (PJSIP endpoints, Local ;1/;2 pairs), snoop, externalMedia."""

from __future__ import annotations

import re
import secrets
import uuid
from typing import TYPE_CHECKING, Any

from .dialplan import CAUSES, BusyExten
from .media import RtpStream
from .model import AriError, Channel, Dialplan, ari_timestamp
from .parties import Call

if TYPE_CHECKING:
    from .fake import FakeAsterisk


def parse_caller_id(text: str | None) -> tuple[str, str]:
    """`Hotline <12345>` → ("Hotline", "12345"); `12345` → ("", "12345")."""
    if not text:
        return ("", "")
    m = re.fullmatch(r'\s*"?([^"<]*?)"?\s*<([^>]*)>\s*', text)
    if m:
        return (m.group(1).strip(), m.group(2).strip())
    return ("", text.strip())


def originate(
    fake: FakeAsterisk, params: dict[str, Any], channel_id: str | None, create_only: bool = False
) -> Channel:
    """POST /channels, /channels/{id}, /channels/create: validate, create, and start dialling."""
    endpoint = params.get("endpoint")
    if not endpoint:
        raise AriError(400, "Endpoint must be specified")
    if "/" not in endpoint:
        raise AriError(400, "Invalid endpoint specified")
    tech, resource = endpoint.split("/", 1)
    app = params.get("app")
    app_args = [a for a in str(params.get("appArgs", "")).split(",") if a] if params.get("appArgs") else []
    if not create_only and not app and not params.get("extension"):
        raise AriError(400, "Application or extension must be specified")
    variables: dict[str, str] = dict(params.get("variables") or {})
    timeout = int(params.get("timeout", 30))
    caller = parse_caller_id(params.get("callerId"))
    if tech == "Local":
        return _originate_local(
            fake, resource, app, app_args, variables, channel_id, params.get("otherChannelId")
        )
    # `PJSIP/13800138000@trunk` dials a number through the endpoint `trunk`.
    key = f"PJSIP/{resource.split('@', 1)[1]}" if "@" in resource else endpoint
    if tech != "PJSIP" or key not in fake.endpoints:
        raise AriError(500, "Allocation failed", key="error")
    ep = fake.endpoints[key]
    cid = fake.new_id(channel_id)
    seq = fake.ids.sequence("PJSIP")
    channel = Channel(
        id=cid,
        name=f"PJSIP/{ep.name}-{seq:08x}",
        state="Down",
        kind="originated",
        caller=caller,
        connected=caller,
        dialplan=Dialplan(ep.context, "s", 1, "AppDial2", "(Outgoing Line)"),
        creationtime=ari_timestamp(),
        protocol_id=str(uuid.uuid4()),
        endpoint=key,
        dialstring=resource,
    )
    channel.variables.update(variables)
    fake._add_channel(channel)
    if app:
        channel.subscribed.add(app)
    if create_only:
        assert app is not None
        fake.enter_stasis(channel, app, app_args, varset=False)
        channel.variables["_dial_timeout"] = str(timeout)
        return channel
    channel.tasks.append(
        fake.spawn(_dial_endpoint(fake, channel, app, app_args, timeout, params), f"dial {channel.name}")
    )
    return channel


def dial_created(fake: FakeAsterisk, channel: Channel, timeout: int | None) -> None:
    """POST /channels/{id}/dial for a channel made with /channels/create."""
    if channel.kind != "originated" or channel.state != "Down":
        raise AriError(409, "Channel cannot be dialed.")
    t = timeout if timeout is not None else int(channel.variables.pop("_dial_timeout", "30"))
    channel.tasks.append(fake.spawn(_dial_endpoint(fake, channel, None, [], t, {}), f"dial {channel.name}"))


async def _dial_endpoint(
    fake: FakeAsterisk,
    channel: Channel,
    app: str | None,
    app_args: list[str],
    ring_timeout: int,
    params: dict[str, Any],
) -> None:
    ep = fake.endpoints[channel.endpoint]
    resource = channel.dialstring or ep.name

    def dial(status: str) -> None:
        fake.emit(
            "Dial",
            channel.subscribed,
            dialstatus=status,
            forward="",
            dialstring=resource,
            peer=channel.to_json(),
        )

    dial("")
    gone = lambda: not channel.alive  # noqa: E731
    if ep.unreachable:
        await fake.wait_call_flow(0.5, until=gone, channel=channel)
        if channel.alive:
            dial("CHANUNAVAIL")
            fake._destroy(channel, 20)
        return
    if ep.busy:
        await fake.wait_call_flow(0.3, until=gone, channel=channel)
        if channel.alive:
            dial("BUSY")
            fake.channel_event("ChannelDestroyed", channel, cause=17, cause_txt="User busy", tech_cause=486)
            fake._forget_channel(channel)
        return
    if ep.silent:
        # Nobody answers the INVITE (errors trace, PJSIP/agent2): only ChannelDestroyed at the timeout.
        await fake.wait_call_flow(float(ring_timeout), until=gone, channel=channel)
        if channel.alive:
            fake.channel_event(
                "ChannelDestroyed", channel, cause=19, cause_txt="User alerting, no answer", tech_cause=480
            )
            fake._forget_channel(channel)
        return
    channel.state = "Ringing"
    fake.channel_event("ChannelStateChange", channel)
    dial("RINGING")
    answer_after = ep.answer_after
    if answer_after is None or answer_after >= ring_timeout:
        # Asterisk reports no final Dial status for an originate that times out (errors trace).
        await fake.wait_call_flow(float(ring_timeout), until=gone, channel=channel)
        if channel.alive:
            fake.channel_event("ChannelDestroyed", channel, cause=19, cause_txt="User alerting, no answer")
            fake._forget_channel(channel)
        return
    await fake.wait_call_flow(answer_after, until=gone, channel=channel)
    if not channel.alive:
        return
    fake.set_state(channel, "Up")
    dial("ANSWER")
    if app:
        fake.enter_stasis(channel, app, app_args)
    elif params.get("extension"):
        channel.left_to = Dialplan(
            str(params.get("context") or ep.context), str(params["extension"]), int(params.get("priority", 1))
        )
    call = Call(fake, channel, list(ep.script))
    ep.calls.append(call)
    fake.calls.append(call)
    call.start()


def _originate_local(
    fake: FakeAsterisk,
    resource: str,
    app: str | None,
    app_args: list[str],
    variables: dict[str, str],
    channel_id: str | None,
    other_id: str | None,
) -> Channel:
    target = resource.split("/", 1)[0]
    if "@" not in target:
        raise AriError(500, "Allocation failed", key="error")
    exten, context = target.split("@", 1)
    id1 = fake.new_id(channel_id)
    id2 = fake.new_id(other_id) if other_id else fake.ids.unique()
    seq = fake.ids.sequence("Local")
    now = ari_timestamp()
    base = f"Local/{exten}@{context}-{seq:08x}"
    one = Channel(
        id=id1,
        name=base + ";1",
        state="Down",
        kind="local1",
        caller=("", ""),
        connected=("", ""),
        dialplan=Dialplan(context, exten, 1, "AppDial2", "(Outgoing Line)"),
        creationtime=now,
    )
    two = Channel(
        id=id2,
        name=base + ";2",
        state="Ring",
        kind="local2",
        caller=("", ""),
        connected=("", ""),
        dialplan=Dialplan(context, exten, 1),
        creationtime=now,
    )
    one.peer, two.peer = two, one
    for c in (one, two):
        fake._add_channel(c)
        if app:
            c.subscribed.add(app)
    one.tasks.append(
        fake.spawn(_run_local(fake, one, two, exten, context, app, app_args, variables), f"local {base}")
    )
    return one


async def _run_local(
    fake: FakeAsterisk,
    one: Channel,
    two: Channel,
    exten: str,
    context: str,
    app: str | None,
    app_args: list[str],
    variables: dict[str, str],
) -> None:
    from .dialplan import DialplanExten, StasisExten

    dialstring = f"{exten}@{context}"

    def dial(status: str) -> None:
        fake.emit(
            "Dial", one.subscribed, dialstatus=status, forward="", dialstring=dialstring, peer=one.to_json()
        )

    for name, value in variables.items():
        two.variables[name] = value
        fake.varset(two, name, value)
    step = fake.dialplan.get((context, exten))
    if step is not None:
        dial("")
    if step is None:
        two.dialplan = Dialplan(context, exten, 1)
        for c in (two, one):
            fake.channel_event("ChannelDestroyed", c, cause=0, cause_txt="Unknown")
            fake._forget_channel(c)
        return
    if isinstance(step, BusyExten):
        _refuse_local(fake, one, two, step, dial)
        return
    if isinstance(step, StasisExten):
        two.dialplan = Dialplan(context, exten, 1, "Stasis", ",".join([step.app, *step.args]))
        fake.channel_event(
            "ChannelDialplan", two, dialplan_app="Stasis", dialplan_app_data=two.dialplan.app_data
        )
        fake.enter_stasis(two, step.app, list(step.args))
        # ;1 stays Down until the application answers ;2.
        await fake.wait_until(lambda: one.state == "Up" or not one.alive, channel=one)
    else:
        assert isinstance(step, DialplanExten)
        two.dialplan = Dialplan(context, exten, 1, "Answer", "")
        fake.channel_event("ChannelDialplan", two, dialplan_app="Answer", dialplan_app_data="")
        fake.set_state(two, "Up")
        fake.set_state(one, "Up")
    if not one.alive:
        return
    dial("ANSWER")
    if app:
        fake.enter_stasis(one, app, app_args)
    if isinstance(step, DialplanExten):
        # ;2 reaches its next priority a moment later (errors trace: after ;1's first playback started).
        await fake.wait_call_flow(0.5, until=lambda: not two.alive, channel=two)
        if not two.alive:
            return
        two.dialplan = Dialplan(context, exten, 2, step.app_name, step.app_data)
        fake.channel_event(
            "ChannelDialplan", two, dialplan_app=step.app_name, dialplan_app_data=step.app_data
        )


def _refuse_local(fake: FakeAsterisk, one: Channel, two: Channel, step: BusyExten, dial: Any) -> None:
    """;2 runs `Busy()`/`Congestion()`: the order and causes real Asterisk 22 reports (cause 0 on ;1)."""
    two.dialplan = Dialplan(two.dialplan.context, two.dialplan.exten, 1, step.app_name, "")
    fake.channel_event("ChannelDialplan", two, dialplan_app=step.app_name, dialplan_app_data="")
    fake.set_state(two, "Busy")
    dial(step.dialstatus)
    fake.channel_event("ChannelHangupRequest", two, cause=0)
    fake.channel_event("ChannelDestroyed", one, cause=0, cause_txt="Unknown")
    fake._forget_channel(one)
    fake.channel_event("ChannelHangupRequest", two, cause=16)
    fake.channel_event("ChannelDestroyed", two, cause=step.cause, cause_txt=CAUSES.get(step.cause, "Unknown"))
    fake._forget_channel(two)


def send_dtmf(
    fake: FakeAsterisk, channel: Channel, digits: str, before: int, between: int, duration: int, after: int
) -> None:
    """POST /channels/{id}/dtmf: queued on the channel; a Local half's digits arrive on the other half."""
    assert channel.queue is not None

    async def job() -> None:
        await fake.wait_call_flow(before / 1000 + 0.1)
        for i, digit in enumerate(digits):
            if digit in ",":
                await fake.wait_call_flow(0.5)
                continue
            await fake.wait_call_flow(duration / 1000)
            if not channel.alive:
                return
            peer = channel.peer if channel.kind in ("local1", "local2") else None
            if peer is not None:
                if peer.alive:
                    fake.channel_event("ChannelDtmfReceived", peer, digit=digit, duration_ms=duration)
            else:
                channel.dtmf_heard.append(digit)
                fake.poke(channel)
            if i + 1 < len(digits):
                await fake.wait_call_flow(between / 1000)
        await fake.wait_call_flow(after / 1000)

    channel.queue.submit(job)


def snoop(fake: FakeAsterisk, target: Channel, params: dict[str, Any], snoop_id: str | None) -> Channel:
    spy = params.get("spy", "none")
    whisper = params.get("whisper", "none")
    if spy == "none" and whisper == "none":
        raise AriError(400, "Direction must be specified for at least spy or whisper")
    app = str(params["app"])
    args = [a for a in str(params.get("appArgs", "")).split(",") if a]
    seq = fake.ids.sequence("Snoop")
    channel = Channel(
        id=fake.new_id(snoop_id),
        name=f"Snoop/{target.id}-{seq:08x}",
        state="Up",
        kind="snoop",
        caller=("", ""),
        connected=("", ""),
        dialplan=Dialplan("default", "s", 1),
        creationtime=ari_timestamp(),
        snoop_of=target,
        spy=spy,
        whisper=whisper,
    )
    fake._add_channel(channel)
    fake.spawn(_enter_later(fake, channel, app, args, varset=False), f"snoop {channel.name}")
    return channel


async def _enter_later(fake: FakeAsterisk, channel: Channel, app: str, args: list[str], varset: bool) -> None:
    """StasisStart right after the 200 response, as in the snoop trace."""
    if channel.alive:
        fake.enter_stasis(channel, app, args, varset=varset)


def external_media(fake: FakeAsterisk, params: dict[str, Any]) -> Channel:
    host = params.get("external_host")
    if not host:
        raise AriError(400, "external_host is required for all but websocket server connections")
    encapsulation = params.get("encapsulation", "rtp")
    transport = params.get("transport", "udp")
    if encapsulation != "rtp" or transport != "udp":
        raise AriError(400, f"The fake Asterisk only speaks rtp over udp, not {encapsulation}/{transport}")
    fmt = params.get("format", "")
    if fmt not in ("slin16", "ulaw"):
        raise AriError(422, f"Unsupported format '{fmt}' (the fake knows slin16 and ulaw)")
    address, _, port = str(host).rpartition(":")
    if not address or not port.isdigit():
        raise AriError(400, "external_host must be host:port")
    app = str(params["app"])
    channel = Channel(
        id=fake.new_id(params.get("channelId")),
        name=f"UnicastRTP/{host}-0x{secrets.token_hex(6)}",
        state="Down",
        kind="external",
        caller=("", ""),
        connected=("", ""),
        dialplan=Dialplan("default", "s", 1, "AppDial2", "(Outgoing Line)"),
        creationtime=ari_timestamp(),
    )
    stream = RtpStream(fake, channel, address, int(port), fmt)
    channel.channelvars = {
        "UNICASTRTP_LOCAL_PORT": str(stream.local_port),
        "UNICASTRTP_LOCAL_ADDRESS": "127.0.0.1",
    }
    channel.variables.update(channel.channelvars)
    channel.variables.update(params.get("variables") or {})
    channel.subscribed.add(app)
    fake._add_channel(channel)
    fake.rtp_streams[channel.id] = stream
    channel.tasks.append(
        fake.spawn(_answer_external(fake, channel, app, f"{host}/c({fmt})", stream), channel.name)
    )
    return channel


async def _answer_external(
    fake: FakeAsterisk, channel: Channel, app: str, dialstring: str, stream: RtpStream
) -> None:
    def dial(status: str) -> None:
        fake.emit(
            "Dial",
            channel.subscribed,
            dialstatus=status,
            forward="",
            dialstring=dialstring,
            peer=channel.to_json(),
        )

    dial("")
    fake.set_state(channel, "Up")
    dial("ANSWER")
    fake.enter_stasis(channel, app, [])
    await stream.run()
