"""The agent console's WebSocket accepts only this site's pages (the Origin check)."""

from __future__ import annotations

from pathlib import Path

from aiohttp.test_utils import make_mocked_request

from console.agent_ws import same_origin
from hotline.app import SETTINGS
from hotline.settings import Settings


def request(origin: str | None, host: str = "127.0.0.1:8080", public_url: str = "") -> object:
    from aiohttp import web

    app = web.Application()
    app[SETTINGS] = Settings(database_url="sqlite+aiosqlite://", data_dir=Path("/tmp"), public_url=public_url)
    headers = {"Host": host, **({"Origin": origin} if origin else {})}
    return make_mocked_request("GET", "/agent/ws", headers=headers, app=app)


def test_only_this_sites_pages_may_open_the_websocket() -> None:
    assert same_origin(request("http://127.0.0.1:8080"))  # type: ignore[arg-type]
    assert not same_origin(request(None))  # type: ignore[arg-type]
    assert not same_origin(request("http://evil.example"))  # type: ignore[arg-type]
    assert not same_origin(request("null"))  # type: ignore[arg-type]
    behind_proxy = request("https://12345.example.gov.cn", host="10.0.0.5:8080", public_url="https://12345.example.gov.cn")
    assert same_origin(behind_proxy)  # type: ignore[arg-type]
