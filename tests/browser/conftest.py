"""Browser tests: Debian's Chromium driven by Playwright (never `playwright install`), against the real
app served by aiohttp on 127.0.0.1 (random port) in a thread of its own with a temp SQLite database.

One browser per test session; each test gets a fresh context (no cookies carried over). Data is set
up through ticketing's services on the server's own event loop (`LiveConsole.run`).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
from collections.abc import Coroutine, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from aiohttp import web

from tests.integration.console.support import (
    MovableClock,
    People,
    console_app,
    console_settings,
    copy_database,
    seed_people,
)

T = TypeVar("T")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"


@dataclass
class LiveConsole:
    base_url: str
    app: web.Application
    people: People
    clock: MovableClock
    loop: asyncio.AbstractEventLoop

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the server's loop (ticketing's services, database checks)."""
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(timeout=30)


@pytest.fixture(scope="package")
def live_console(console_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveConsole]:
    folder = tmp_path_factory.mktemp("browser-console")
    url = copy_database(console_template, folder)
    loop = asyncio.new_event_loop()
    started: Future[tuple[web.AppRunner, int, People]] = Future()
    clock = MovableClock()
    app = console_app(console_settings(url, folder), clock)

    async def start() -> None:
        people = await seed_people(url)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        started.set_result((runner, port, people))

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.create_task(start())
        loop.run_forever()

    thread = threading.Thread(target=serve, name="live-console", daemon=True)
    thread.start()
    runner, port, people = started.result(timeout=60)
    live = LiveConsole(f"http://127.0.0.1:{port}", app, people, clock, loop)
    yield live
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=30)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=10)
    loop.close()


@pytest.fixture(scope="package")
def browser(live_console: LiveConsole) -> Iterator[Any]:
    """One Chromium for the browser tests, closed when they end (the sync API keeps an event loop of
    its own in this thread while it runs, so it must not outlive this package's tests; and the live
    server, whose set-up uses asyncio.run via `db upgrade`, starts first)."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is missing: scripts/system-deps.sh installs it")
        pytest.skip("no /usr/bin/chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(live_console: LiveConsole, browser: Any) -> Iterator[Any]:
    context = browser.new_context(base_url=live_console.base_url, locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
