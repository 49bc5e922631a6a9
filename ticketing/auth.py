"""Who is calling the API: the one place where a request becomes an `Actor` (身份识别).

For now by API token (`Authorization: Bearer <token>`); tokens are stored as SHA-256 hex digests in
`users.api_token_hash`, so a leaked database does not leak usable tokens. Issue 7 adds password
sessions here, next to the token path.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ticketing.adapters import repository
from ticketing.domain.errors import Unauthenticated
from ticketing.domain.roles import Actor, Role

TOKEN_PREFIX = "hl_"


def new_token() -> str:
    """A fresh random API token (shown to the admin once, never stored in clear).

    The prefix keeps a token from starting with "-" (which a command line would read as an option,
    e.g. `hotline seat --token -x…`) and lets secret scanners recognise it."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def bearer_token(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer <token>` header."""
    if not authorization:
        raise Unauthenticated("缺少 Authorization: Bearer 令牌 (missing bearer token)")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Authorization 须为 Bearer 令牌 (expected a bearer token)")
    return token.strip()


# Recently resolved tokens (digest → actor, expiry): the list API is called often, and a user's role
# or unit changes rarely; a change (or a deactivation) applies within CACHE_SECONDS.
CACHE_SECONDS = 10.0
_resolved: dict[str, tuple[Actor, float]] = {}


async def actor_for_token(sessions: async_sessionmaker[AsyncSession], token: str) -> Actor:
    digest = hash_token(token)
    cached = _resolved.get(digest)
    now = time.monotonic()
    if cached is not None and cached[1] > now:
        return cached[0]
    async with sessions() as session:
        user = await repository.user_by_token_hash(session, digest)
    if user is None:
        _resolved.pop(digest, None)
        raise Unauthenticated("令牌无效或账号已停用 (invalid token or inactive user)")
    actor = Actor(id=user.id, name=user.name, role=Role(user.role), unit_id=user.unit_id)
    if len(_resolved) > 10_000:
        _resolved.clear()
    _resolved[digest] = (actor, now + CACHE_SECONDS)
    return actor


# Other ways a request is identified (issue 7: the console's session cookie, console/auth/identity.py).
# Each hook gives the actor of the request being handled, or None; asked only without an Authorization
# header, so a Bearer token always wins.
RequestIdentity = Callable[[], Awaitable[Actor | None]]
identity_hooks: list[RequestIdentity] = []


async def authenticate(sessions: async_sessionmaker[AsyncSession], authorization: str | None) -> Actor:
    """The actor behind a request's Authorization header (or a hook's identity), or `Unauthenticated`."""
    if not authorization:
        for hook in identity_hooks:
            actor = await hook()
            if actor is not None:
                return actor
    return await actor_for_token(sessions, bearer_token(authorization))
