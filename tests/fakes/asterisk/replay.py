"""Replays a recorded ARI trace (`../shared/asterisk-ari-traces/*.jsonl`) against the fake Asterisk.

The requests of the trace are sent in order (ids mapped to the fake's), each after the events the
trace shows before it have arrived and at the trace's time scaled by the time factor. Responses are
compared field by field, and so is the sequence of events, after normalising what legitimately differs
(ids, timestamps, name sequence numbers, protocol ids) and leaving out events the fake does not model
(`RTPAUDIOQOS*`/`BRIDGEPEER*` varsets, `ChannelConnectedLine`). It also checks the orderings of
HTTP responses and events that the traces' README states (answer/addChannel events first, the 204 of
DELETE /channels first), using the fake's own record of what it sent before each response.
"""

from __future__ import annotations

import asyncio
import copy
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .client import RawAri
from .fake import FakeAsterisk

IGNORED_VARSETS = ("RTPAUDIOQOS", "BRIDGEPEER", "BRIDGEPVTCALLID")
VOLATILE = {"timestamp", "creationtime", "protocol_id", "startup_time", "last_reload_time"}
ID_KEYS = {"id"}


def load_trace(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def modelled(event: dict[str, Any]) -> bool:
    """Events the fake emits (the rest are left out of the comparison)."""
    if event["type"] == "ChannelConnectedLine":
        return False
    if event["type"] == "ChannelVarset" and str(event.get("variable", "")).startswith(IGNORED_VARSETS):
        return False
    return True


@dataclass
class Lenient:
    """A request real Asterisk accepted although it breaks the descriptions (the fake refuses it with
    400); the replay checks the refusal, then sends it again without `drop` and compares that."""

    drop: tuple[str, ...]


@dataclass
class Scenario:
    trace: str
    on_connect: Callable[[FakeAsterisk], Awaitable[None]] | None = None
    lenient: dict[int, Lenient] = field(default_factory=dict)  # by index among the REST requests
    rewrite: Callable[[dict[str, str]], dict[str, str]] | None = None
    close_ws_at: float | None = None


@dataclass
class Outcome:
    compared_responses: int = 0
    compared_events: int = 0
    mismatches: list[str] = field(default_factory=list)
    trace_events: list[dict[str, Any]] = field(default_factory=list)
    our_events: list[dict[str, Any]] = field(default_factory=list)


class IdMap:
    """Trace ids ↔ the fake's ids, learnt from paired responses and events."""

    def __init__(self) -> None:
        self.to_ours: dict[str, str] = {}
        self.to_trace: dict[str, str] = {}

    def pair(self, trace: Any, ours: Any, key: str = "") -> None:
        if isinstance(trace, dict) and isinstance(ours, dict):
            for k, v in trace.items():
                if k in ours:
                    self.pair(v, ours[k], k)
        elif (
            isinstance(trace, list)
            and isinstance(ours, list)
            and key in ("channels", "channel_ids", "bridge_ids")
        ):
            for a, b in zip(trace, ours, strict=False):
                self._add(a, b)
        elif key in ID_KEYS and isinstance(trace, str) and isinstance(ours, str):
            self._add(trace, ours)

    def _add(self, trace: Any, ours: Any) -> None:
        if isinstance(trace, str) and isinstance(ours, str) and trace not in self.to_ours:
            self.to_ours[trace] = ours
            self.to_trace[ours] = trace

    def ours(self, text: str) -> str:
        for trace_id in sorted(self.to_ours, key=len, reverse=True):
            text = text.replace(trace_id, self.to_ours[trace_id])
        return text

    def as_trace(self, value: Any) -> Any:
        """Our value with our ids written as the trace's."""
        if isinstance(value, dict):
            return {k: self.as_trace(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.as_trace(v) for v in value]
        if isinstance(value, str):
            for ours in sorted(self.to_trace, key=len, reverse=True):
                value = value.replace(ours, self.to_trace[ours])
        return value


def normalise(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: ("*" if k in VOLATILE else normalise(v)) for k, v in value.items() if k != "channelvars"}
    if isinstance(value, list):
        items = [normalise(v) for v in value]
        if items and all(isinstance(i, dict) and "id" in i for i in items):
            items.sort(key=lambda i: str(i["id"]))
        return items
    if isinstance(value, str):
        value = re.sub(r"-[0-9a-f]{8}(;[12])?$", r"-N\1", value)
        value = re.sub(r"^UnicastRTP/[^/]+-0x[0-9a-f]+$", "UnicastRTP/HOST-0xN", value)
        value = re.sub(r"^Snoop/(.+)-N$", r"Snoop/\1-N", value)
        value = re.sub(r"/c\(", "/c(", value)
    return value


class Replay:
    def __init__(self, fake: FakeAsterisk, scenario: Scenario, trace: list[dict[str, Any]]) -> None:
        self.fake = fake
        self.scenario = scenario
        self.trace = trace
        self.ids = IdMap()
        self.outcome = Outcome()
        self.ari = RawAri(fake.url)

    async def run(self) -> Outcome:
        try:
            await self._run()
        finally:
            await self.ari.close()
        return self.outcome

    def _ours(self) -> list[dict[str, Any]]:
        return [e for e in self.ari.events if modelled(e)]

    async def _catch_up(self, count: int, limit: float = 5.0) -> None:
        """Wait until we have received `count` modelled events; pair them with the trace's."""
        await self.ari.wait(lambda: len(self._ours()) >= count, limit)
        ours = self._ours()
        for trace_event, our_event in zip(self.outcome.trace_events, ours, strict=False):
            self.ids.pair(trace_event, our_event)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        factor = self.fake.time_factor
        t0 = loop.time()
        connected = False
        closed_for_gap = False
        pending: tuple[dict[str, Any], int, Any] | None = None
        pending_events: list[str] = []  # modelled trace events between a request and its response
        ours_before: list[str] = []  # modelled events the fake sent before answering that request
        rest_index = -1
        for line in self.trace:
            at = t0 + line["t"] * factor
            if (
                self.scenario.close_ws_at is not None
                and not closed_for_gap
                and connected
                and line["t"] >= self.scenario.close_ws_at
            ):
                await asyncio.sleep(max(0.0, t0 + self.scenario.close_ws_at * factor - loop.time()))
                await self.ari.disconnect()
                closed_for_gap = True
            if line["dir"] == "event":
                if connected and modelled(line["event"]):
                    self.outcome.trace_events.append(line["event"])
                    if pending is not None:
                        pending_events.append(line["event"]["type"])
                continue
            if line["dir"] == "request":
                if line["path"] == "/ari/events":
                    await asyncio.sleep(max(0.0, at - loop.time()))
                    await self.ari.connect()
                    if not connected and self.scenario.on_connect is not None:
                        await self.fake.wait_for_app("hotline")
                        await self.scenario.on_connect(self.fake)
                    connected = True
                    pending = (line, 101, None)
                    continue
                rest_index += 1
                await self._catch_up(len(self.outcome.trace_events))
                await asyncio.sleep(max(0.0, at - loop.time()))
                query = {k: self.ids.ours(v) for k, v in (line["query"] or {}).items()}
                if self.scenario.rewrite is not None:
                    rewritten = self.scenario.rewrite(query)
                    for key, value in rewritten.items():
                        if query.get(key) != value:
                            self.ids.pair({"id": query[key]}, {"id": value})
                    query = rewritten
                path = self.ids.ours(line["path"][len("/ari") :])
                if "api_key" in query:
                    status, body = await self._unauthenticated(path, query)
                    pending = (line, status, body)
                    continue
                lenient = self.scenario.lenient.get(rest_index)
                if lenient is not None:
                    with self.fake.expect_violations():
                        status, body = await self.ari.request(line["method"], path, query, line["body"])
                    if status != 400:
                        self.outcome.mismatches.append(
                            f"{line['method']} {path}: expected the fake to refuse, got {status}"
                        )
                    query = {k: v for k, v in query.items() if k not in lenient.drop}
                    status, body = await self.ari.request(line["method"], path, query, line["body"])
                elif _breaks_descriptions(self.fake, line["method"], path, query, line["body"]):
                    with self.fake.expect_violations():
                        status, body = await self.ari.request(line["method"], path, query, line["body"])
                else:
                    status, body = await self.ari.request(line["method"], path, query, line["body"])
                record = self.fake.requests[-1]
                ours_before = [
                    e["type"]
                    for e in self.fake.events_sent[record.events_before : record.events_at_response]
                    if modelled(e)
                ]
                pending = (line, status, body)
                pending_events = []
                continue
            assert pending is not None, "a response line without a request"
            request, status, body = pending
            pending = None
            if request["path"] == "/ari/events":
                if line["status"] != 101:
                    self.outcome.mismatches.append(f"events socket: trace {line['status']}")
                continue
            self.outcome.compared_responses += 1
            where = f"{request['method']} {request['path']} {request['query']}"
            self._check_response_order(request, where, ours_before, pending_events)
            if status != line["status"]:
                self.outcome.mismatches.append(f"{where}: status {status}, trace {line['status']} ({body})")
                continue
            self.ids.pair(line["body"], body)
            if normalise(line["body"]) != normalise(self.ids.as_trace(body)):
                self.outcome.mismatches.append(
                    f"{where}: body\n   ours  {normalise(self.ids.as_trace(body))}\n   trace {normalise(line['body'])}"
                )
        await self._catch_up(len(self.outcome.trace_events))
        await asyncio.sleep(0.05)
        await self._catch_up(len(self.outcome.trace_events))
        self._compare_events()

    def _check_response_order(
        self, request: dict[str, Any], where: str, ours: list[str], trace: list[str]
    ) -> None:
        """The orderings the README of the traces states: the events of `answer` and `addChannel` come
        before their 204, and `DELETE /channels/{id}` answers before any of its events. (Other lines
        of a trace interleave HTTP and WebSocket as the recording client happened to read them.)"""
        path = request["path"]
        if request["method"] == "POST" and (path.endswith("/answer") or path.endswith("/addChannel")):
            missing = [t for t in set(trace) if ours.count(t) < trace.count(t)]
            if missing:
                self.outcome.mismatches.append(
                    f"{where}: {missing} should come before the response; ours {ours}"
                )
        elif request["method"] == "DELETE" and re.fullmatch(r"/ari/channels/[^/]+", path) and ours:
            self.outcome.mismatches.append(f"{where}: the 204 should come before {ours}")

    async def _unauthenticated(self, path: str, query: dict[str, str]) -> tuple[int, Any]:
        import aiohttp

        async with aiohttp.ClientSession() as session:
            async with session.get(f"{self.fake.ari_url}{path}", params=query) as resp:
                return resp.status, await resp.json()

    def _compare_events(self) -> None:
        self.outcome.our_events = self._ours()
        trace, trace_dialplan = _split_dialplan(_settle_races(self.outcome.trace_events))
        ours, our_dialplan = _split_dialplan(_settle_races(self._ours()))
        self._compare_sequences(trace, ours)
        self._compare_sequences(trace_dialplan, our_dialplan)

    def _compare_sequences(self, trace: list[dict[str, Any]], ours: list[dict[str, Any]]) -> None:
        if [e["type"] for e in trace] != [e["type"] for e in ours]:
            self.outcome.mismatches.append(
                "event types differ:\n   ours  "
                + ", ".join(_label(e) for e in ours)
                + "\n   trace "
                + ", ".join(_label(e) for e in trace)
            )
            return
        for i, (t, o) in enumerate(zip(trace, ours, strict=True)):
            self.outcome.compared_events += 1
            want, got = normalise(t), normalise(self.ids.as_trace(o))
            for key in ("duration",):  # recording length is compared by the test, within a second
                if isinstance(want.get("recording"), dict):
                    want["recording"].pop(key, None)
                    got.get("recording", {}).pop(key, None)
            if want != got:
                self.outcome.mismatches.append(f"event {i} {t['type']}:\n   ours  {got}\n   trace {want}")


def _settle_races(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Asterisk reports a dialled channel's `Ringing` state and the `Dial RINGING` from two threads:
    both orders occur in the traces (queue-bridge-agent vs snoop-and-external-media). Put them in one order."""
    out = list(events)
    for i in range(len(out) - 1):
        a, b = out[i], out[i + 1]
        if (
            a["type"] == "Dial"
            and a.get("dialstatus") == "RINGING"
            and b["type"] == "ChannelStateChange"
            and b["channel"]["state"] == "Ringing"
            and a["peer"]["id"] == b["channel"]["id"]
        ):
            dial = copy.deepcopy(a)
            dial["peer"]["state"] = "Ringing"
            out[i], out[i + 1] = b, dial
    return out


def _split_dialplan(events: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """`ChannelDialplan` of a channel running dialplan applications (not Stasis) is concurrent with
    the application's commands; it is compared as its own sequence."""
    main = [e for e in events if not (e["type"] == "ChannelDialplan" and e["dialplan_app"] != "Stasis")]
    dialplan = [e for e in events if e["type"] == "ChannelDialplan" and e["dialplan_app"] != "Stasis"]
    return main, dialplan


def _label(event: dict[str, Any]) -> str:
    extra = event.get("variable") or event.get("dialstatus") or event.get("digit") or ""
    if event["type"] == "ChannelStateChange":
        extra = event["channel"]["state"]
    who = (event.get("channel") or event.get("peer") or {}).get("name", "")
    return f"{event['type']}({who}{' ' + str(extra) if extra else ''})"


def _breaks_descriptions(
    fake: FakeAsterisk, method: str, path: str, query: dict[str, str], body: Any
) -> bool:
    """The trace itself sends a request the descriptions don't allow (a missing required parameter…)."""
    from .spec import MethodNotAllowed, PathNotFound

    try:
        op, _ = fake.spec.resolve(method, path)
    except (PathNotFound, MethodNotAllowed):
        return True
    return bool(fake.spec.check(op, {k: [v] for k, v in query.items()}, body).problems)
