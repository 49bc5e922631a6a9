"""schemathesis against the served OpenAPI description (/api/v1/openapi.json).

The app runs on a real local port in a thread of its own (schemathesis calls it with blocking HTTP), on a
migrated SQLite copy with a supervisor's bearer token and a dispatched work order to find. Each operation
gets a bounded number of generated requests and three checks: no 5xx, only the status codes the spec
declares, and bodies that match the spec's schemas where it declares them.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from hotline.app import SESSIONS, create_app
from tests.integration.hostile.support import Clock, _order, hostile_settings
from ticketing.domain.roles import Actor, Role
from ticketing.services import Directory
from ticketing.web import NOW

EXAMPLES = 12  # per operation: ~45 operations stay well under a minute on two shared cores
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


@dataclass
class Served:
    url: str
    token: str
    ref: str


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, hostile_template: Path) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("schemathesis")
    shutil.copyfile(hostile_template, folder / "hotline.sqlite3")
    url = f"sqlite+aiosqlite:///{folder}/hotline.sqlite3"
    port = _free_port()
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    state: dict[str, Any] = {}

    async def start() -> None:
        clock = Clock()
        app = create_app(hostile_settings(url, folder), overrides={NOW: clock.now})
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        directory = Directory(app[SESSIONS])
        units = {u.code: u.id for u in await directory.units()}
        row, state["token"] = await directory.add_user("api.supervisor", "督查员", Role.SUPERVISOR, None)
        agent_row, _ = await directory.add_user("api.agent", "话务员", Role.AGENT, None)
        agent = Actor(id=agent_row.id, name=agent_row.name, role=Role.AGENT)
        state["ref"] = await _order(app, agent, units["scjgj"], "1764.101", "营业执照变更", "来电反映")
        state["runner"] = runner

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=run, name="schemathesis-app", daemon=True)
    thread.start()
    assert ready.wait(30), "the app did not start"
    yield Served(f"http://127.0.0.1:{port}", state["token"], state["ref"])
    asyncio.run_coroutine_threadsafe(state["runner"].cleanup(), loop).result(30)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


def test_every_described_operation_conforms_to_the_served_spec(served: Served) -> None:
    schema = schemathesis.openapi.from_url(f"{served.url}/api/v1/openapi.json")
    headers = {"Authorization": f"Bearer {served.token}"}
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = cast(Any, result).ok()  # Ok, or raises the schema error (a broken spec fails here)
        operations += 1

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def check(case: Any) -> None:
            if "ref" in (case.path_parameters or {}):
                case.path_parameters["ref"] = served.ref  # a real order, so transitions reach their rules
            case.call_and_validate(base_url=served.url, headers=headers, checks=CHECKS)

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:  # collect every operation's first failure, then report them together
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:1500]}")
    assert operations > 30
    assert not failures, "\n\n".join(failures)
