"""Signing in and out: the right password opens a session, a wrong one is refused and audited,
repeated failures are throttled, sessions end by idle and absolute timeouts and by signing out."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from console.auth import domain
from tests.integration.console.console_fixtures import Console
from tests.integration.console.support import (
    PASSWORD,
    MovableClock,
    console_app,
    console_settings,
    copy_database,
    csrf_of,
    seed_people,
)


async def test_a_unit_handler_signs_in_and_lands_on_the_unit_inbox(console: Console) -> None:
    resp = await console.sign_in("wang.market")
    assert resp.status == 303 and resp.headers["Location"] == "/"
    cookie = resp.cookies[domain.SESSION_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and not cookie["secure"]
    home = await console.client.get("/", allow_redirects=False)
    assert home.headers["Location"] == "/unit/inbox"
    inbox = await console.client.get("/unit/inbox")
    assert inbox.status == 200
    body = await inbox.text()
    assert "工单收件箱" in body and "县市场监督管理局" in body and "wang.market（测试）" in body
    audit = await console.scalar(
        "SELECT reason FROM console_sign_ins WHERE login = 'wang.market' AND success = :ok", ok=True
    )
    assert audit == "ok"


async def test_the_session_table_keeps_only_a_hash_of_the_cookie(console: Console) -> None:
    resp = await console.sign_in("sun.supervisor")
    token = resp.cookies[domain.SESSION_COOKIE].value
    stored = await console.scalar("SELECT id FROM console_sessions")
    assert stored == domain.digest(token) and token not in stored
    assert await console.scalar("SELECT ip FROM console_sessions") == "127.0.0.1"


async def test_a_wrong_password_is_refused_with_one_message_for_all_failures(console: Console) -> None:
    wrong = await console.sign_in("wang.market", "not-the-password")
    unknown = await console.sign_in("nobody.here", "whatever-123")
    assert wrong.status == unknown.status == 401
    for resp in (wrong, unknown):
        assert "账号或密码错误" in await resp.text()
        assert domain.SESSION_COOKIE not in resp.cookies
    reasons = await console.scalar(
        "SELECT group_concat(login || ':' || reason, ',') FROM (SELECT login, reason FROM console_sign_ins ORDER BY id)"
    )
    assert reasons == "wang.market:wrong_password,nobody.here:unknown_login"
    page = await console.client.get("/unit/inbox", allow_redirects=False)
    assert page.status == 303 and page.headers["Location"].startswith("/login")


async def test_repeated_failures_are_throttled_even_for_the_right_password_then_released(console: Console) -> None:
    for _ in range(5):
        assert (await console.sign_in("wang.market", "guess-guess")).status == 401
    throttled = await console.sign_in("wang.market", PASSWORD)
    assert throttled.status == 429
    assert int(throttled.headers["Retry-After"]) > 0
    assert "登录失败次数过多" in await throttled.text()
    assert await console.scalar("SELECT count(*) FROM console_sign_ins WHERE reason = 'throttled'") == 1
    # other logins from elsewhere are not affected; this one is released when the window passes
    console.clock.advance(timedelta(minutes=16))
    assert (await console.sign_in("wang.market", PASSWORD)).status == 303


async def test_many_logins_failing_from_one_address_are_throttled_by_address(console: Console) -> None:
    for i in range(20):
        assert (await console.sign_in(f"spray{i}", "guess-guess")).status == 401
    assert (await console.sign_in("li.housing", PASSWORD)).status == 429


async def test_an_idle_session_expires_and_the_browser_is_sent_to_sign_in(console: Console) -> None:
    await console.sign_in("wang.market")
    console.clock.advance(timedelta(minutes=29))
    assert (await console.client.get("/unit/inbox", allow_redirects=False)).status == 200
    console.clock.advance(timedelta(minutes=29))  # 29 minutes after the last request: still alive
    assert (await console.client.get("/unit/inbox", allow_redirects=False)).status == 200
    console.clock.advance(timedelta(minutes=31))
    gone = await console.client.get("/unit/inbox", allow_redirects=False)
    assert gone.status == 303 and gone.headers["Location"] == "/login?next=/unit/inbox"
    assert await console.scalar("SELECT count(*) FROM console_sessions") == 0


async def test_a_busy_session_still_ends_at_the_absolute_timeout(console: Console) -> None:
    await console.sign_in("wang.market")
    for _ in range(11 * 3):  # a request every 20 minutes for 11 hours
        console.clock.advance(timedelta(minutes=20))
        assert (await console.client.get("/unit/inbox", allow_redirects=False)).status == 200
    console.clock.advance(timedelta(minutes=61))
    assert (await console.client.get("/unit/inbox", allow_redirects=False)).status == 303


async def test_signing_out_ends_the_session_for_a_replayed_cookie_too(console: Console) -> None:
    resp = await console.sign_in("wang.market")
    token = resp.cookies[domain.SESSION_COOKIE].value
    out = await console.client.post("/logout", data={"csrf_token": await console.csrf()}, allow_redirects=False)
    assert out.status == 303 and out.headers["Location"].startswith("/login")
    replay = await console.client.get(
        "/api/v1/me", cookies={domain.SESSION_COOKIE: token}, allow_redirects=False
    )
    assert replay.status == 401


async def test_sign_in_follows_next_only_to_a_path_on_this_site(console: Console) -> None:
    resp = await console.sign_in("wang.market", next="//evil.example/steal")
    assert resp.headers["Location"] == "/"
    await console.client.post("/logout", data={"csrf_token": await console.csrf()})
    resp = await console.sign_in("wang.market", next="/unit/inbox?state=all")
    assert resp.headers["Location"] == "/unit/inbox?state=all"


async def test_the_login_form_itself_needs_its_csrf_token(console: Console) -> None:
    await console.client.get("/login")
    resp = await console.client.post("/login", data={"login": "wang.market", "password": PASSWORD})
    assert resp.status == 403
    assert "安全令牌" in await resp.text()
    page = await console.client.get("/login")
    assert csrf_of(await page.text())


async def test_the_cookie_is_secure_when_the_service_is_published_over_https(
    console_template: Path, tmp_path: Path, aiohttp_client: Any
) -> None:
    url = copy_database(console_template, tmp_path)
    await seed_people(url)
    settings = console_settings(url, tmp_path, public_url="https://12345.example.gov.cn")
    client = await aiohttp_client(console_app(settings, MovableClock()))
    page = await client.get("/login")
    assert page.cookies[domain.LOGIN_CSRF_COOKIE]["secure"]
    data = {"login": "wang.market", "password": PASSWORD, "csrf_token": csrf_of(await page.text())}
    # behind the https proxy the browser would send the Secure cookie back; this client speaks plain http
    login_cookie = {domain.LOGIN_CSRF_COOKIE: page.cookies[domain.LOGIN_CSRF_COOKIE].value}
    resp = await client.post("/login", data=data, cookies=login_cookie, allow_redirects=False)
    cookie = resp.cookies[domain.SESSION_COOKIE]
    assert resp.status == 303 and cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"


async def test_pages_use_only_assets_served_by_the_service_itself(console: Console) -> None:
    await console.sign_in("qian.admin")
    for path in ("/login", "/unit/inbox", "/supervise", "/admin/users", "/admin/units", "/admin/calendar", "/admin/menu"):
        resp = await console.client.get(path)
        assert resp.status == 200, path
        body = await resp.text()
        assert "http://" not in body and "https://" not in body, path  # no CDN, no web fonts
        assert "default-src 'self'" in resp.headers["Content-Security-Policy"]
    for asset in ("/static/console/console.css", "/static/console/console.js"):
        resp = await console.client.get(asset)
        assert resp.status == 200
        assert "http" not in await resp.text()
    css = await (await console.client.get("/static/console/console.css")).text()
    assert "Noto Sans CJK SC" in css and "@font-face" not in css and ":focus-visible" in css
