"""Who is calling the API: the one place where a request becomes an `Actor` (身份识别).

For now by API token (`Authorization: Bearer <token>`); tokens are stored as SHA-256 hex digests in
`users.api_token_hash`, so a leaked database does not leak usable tokens. Issue 7 adds password
sessions here, next to the token path.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ticketing.adapters import repository
from ticketing.domain.errors import Unauthenticated
from ticketing.domain.roles import Actor, Role


def new_token() -> str:
    """A fresh random API token (shown to the admin once, never stored in clear)."""
    return secrets.token_urlsafe(32)


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


async def actor_for_token(sessions: async_sessionmaker[AsyncSession], token: str) -> Actor:
    async with sessions() as session:
        user = await repository.user_by_token_hash(session, hash_token(token))
    if user is None:
        raise Unauthenticated("令牌无效或账号已停用 (invalid token or inactive user)")
    return Actor(id=user.id, name=user.name, role=Role(user.role), unit_id=user.unit_id)


async def authenticate(sessions: async_sessionmaker[AsyncSession], authorization: str | None) -> Actor:
    """The actor behind a request's Authorization header, or `Unauthenticated`."""
    return await actor_for_token(sessions, bearer_token(authorization))
