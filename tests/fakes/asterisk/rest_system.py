"""REST operations on applications, Asterisk itself, endpoints, sounds and device states."""

from __future__ import annotations

import platform
from typing import TYPE_CHECKING, Any

from .model import AriError, ari_timestamp
from .records import Application
from .rest import Reply, nothing, op

if TYPE_CHECKING:
    from .fake import FakeAsterisk


# --------------------------------------------------------------------------- applications
def _app_json(fake: FakeAsterisk, app: Application) -> dict[str, Any]:
    channel_ids = sorted(
        {c.id for c in fake.channels.values() if c.alive and app.name in c.subscribed} | app.channel_ids
    )
    bridge_ids = sorted({b.id for b in fake.bridges.values() if app.name in b.apps} | app.bridge_ids)
    return {
        "name": app.name,
        "channel_ids": channel_ids,
        "bridge_ids": bridge_ids,
        "endpoint_ids": sorted(app.endpoint_ids),
        "device_names": sorted(app.device_names),
        "events_allowed": [],
        "events_disallowed": [],
    }


def _app(fake: FakeAsterisk, name: str) -> Application:
    app = fake.apps.get(name)
    if app is None:
        raise AriError(404, "Application does not exist.")
    return app


@op("applications.list")
async def applications_list(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    return Reply(200, [_app_json(fake, a) for a in fake.apps.values()])


@op("applications.get")
async def applications_get(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    return Reply(200, _app_json(fake, _app(fake, path["applicationName"])))


def _event_sources(fake: FakeAsterisk, app: Application, sources: list[str], add: bool) -> None:
    for source in sources:
        scheme, _, ident = source.partition(":")
        if scheme == "channel":
            if ident not in fake.channels:
                raise AriError(422, "Event source does not exist.")
            channel = fake.channels[ident]
            (channel.subscribed.add if add else channel.subscribed.discard)(app.name)
        elif scheme == "bridge":
            if ident not in fake.bridges:
                raise AriError(422, "Event source does not exist.")
            bridge = fake.bridges[ident]
            (bridge.apps.add if add else bridge.apps.discard)(app.name)
        elif scheme == "endpoint":
            (app.endpoint_ids.add if add else app.endpoint_ids.discard)(ident)
        elif scheme == "deviceState":
            (app.device_names.add if add else app.device_names.discard)(ident)
        else:
            raise AriError(400, "Invalid event source URI scheme.")


@op("applications.subscribe")
async def applications_subscribe(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    app = _app(fake, path["applicationName"])
    _event_sources(fake, app, p["eventSource"], add=True)
    return Reply(200, _app_json(fake, app))


@op("applications.unsubscribe")
async def applications_unsubscribe(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    app = _app(fake, path["applicationName"])
    _event_sources(fake, app, p["eventSource"], add=False)
    return Reply(200, _app_json(fake, app))


@op("applications.filter")
async def applications_filter(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    return Reply(200, _app_json(fake, _app(fake, path["applicationName"])))


# --------------------------------------------------------------------------- asterisk
@op("asterisk.getInfo")
async def asterisk_info(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    info = {
        "build": {
            "os": "Linux",
            "kernel": platform.release(),
            "options": "",
            "machine": platform.machine(),
            "date": "2026-11-30 00:00:00 UTC",
            "user": "fake",
        },
        "system": {"version": "22.10.1", "entity_id": fake.asterisk_id},
        "config": {
            "name": "",
            "default_language": "en",
            "setid": {"user": "", "group": ""},
        },
        "status": {"startup_time": fake.started_at, "last_reload_time": fake.started_at},
    }
    only = p.get("only")
    if only:
        info = {k: v for k, v in info.items() if k in only}
    fake.validator.validate("AsteriskInfo", info, "AsteriskInfo")
    return Reply(200, info)


@op("asterisk.ping")
async def asterisk_ping(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    return Reply(200, {"asterisk_id": fake.asterisk_id, "ping": "pong", "timestamp": ari_timestamp()})


@op("asterisk.getGlobalVar")
async def asterisk_get_global(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    return Reply(200, {"value": fake.global_vars.get(str(p["variable"]), "")})


@op("asterisk.setGlobalVar")
async def asterisk_set_global(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    fake.global_vars[str(p["variable"])] = str(p.get("value", ""))
    return nothing()


# --------------------------------------------------------------------------- endpoints, sounds, device states
def _endpoint_json(fake: FakeAsterisk, resource: str) -> dict[str, Any]:
    tech, name = resource.split("/", 1)
    return {
        "technology": tech,
        "resource": name,
        "state": "offline" if fake.endpoints[resource].unreachable else "online",
        "channel_ids": [c.id for c in fake.channels.values() if c.endpoint == resource],
    }


@op("endpoints.list")
async def endpoints_list(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    return Reply(200, [_endpoint_json(fake, r) for r in fake.endpoints])


@op("endpoints.listByTech")
async def endpoints_list_by_tech(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    found = [_endpoint_json(fake, r) for r in fake.endpoints if r.split("/", 1)[0] == path["tech"]]
    if not found:
        raise AriError(404, "No Endpoints found - invalid tech")
    return Reply(200, found)


@op("endpoints.get")
async def endpoints_get(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    resource = f"{path['tech']}/{path['resource']}"
    if resource not in fake.endpoints:
        raise AriError(404, "Endpoint not found")
    return Reply(200, _endpoint_json(fake, resource))


def _sound_json(sound_id: str, formats: list[str]) -> dict[str, Any]:
    return {"id": sound_id, "formats": [{"language": "en", "format": f} for f in formats]}


@op("sounds.list")
async def sounds_list(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    return Reply(200, [_sound_json(k, v) for k, v in fake.known_sounds().items()])


@op("sounds.get")
async def sounds_get(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    formats = fake.known_sounds().get(path["soundId"])
    if formats is None:
        raise AriError(404, "Sound not found")
    return Reply(200, _sound_json(path["soundId"], formats))


@op("deviceStates.list")
async def device_states_list(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    return Reply(200, [{"name": n, "state": s} for n, s in fake.device_states.items()])


@op("deviceStates.get")
async def device_states_get(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    name = path["deviceName"]
    return Reply(200, {"name": name, "state": fake.device_states.get(name, "UNKNOWN")})


@op("deviceStates.update")
async def device_states_update(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    name = path["deviceName"]
    if not name.startswith("Stasis:"):
        raise AriError(409, "Uncontrolled device specified")
    fake.device_states[name] = str(p["deviceState"])
    for app in fake.apps.values():
        if name in app.device_names:
            fake.emit("DeviceStateChanged", app.name, device_state={"name": name, "state": p["deviceState"]})
    return nothing()


@op("deviceStates.delete")
async def device_states_delete(fake: FakeAsterisk, path: dict[str, str], p: dict[str, Any]) -> Reply:
    name = path["deviceName"]
    if not name.startswith("Stasis:"):
        raise AriError(409, "Uncontrolled device specified")
    if fake.device_states.pop(name, None) is None:
        raise AriError(404, "Device name is missing")
    return nothing()
