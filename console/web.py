"""The web console (人员端网页): server-rendered Simplified-Chinese pages, static assets served by the
service itself (no CDN), sign-in and sign-out. Unit, supervisor and admin pages live in
`console/pages_*.py`; this module wires them and holds the shared rendering helpers.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import jinja2
from aiohttp import web

from console.auth import domain
from console.auth.identity import SIGN_IN, client_ip, identity_middleware, install_hook, signed_in
from console.auth.passwords import Passwords
from console.auth.services import Accounts, SignedIn, SignInService
from hotline.app import SESSIONS, SETTINGS
from ticketing.domain.roles import Role

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
ACCOUNTS = web.AppKey("console_accounts", Accounts)
TEMPLATES = web.AppKey("console_templates", jinja2.Environment)
CLOCK: web.AppKey[Callable[[], datetime]] = web.AppKey("console_clock")
PASSWORDS = web.AppKey("console_passwords", Passwords)
SESSION_POLICY = web.AppKey("console_session_policy", domain.SessionPolicy)
THROTTLE_POLICY = web.AppKey("console_throttle_policy", domain.ThrottlePolicy)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# `?done=` after a POST → the confirmation line shown on the page it redirects to
DONE_ZH = {
    "sign": "已签收",
    "handle": "已开始办理",
    "reply": "答复已提交",
    "close": "已办结",
    "return": "已退单",
    "extension": "延期申请已提交",
    "approve-extension": "已批准延期",
    "reject-extension": "已驳回延期",
    "create": "已新建",
    "update": "已保存",
    "password": "密码已重置，该用户的会话均已退出",
    "active": "已更新启用状态",
    "override": "本地调整已保存",
    "remove": "本地调整已删除",
    "import": "年度安排已导入",
    "logout": "您已退出登录",
    "unchanged": "内容没有变化，未生成新版本",
    "deactivate": "已停用",
    "rectified": "整改情况已报告，将向企业发起整改回访",
    "review-closed": "整改单已销号",
}
PageHandler = Callable[[web.Request, SignedIn], Awaitable[web.StreamResponse]]


def utcnow() -> datetime:
    return datetime.now(UTC)


def templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def now(request: web.Request) -> datetime:
    return request.app[CLOCK]() if CLOCK in request.app else utcnow()


def tz(request: web.Request) -> ZoneInfo:
    return ZoneInfo(request.app[SETTINGS].timezone)


def render(
    request: web.Request, template: str, status: int = 200, headers: dict[str, str] | None = None, **context: Any
) -> web.Response:
    signed = signed_in(request)
    zone = tz(request)

    def local(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return value.astimezone(zone).strftime(fmt) if value is not None else "—"

    body = request.app[TEMPLATES].get_template(template).render(
        me=signed,
        csrf=signed.csrf_token if signed else context.pop("login_csrf", ""),
        path=request.path,
        local=local,
        Role=Role,
        flash=DONE_ZH.get(request.query.get("done", ""), ""),
        **context,
    )
    response = web.Response(text=body, status=status, content_type="text/html", charset="utf-8")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = "default-src 'self'; frame-ancestors 'none'; form-action 'self'"
    response.headers["Cache-Control"] = "no-store"
    return response


def page(*roles: Role) -> Callable[[PageHandler], Handler]:
    """A page for signed-in users of `roles` (all roles when none given): others get the sign-in page
    (not signed in) or 403 (signed in with another role, logged)."""
    allowed = frozenset(roles)

    def wrap(handler: PageHandler) -> Handler:
        async def wrapped(request: web.Request) -> web.StreamResponse:
            signed = signed_in(request)
            if signed is None:
                target = request.path_qs if request.method == "GET" else "/"
                raise web.HTTPSeeOther(f"/login?next={quote(target)}")
            if allowed and signed.actor.role not in allowed:
                return forbidden(request, signed, "本页面不对您的角色开放 (not for your role)")
            return await handler(request, signed)

        wrapped.__name__ = handler.__name__
        wrapped.__doc__ = handler.__doc__
        return wrapped

    return wrap


def forbidden(request: web.Request, signed: SignedIn, message: str) -> web.Response:
    logging.getLogger("console.access").warning(
        "forbidden: user=%s role=%s %s %s ip=%s",
        signed.login,
        signed.actor.role.value,
        request.method,
        request.path,
        client_ip(request),
    )
    return render(request, "error.html", status=403, title="无权访问", message=message)


def safe_next(value: str | None) -> str:
    """Only a path on this site (no scheme, no //host) may follow sign-in."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


# --- sign-in ---------------------------------------------------------------------------------------


def _cookie_secure(request: web.Request) -> bool:
    return request.app[SETTINGS].public_url.startswith("https://")


async def login_form(request: web.Request) -> web.StreamResponse:
    signed = signed_in(request)
    if signed is not None:
        raise web.HTTPSeeOther(safe_next(request.query.get("next")) if request.query.get("next") else "/")
    return _login_page(request, "", request.query.get("next", ""), "")


def _login_page(request: web.Request, login: str, next_path: str, error: str, status: int = 200) -> web.Response:
    token = domain.new_secret()
    response = render(
        request, "login.html", status=status, login=login, next_path=next_path, error=error, login_csrf=token
    )
    response.set_cookie(
        domain.LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="Lax",
        secure=_cookie_secure(request),
        path="/login",
        max_age=3600,
    )
    return response


async def login_submit(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    login = str(form.get("login", ""))
    next_path = str(form.get("next", ""))
    if signed_in(request) is None:  # a signed-in browser was already checked by the middleware
        if not domain.tokens_match(request.cookies.get(domain.LOGIN_CSRF_COOKIE, ""), str(form.get(domain.CSRF_FIELD, ""))) or not request.cookies.get(domain.LOGIN_CSRF_COOKIE):
            return _login_page(request, login, next_path, domain.CsrfRejected().message, status=403)
    try:
        token, _signed = await request.app[SIGN_IN].sign_in(
            login, str(form.get("password", "")), client_ip(request), request.headers.get("User-Agent")
        )
    except domain.SignInThrottled as exc:
        page_ = _login_page(request, login, next_path, exc.message, status=429)
        page_.headers["Retry-After"] = str(exc.retry_after_s)
        return page_
    except domain.SignInRefused as exc:
        return _login_page(request, login, next_path, exc.message, status=401)
    response = web.HTTPSeeOther(safe_next(next_path))
    response.set_cookie(
        domain.SESSION_COOKIE,
        token,
        httponly=True,
        samesite="Lax",
        secure=_cookie_secure(request),
        path="/",
    )
    response.del_cookie(domain.LOGIN_CSRF_COOKIE, path="/login")
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    """POST (with the CSRF token, checked by the middleware): end the session."""
    token = request.cookies.get(domain.SESSION_COOKIE)
    if token:
        await request.app[SIGN_IN].sign_out(token)
    response = web.HTTPSeeOther("/login?done=logout")
    response.del_cookie(domain.SESSION_COOKIE, path="/")
    raise response


async def home(request: web.Request) -> web.StreamResponse:
    signed = signed_in(request)
    if signed is None:
        raise web.HTTPSeeOther("/login")
    raise web.HTTPSeeOther(domain.home_path(signed.actor.role))


# --- wiring ---------------------------------------------------------------------------------------


async def _services(app: web.Application) -> AsyncIterator[None]:
    sessions = app[SESSIONS]
    clock = app[CLOCK] if CLOCK in app else utcnow
    if PASSWORDS not in app:
        app[PASSWORDS] = Passwords()
    if SIGN_IN not in app:
        app[SIGN_IN] = SignInService(
            sessions,
            app[PASSWORDS],
            clock,
            app[SESSION_POLICY] if SESSION_POLICY in app else None,
            app[THROTTLE_POLICY] if THROTTLE_POLICY in app else None,
        )
    if ACCOUNTS not in app:
        app[ACCOUNTS] = Accounts(sessions, app[PASSWORDS], clock)
    if app[SETTINGS].production:
        try:
            await app[ACCOUNTS].refuse_demo_in_production()
        except domain.DemoAccountsInProduction as exc:
            log.critical("%s", exc.message)
            raise  # the service does not start
    yield


def add_routes(app: web.Application, routes: Iterable[tuple[str, str, Handler]]) -> None:
    for method, path, handler in routes:
        app.router.add_route(method, path, handler)


def setup(app: web.Application) -> None:
    """Add the console pages, the static assets and the session middleware to the service."""
    from console import pages_admin, pages_experts, pages_kb, pages_seatwall, pages_supervise, pages_unit

    install_hook()
    app[TEMPLATES] = templates()
    app.middlewares.append(identity_middleware)
    app.cleanup_ctx.append(_services)
    app.router.add_static("/static/console", HERE / "static")
    add_routes(
        app,
        [
            ("GET", "/", home),
            ("GET", "/login", login_form),
            ("POST", "/login", login_submit),
            ("POST", "/logout", logout),
        ],
    )
    add_routes(app, pages_unit.ROUTES)
    add_routes(app, pages_supervise.ROUTES)
    add_routes(app, pages_admin.ROUTES)
    from console import pages_reports  # the reports pages (分析报告)

    add_routes(app, pages_reports.ROUTES)
    add_routes(app, pages_kb.ROUTES)
    add_routes(app, pages_experts.ROUTES)
    add_routes(app, pages_seatwall.ROUTES)
    from console import pages_reviews  # the unit's ratings and the review lists (评价与整改)

    add_routes(app, pages_reviews.ROUTES)
    from console import pages_agent  # the agent console (坐席工作台) and its WebSocket

    pages_agent.setup(app)
    from console import pages_sms  # the surveys and the local SMS outbox (短信与回访)

    add_routes(app, pages_sms.ROUTES)
