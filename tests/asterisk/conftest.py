"""The opt-in tier: the whole service against a REAL Asterisk 22.

Runs only when `HOTLINE_TEST_ARI_URL` is set (e.g. http://127.0.0.1:8088), with the dialplan of
`deploy/asterisk/extensions.conf` loaded there and ARI credentials in `HOTLINE_TEST_ARI_USER` /
`HOTLINE_TEST_ARI_PASSWORD` (default asterisk/asterisk). If `HOTLINE_TEST_ASTERISK_SOUNDS_DIR` names the
folder Asterisk plays `sound:hotline/...` from, the real prompts are built into it first; otherwise the
playbacks fail in Asterisk and the menu must carry on regardless (which is worth proving too).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from callflow.ari.client import AriClient
from hotline.app import create_app
from hotline.db import upgrade_async
from hotline.settings import Settings

ARI_URL = os.environ.get("HOTLINE_TEST_ARI_URL", "").rstrip("/")

pytestmark = pytest.mark.asterisk


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if ARI_URL:
        return
    skip = pytest.mark.skip(reason="no real Asterisk: set HOTLINE_TEST_ARI_URL to run this tier")
    for item in items:
        if "tests/asterisk/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(skip)


@dataclass
class RealHotline:
    settings: Settings
    client: AriClient
    server: TestServer


@pytest.fixture
async def real_hotline(tmp_path: Path) -> AsyncIterator[RealHotline]:
    """The service, as `hotline serve` builds it, connected to the real Asterisk; open all day."""
    async for hotline in _serve(tmp_path, "00:00-23:59"):
        yield hotline


@pytest.fixture
async def closed_real_hotline(tmp_path: Path) -> AsyncIterator[RealHotline]:
    """The same service with office hours that have just ended (a one-minute window long ago)."""
    async for hotline in _serve(tmp_path, "00:00-00:01"):
        yield hotline


async def _serve(tmp_path: Path, office_hours: str) -> AsyncIterator[RealHotline]:
    sounds = os.environ.get("HOTLINE_TEST_ASTERISK_SOUNDS_DIR")
    settings = replace(
        Settings(),
        database_url=f"sqlite+aiosqlite:///{tmp_path}/hotline.sqlite3",
        data_dir=tmp_path,
        prompts_dir=Path(sounds) if sounds else tmp_path / "prompts",
        recordings_dir=tmp_path / "recordings",
        ari_url=ARI_URL,
        ari_user=os.environ.get("HOTLINE_TEST_ARI_USER", "asterisk"),
        ari_password=os.environ.get("HOTLINE_TEST_ARI_PASSWORD", "asterisk"),
        office_hours=office_hours,
    )
    if sounds:
        from ivr.adapters.synthesis import EspeakSox
        from ivr.config import load_menu
        from ivr.prompts import PromptBuilder

        await PromptBuilder(EspeakSox(), settings.prompts_dir).build(load_menu(None))
    await upgrade_async(settings.database_url)
    server = TestServer(create_app(settings))
    await server.start_server()
    client = AriClient(settings.ari_url, settings.ari_user, settings.ari_password)
    try:
        yield RealHotline(settings, client, server)
    finally:
        await client.close()
        await server.close()
