"""The whole service as an attacker meets it: a migrated SQLite database, one person per role with both an
API token and a console password, and one of each thing worth protecting (a work order of 县市场监督管理局
with a call and its recording, a knowledge entry of that unit, an expert).

`hostile` (per test): the running app (Twilio webhooks mounted: an auth token is set), a `Party` per role,
and the ids the matrix and the injection tests fill into paths.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient
from sqlalchemy import text

from console.auth.services import Accounts
from console.web import CLOCK, PASSWORDS
from hotline.app import ENGINE, create_app
from hotline.db import upgrade
from hotline.settings import Settings
from recordings.adapters.spool import SpoolFolder
from recordings.domain.model import RecordingKind
from recordings.web import RECORDINGS, RECORDINGS_NOW, RECORDINGS_SOURCE
from sms_feedback.adapters.memory_log import MemorySmsEventLog
from sms_feedback.web import SMS_EVENTS
from tests.integration.console.support import PASSWORD, cheap_passwords, csrf_of
from tests.integration.recordings.support import write_wav
from ticketing.domain import workorder as wo
from ticketing.domain.roles import Actor, Role
from ticketing.services import Directory
from ticketing.web import NOW, WORKORDERS

TZ = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 10, 9, 0, tzinfo=TZ)  # a Tuesday in office hours
TWILIO_TOKEN = "hostile-test-twilio-auth-token"
PUBLIC_URL = "http://hotline.example.gov.cn"  # http: the console cookie is Secure under https

# The roles of the matrix, in its column order. "other" is a handler of ANOTHER unit (县住房和城乡建设局).
ROLES: dict[str, tuple[Role, str | None] | None] = {
    "anonymous": None,
    "agent": (Role.AGENT, None),
    "handler": (Role.UNIT_HANDLER, "scjgj"),  # 县市场监督管理局 承办人
    "leader": (Role.UNIT_LEADER, "scjgj"),  # 县市场监督管理局 单位负责人
    "supervisor": (Role.SUPERVISOR, None),
    "admin": (Role.ADMIN, None),
    "other": (Role.UNIT_HANDLER, "zjj"),  # 县住房和城乡建设局 承办人
}
CALL_ID = "1764.101"  # the call the work order of 县市场监督管理局 came from
OTHER_CALL_ID = "1764.202"  # a call whose work order went to 县住房和城乡建设局


class Clock:
    def __init__(self) -> None:
        self.at = START

    def now(self) -> datetime:
        return self.at


@dataclass
class Party:
    """One person: their API token, and a browser-like client signed in to the console (or not)."""

    name: str
    token: str | None
    browser: TestClient

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}


@dataclass
class Hostile:
    client: TestClient
    clock: Clock
    parties: dict[str, Party]
    actors: dict[str, Actor]
    units: dict[str, int]
    ids: dict[str, str] = field(default_factory=dict)

    @property
    def app(self) -> Any:
        return self.client.app

    @property
    def sms_log(self) -> MemorySmsEventLog:
        log = self.app[SMS_EVENTS]
        assert isinstance(log, MemorySmsEventLog)
        return log

    async def api(self, who: str, method: str, path: str, **kwargs: Any) -> ClientResponse:
        party = self.parties[who]
        headers = {**party.auth(), **kwargs.pop("headers", {})}
        return await self.client.request(method, path, headers=headers, allow_redirects=False, **kwargs)

    async def page(self, who: str, method: str, path: str, **kwargs: Any) -> ClientResponse:
        """A console request with the party's session cookie (and a fresh CSRF token on POST)."""
        browser = self.parties[who].browser
        if method == "POST":
            data = dict(kwargs.pop("data", {}))
            data.setdefault("csrf_token", await self.csrf(who))
            kwargs["data"] = data
        return await browser.request(method, path, allow_redirects=False, **kwargs)

    async def csrf(self, who: str) -> str:
        resp = await self.parties[who].browser.get("/login" if who == "anonymous" else "/")
        html = await resp.text()
        found = re.search(r'name="csrf_token" value="([^"]*)"', html)
        if found is None:  # the home page of some roles redirects: take the login page's token
            resp = await self.parties[who].browser.get("/login")
            html = await resp.text()
        return csrf_of(html)

    async def count(self, table: str) -> int:
        async with self.app[ENGINE].connect() as conn:
            return int((await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())

    async def counts(self, *tables: str) -> dict[str, int]:
        return {t: await self.count(t) for t in tables}


@pytest.fixture(scope="session")
def hostile_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("hostile-template")
    path = folder / "hotline.sqlite3"
    upgrade(f"sqlite+aiosqlite:///{path}")
    yield path


def hostile_settings(url: str, folder: Path) -> Settings:
    return Settings(
        database_url=url,
        data_dir=folder,
        prompts_dir=folder / "prompts",
        recordings_dir=folder / "recordings",
        ari_url="http://127.0.0.1:9",
        twilio_auth_token=TWILIO_TOKEN,
        public_url=PUBLIC_URL,
    )


async def _order(app: Any, agent: Actor, unit_id: int, call_id: str, title: str, content: str) -> str:
    service = app[WORKORDERS]
    draft = await service.create_draft(
        agent,
        details=wo.Details(caller_phone="13900001111", enterprise="县东方食品有限公司", title=title, content=content),
        call_id=call_id,
    )
    await service.register(
        agent, draft.id, order_class=wo.OrderClass.COMPLAINT, service=wo.Service.COMPLAINT,
        complexity=wo.Complexity.GENERAL,
    )
    order = await service.dispatch(agent, draft.id, unit_id)
    return str(order.number)


@pytest.fixture
async def hostile(hostile_template: Path, tmp_path: Path, aiohttp_client: Any) -> AsyncIterator[Hostile]:
    db = tmp_path / "hotline.sqlite3"
    shutil.copyfile(hostile_template, db)
    url = f"sqlite+aiosqlite:///{db}"
    clock = Clock()
    spool = tmp_path / "asterisk-spool"
    spool.mkdir()
    app = create_app(
        hostile_settings(url, tmp_path),
        overrides={
            CLOCK: clock.now,
            NOW: clock.now,
            PASSWORDS: cheap_passwords(),
            RECORDINGS_NOW: clock.now,
            RECORDINGS_SOURCE: SpoolFolder(spool),
            SMS_EVENTS: MemorySmsEventLog(),
        },
    )
    client = await aiohttp_client(app)
    sessions = _sessions(app)
    directory = Directory(sessions)
    accounts = Accounts(sessions, cheap_passwords())
    units = {u.code: u.id for u in await directory.units()}
    parties: dict[str, Party] = {}
    actors: dict[str, Actor] = {}
    for name, spec in ROLES.items():
        browser = client if name == "anonymous" else await aiohttp_client(client.server)
        if spec is None:
            parties[name] = Party(name, None, browser)
            continue
        role, unit = spec
        row, token = await directory.add_user(f"api.{name}", f"{name}（接口）", role, unit)
        signed = await accounts.create_user(f"web.{name}", f"{name}（控制台）", role, units[unit] if unit else None, PASSWORD)
        actors[name] = Actor(id=row.id, name=row.name, role=role, unit_id=row.unit_id)
        actors[f"web.{name}"] = Actor(id=signed.id, name=signed.name, role=role, unit_id=signed.unit_id)
        page = await browser.get("/login")
        resp = await browser.post(
            "/login",
            data={"login": f"web.{name}", "password": PASSWORD, "csrf_token": csrf_of(await page.text())},
            allow_redirects=False,
        )
        assert resp.status in (302, 303), (name, resp.status)
        parties[name] = Party(name, token, browser)
    hostile = Hostile(client, clock, parties, actors, units)
    hostile.ids["ref"] = await _order(
        app, actors["agent"], units["scjgj"], CALL_ID, "营业执照变更迟迟未办", "来电反映：企业变更登记提交材料已两周未有答复。"
    )
    hostile.ids["other_ref"] = await _order(
        app, actors["agent"], units["zjj"], OTHER_CALL_ID, "工地夜间施工扰民", "来电反映：项目夜间施工。"
    )
    write_wav(spool / "call-1764.101-mix.wav", 1.0)
    rec = await app[RECORDINGS].register_finished("call-1764.101-mix", CALL_ID, RecordingKind.MIX, "wav")
    hostile.ids["recording"] = str(rec.id)
    write_wav(spool / "call-1764.202-mix.wav", 1.0, freq=660.0)
    other = await app[RECORDINGS].register_finished("call-1764.202-mix", OTHER_CALL_ID, RecordingKind.MIX, "wav")
    hostile.ids["other_recording"] = str(other.id)
    entry = await hostile.api(
        "handler", "POST", "/api/v1/kb/entries",
        json={"title": "食品经营许可办理", "question": "开饭店要办什么证", "answer": "申请食品经营许可证。"},
    )
    assert entry.status == 201, await entry.text()
    hostile.ids["entry"] = str((await entry.json())["id"])
    expert = await hostile.api(
        "admin", "POST", "/api/v1/experts",
        json={"name": "周工", "unit_id": units["scjgj"], "phone": "13800138000", "expertise": "食品安全"},
    )
    hostile.ids["expert"] = str((await expert.json()).get("id", "1")) if expert.status < 300 else "1"
    yield hostile


def _sessions(app: Any) -> Any:
    from hotline.app import SESSIONS

    return app[SESSIONS]
