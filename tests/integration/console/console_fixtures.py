"""Fixtures of the console tests (registered in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import text

from hotline.db import upgrade
from tests.integration.console.support import (
    PASSWORD,
    MovableClock,
    People,
    console_app,
    console_settings,
    copy_database,
    csrf_of,
    seed_people,
)


@pytest.fixture(scope="session")
def console_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A database brought up once by `hotline db upgrade`'s code; each test works on a copy."""
    folder = tmp_path_factory.mktemp("console-template")
    path = folder / "hotline.sqlite3"
    upgrade(f"sqlite+aiosqlite:///{path}")
    yield path


@dataclass
class Console:
    """The running service seen through a browser-like client (cookie jar), plus its clock and people."""

    client: TestClient
    clock: MovableClock
    people: People
    url: str

    @property
    def app(self) -> Any:
        return self.client.server.app

    async def sign_in(self, login: str, password: str = PASSWORD, **form: str) -> Any:
        page = await self.client.get("/login")
        assert page.status == 200
        data = {"login": login, "password": password, "csrf_token": csrf_of(await page.text()), **form}
        return await self.client.post("/login", data=data, allow_redirects=False)

    async def csrf(self, path: str = "/unit/inbox") -> str:
        page = await self.client.get(path)
        assert page.status == 200, page.status
        return csrf_of(await page.text())

    async def scalar(self, sql: str, **params: Any) -> Any:
        from hotline.app import ENGINE

        async with self.app[ENGINE].connect() as conn:
            return (await conn.execute(text(sql), params)).scalar()


@pytest.fixture
async def console(console_template: Path, tmp_path: Path, aiohttp_client: Any) -> Console:
    url = copy_database(console_template, tmp_path)
    people = await seed_people(url)
    clock = MovableClock()
    client = await aiohttp_client(console_app(console_settings(url, tmp_path), clock))
    return Console(client=client, clock=clock, people=people, url=url)
