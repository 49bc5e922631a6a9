"""The console's tables and queries on PostgreSQL (production's database): migrate with `db upgrade`,
sign in, fail, get throttled, see the audit, and have a cookie session authenticate the API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from console.auth import domain
from hotline.db import make_engine, upgrade_async
from tests.fakes.databases import fresh_postgres_database
from tests.integration.console.support import (
    PASSWORD,
    MovableClock,
    console_app,
    console_settings,
    csrf_of,
    dispatched_order,
    seed_people,
)

pytestmark = pytest.mark.postgres


@pytest.fixture
async def postgres_console_url(postgres_url: str) -> AsyncIterator[str]:
    async with fresh_postgres_database(postgres_url, "console") as url:
        await upgrade_async(url)
        yield url


async def test_sign_in_throttling_and_the_session_api_on_postgres(
    postgres_console_url: str, tmp_path: Path, aiohttp_client: Any
) -> None:
    people = await seed_people(postgres_console_url)
    client = await aiohttp_client(console_app(console_settings(postgres_console_url, tmp_path), MovableClock()))

    async def attempt(login: str, password: str) -> int:
        page = await client.get("/login")
        data = {"login": login, "password": password, "csrf_token": csrf_of(await page.text())}
        return (await client.post("/login", data=data, allow_redirects=False)).status

    for _ in range(5):
        assert await attempt("wang.market", "guess-guess") == 401
    assert await attempt("wang.market", PASSWORD) == 429
    assert await attempt("li.housing", PASSWORD) == 303
    order = await dispatched_order(client.server.app, people, unit="zjj")
    csrf = csrf_of(await (await client.get("/unit/inbox")).text())
    signed = await client.post(f"/api/v1/workorders/{order.id}/sign", json={}, headers={"X-CSRF-Token": csrf})
    assert signed.status == 200
    engine = make_engine(postgres_console_url)
    try:
        async with engine.connect() as conn:
            reasons = (await conn.execute(text("SELECT reason, count(*) FROM console_sign_ins GROUP BY reason"))).all()
            sessions = (await conn.execute(text("SELECT id FROM console_sessions"))).scalars().all()
    finally:
        await engine.dispose()
    assert dict(reasons) == {"wrong_password": 5, "throttled": 1, "ok": 1}
    token = client.session.cookie_jar.filter_cookies(client.make_url("/"))[domain.SESSION_COOKIE].value
    assert sessions == [domain.digest(token)]
