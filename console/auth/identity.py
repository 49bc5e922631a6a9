"""One identity per request: the console's session cookie, next to ticketing's Bearer tokens.

The middleware resolves the `hotline_session` cookie (only when there is no Authorization header), and
for a cookie-authenticated POST/PUT/PATCH/DELETE demands the session's CSRF token, from the
`X-CSRF-Token` header or the `csrf_token` form field. It publishes the session in a context variable
that `ticketing.auth.authenticate` consults through its identity hook, so every API that authenticates
with ticketing (work orders, KPIs, knowledge, recordings) accepts a signed-in browser too. Bearer-token
calls are exempt from CSRF: a token is not an ambient credential the browser adds by itself.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from console.auth import domain
from console.auth.services import SignedIn, SignInService
from ticketing import auth
from ticketing.domain.roles import Actor

log = logging.getLogger("console.access")

SIGN_IN = web.AppKey("console_sign_in", SignInService)
# request key of the request's SignedIn (or None); aiohttp before 3.13 has no RequestKey
SIGNED_IN: Any = web.RequestKey("console_signed_in", object) if hasattr(web, "RequestKey") else "console_signed_in"
_CURRENT: ContextVar[SignedIn | None] = ContextVar("console_signed_in", default=None)
STATIC_PREFIX = "/static/"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def session_actor() -> Actor | None:
    """ticketing.auth's identity hook: the actor of the cookie session of the request being handled."""
    signed = _CURRENT.get()
    return signed.actor if signed is not None else None


def install_hook() -> None:
    if session_actor not in auth.identity_hooks:
        auth.identity_hooks.append(session_actor)


def signed_in(request: web.Request) -> SignedIn | None:
    value = request.get(SIGNED_IN)
    return value if isinstance(value, SignedIn) else None


async def submitted_csrf(request: web.Request) -> str | None:
    given = request.headers.get(domain.CSRF_HEADER)
    if given is None and request.content_type in FORM_TYPES:
        value = (await request.post()).get(domain.CSRF_FIELD)
        given = value if isinstance(value, str) else None
    return given


def client_ip(request: web.Request) -> str | None:
    return request.remote


@web.middleware
async def identity_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    signed: SignedIn | None = None
    token = request.cookies.get(domain.SESSION_COOKIE)
    if (
        token
        and not request.headers.get("Authorization")
        and not request.path.startswith(STATIC_PREFIX)  # assets need no identity: no database look-up
        and SIGN_IN in request.app
    ):
        signed = await request.app[SIGN_IN].resolve(token)
    request[SIGNED_IN] = signed
    if signed is not None and request.method in domain.STATE_CHANGING:
        if not domain.tokens_match(signed.csrf_token, await submitted_csrf(request)):
            log.warning(
                "CSRF refused: user=%s %s %s ip=%s", signed.login, request.method, request.path, client_ip(request)
            )
            return csrf_refused(request)
    reset = _CURRENT.set(signed)
    try:
        return await handler(request)
    finally:
        _CURRENT.reset(reset)


def csrf_refused(request: web.Request) -> web.Response:
    error = domain.CsrfRejected()
    if request.path.startswith("/api/"):
        return web.json_response({"error": error.error_id, "message": error.message}, status=403)
    return web.Response(
        text=f"<!doctype html><html lang=zh-CN><meta charset=utf-8><title>403</title><p>{error.message}</p>"
        '<p><a href="/">返回首页</a></p></html>',
        status=403,
        content_type="text/html",
    )
