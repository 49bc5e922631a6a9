"""Shared by the console's integration and browser tests: a migrated database template, the app with a
movable clock, people in each role with real (cheap-parameter) argon2 passwords, and work orders moved
through ticketing's own services."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from argon2 import PasswordHasher
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from console.auth.passwords import Passwords
from console.auth.services import Accounts
from console.web import CLOCK, PASSWORDS
from hotline.app import create_app
from hotline.db import make_engine, make_sessionmaker
from hotline.settings import Settings
from ticketing.adapters.orm import WorkOrderRow
from ticketing.domain import workorder as wo
from ticketing.domain.roles import Actor, Role
from ticketing.services import Directory
from ticketing.web import NOW, WORKORDERS

TZ = ZoneInfo("Asia/Shanghai")
PASSWORD = "correct-horse-9"
# A Tuesday morning in office hours: the working-day clock starts at once.
START = datetime(2026, 11, 10, 9, 0, tzinfo=TZ)
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]*)"')

# login → (role, unit code); the units come with ticketing's first migration
PEOPLE: dict[str, tuple[Role, str | None]] = {
    "wang.market": (Role.UNIT_HANDLER, "scjgj"),  # 县市场监督管理局
    "li.housing": (Role.UNIT_HANDLER, "zjj"),  # 县住房和城乡建设局
    "zhao.agent": (Role.AGENT, None),
    "sun.supervisor": (Role.SUPERVISOR, None),
    "qian.admin": (Role.ADMIN, None),
}


def cheap_passwords() -> Passwords:
    """Real argon2id, with small parameters so a test signs in within milliseconds."""
    return Passwords(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@dataclass
class MovableClock:
    at: datetime = START

    def now(self) -> datetime:
        return self.at

    def advance(self, by: timedelta) -> None:
        self.at = self.at + by


def copy_database(template: Path, folder: Path) -> str:
    copy = folder / "console.sqlite3"
    shutil.copyfile(template, copy)
    return f"sqlite+aiosqlite:///{copy}"


def console_settings(url: str, folder: Path, **changes: Any) -> Settings:
    return Settings(
        database_url=url,
        data_dir=folder,
        prompts_dir=folder / "prompts",
        recordings_dir=folder / "recordings",
        ari_url="http://127.0.0.1:9",
        **changes,
    )


def console_app(settings: Settings, clock: MovableClock) -> web.Application:
    return create_app(settings, overrides={CLOCK: clock.now, NOW: clock.now, PASSWORDS: cheap_passwords()})


@dataclass
class People:
    units: dict[str, int] = field(default_factory=dict)
    actors: dict[str, Actor] = field(default_factory=dict)


async def seed_people(url: str) -> People:
    engine = make_engine(url)
    try:
        sessions = make_sessionmaker(engine)
        accounts = Accounts(sessions, cheap_passwords())
        units = {u.code: u.id for u in await Directory(sessions).units()}
        people = People(units=units)
        for login, (role, unit) in PEOPLE.items():
            row = await accounts.create_user(login, f"{login}（测试）", role, units[unit] if unit else None, PASSWORD)
            people.actors[login] = Actor(id=row.id, name=row.name, role=role, unit_id=row.unit_id)
        return people
    finally:
        await engine.dispose()


async def dispatched_order(
    app: web.Application,
    people: People,
    unit: str = "scjgj",
    title: str = "营业执照变更迟迟未办",
    content: str = "来电反映：企业变更登记提交材料已两周未有答复。",
    complexity: wo.Complexity = wo.Complexity.GENERAL,
) -> WorkOrderRow:
    """A complaint registered by the agent and dispatched to `unit`, through ticketing's services."""
    service = app[WORKORDERS]
    agent = people.actors["zhao.agent"]
    draft = await service.create_draft(
        agent, details=wo.Details(caller_phone="13900001111", enterprise="县东方食品有限公司", title=title, content=content)
    )
    await service.register(
        agent, draft.id, order_class=wo.OrderClass.COMPLAINT, service=wo.Service.COMPLAINT, complexity=complexity
    )
    return await service.dispatch(agent, draft.id, people.units[unit])


def csrf_of(html: str) -> str:
    found = CSRF_RE.search(html)
    assert found is not None, "the page carries no CSRF field"
    return found.group(1)


async def sessions_of(app: web.Application) -> async_sessionmaker[AsyncSession]:
    from hotline.app import SESSIONS

    return app[SESSIONS]
