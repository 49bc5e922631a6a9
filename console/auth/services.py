"""Sign-in and accounts as use cases (async; ports come in through the constructor).

`SignInService` turns a login and password into a session (or a refusal, audited either way) and a
cookie token back into the person behind it. `Accounts` sets passwords, creates the first admin and
the demo accounts, and tells whether demo accounts exist (production refuses them).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from console.adapters import store
from console.adapters.orm import DemoAccountRow, SessionRow, SignInRow
from console.auth import domain
from console.auth.passwords import Passwords
from ticketing.adapters.orm import UnitRow, UserRow
from ticketing.auth import hash_token, new_token
from ticketing.domain.errors import InvalidInput, NotFound
from ticketing.domain.roles import USER_ROLES, Actor, Role

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class SignedIn:
    """A live browser session: who, and the CSRF token its forms must carry."""

    session_id: str
    actor: Actor
    login: str
    csrf_token: str


class SignInService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        passwords: Passwords,
        now: Callable[[], datetime] = utcnow,
        policy: domain.SessionPolicy | None = None,
        throttle: domain.ThrottlePolicy | None = None,
    ) -> None:
        self._sessions = sessions
        self._passwords = passwords
        self._now = now
        self.policy = policy or domain.SessionPolicy()
        self.throttle = throttle or domain.ThrottlePolicy()

    async def sign_in(
        self, login: str, password: str, ip: str | None, user_agent: str | None
    ) -> tuple[str, SignedIn]:
        """A new session's cookie token and its details; `SignInRefused` or `SignInThrottled` otherwise.
        Every attempt leaves an audit row."""
        login = login.strip()[:60]
        user_agent = (user_agent or "")[:300] or None
        now = self._now()
        async with self._sessions() as session:
            since = now - self.throttle.window
            last_ok = await store.last_success(session, login)
            login_since = max(since, last_ok) if last_ok is not None else since
            wait = domain.throttle_wait(
                self.throttle,
                await store.failures_since(session, login_since, login=login),
                await store.failures_since(session, since, ip=ip) if ip else [],
                now,
            )
            user = await store.user_by_login(session, login)
        if wait:
            await self._audit(login, user, ip, user_agent, False, "throttled", now)
            log.warning("sign-in throttled: login=%s ip=%s wait=%ss", login, ip, wait)
            raise domain.SignInThrottled(wait)
        matches = await self._passwords.verify(user.password_hash if user else None, password)
        reason = "ok"
        if user is None:
            reason = "unknown_login"
        elif not user.password_hash:
            reason = "no_password"
        elif not matches:
            reason = "wrong_password"
        elif not user.active:
            reason = "inactive"
        elif Role(user.role) not in USER_ROLES:
            reason = "role_not_allowed"
        if reason != "ok" or user is None:
            await self._audit(login, user, ip, user_agent, False, reason, now)
            log.info("sign-in refused: login=%s ip=%s reason=%s", login, ip, reason)
            raise domain.SignInRefused(reason)
        token = domain.new_secret()
        signed = SignedIn(
            session_id=domain.digest(token),
            actor=_actor(user),
            login=user.login,
            csrf_token=domain.new_secret(),
        )
        async with self._sessions.begin() as session:
            await store.drop_expired(session, now)
            session.add(
                SessionRow(
                    id=signed.session_id,
                    user_id=user.id,
                    csrf_token=signed.csrf_token,
                    created_at=now,
                    last_seen_at=now,
                    expires_at=now + self.policy.absolute,
                    ip=ip,
                    user_agent=user_agent,
                )
            )
            session.add(_audit_row(login, user, ip, user_agent, True, "ok", now))
        log.info("sign-in: login=%s ip=%s", login, ip)
        return token, signed

    async def _audit(
        self,
        login: str,
        user: UserRow | None,
        ip: str | None,
        user_agent: str | None,
        success: bool,
        reason: str,
        now: datetime,
    ) -> None:
        async with self._sessions.begin() as session:
            session.add(_audit_row(login, user, ip, user_agent, success, reason, now))

    async def resolve(self, token: str) -> SignedIn | None:
        """The live session of a cookie token; None when unknown, expired, idle too long or the
        user was deactivated. Refreshes last-seen (at most once per `touch_every`)."""
        if not token or len(token) > 200:
            return None
        now = self._now()
        session_id = domain.digest(token)
        async with self._sessions() as session:
            found = await store.session_with_user(session, session_id)
        if found is None:
            return None
        row, user = found
        if not domain.session_alive(self.policy, row.last_seen_at, row.expires_at, now) or not user.active:
            async with self._sessions.begin() as session:
                stale = await session.get(SessionRow, session_id)
                if stale is not None:
                    await session.delete(stale)
            return None
        if now - row.last_seen_at >= self.policy.touch_every:
            async with self._sessions.begin() as session:
                live = await session.get(SessionRow, session_id)
                if live is not None:
                    live.last_seen_at = now
        return SignedIn(session_id=session_id, actor=_actor(user), login=user.login, csrf_token=row.csrf_token)

    async def sign_out(self, token: str) -> None:
        async with self._sessions.begin() as session:
            row = await session.get(SessionRow, domain.digest(token))
            if row is not None:
                await session.delete(row)

    async def audit_trail(self, limit: int = 100) -> list[SignInRow]:
        async with self._sessions() as session:
            stmt = select(SignInRow).order_by(SignInRow.at.desc(), SignInRow.id.desc()).limit(limit)
            return list((await session.scalars(stmt)).all())


def _actor(user: UserRow) -> Actor:
    return Actor(id=user.id, name=user.name, role=Role(user.role), unit_id=user.unit_id)


def _audit_row(
    login: str,
    user: UserRow | None,
    ip: str | None,
    user_agent: str | None,
    success: bool,
    reason: str,
    now: datetime,
) -> SignInRow:
    return SignInRow(
        login=login,
        user_id=user.id if user else None,
        at=now,
        ip=ip,
        user_agent=user_agent,
        success=success,
        reason=reason,
    )


class Accounts:
    """Users' passwords, roles and units (账号管理), on ticketing's `users` table."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        passwords: Passwords,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._passwords = passwords
        self._now = now

    async def users(self) -> list[UserRow]:
        async with self._sessions() as session:
            return list((await session.scalars(select(UserRow).order_by(UserRow.login))).all())

    async def create_user(
        self, login: str, name: str, role: Role, unit_id: int | None, password: str
    ) -> UserRow:
        """A user who signs in with a password (an API token is not issued here: `hotline user add`)."""
        login, name = login.strip(), name.strip()
        if not login or not name:
            raise InvalidInput("login", "账号和姓名不能为空 (login and name are required)")
        if role not in USER_ROLES:
            raise InvalidInput("role", f"未知角色 {role} (unknown role)")
        if role.is_unit_staff and unit_id is None:
            raise InvalidInput("unit", "承办单位账号须指定单位 (unit staff need a unit)")
        if not role.is_unit_staff:
            unit_id = None
        hashed = await self._passwords.hash(domain.check_password_strength(password))
        try:
            async with self._sessions.begin() as session:
                if unit_id is not None and await session.get(UnitRow, unit_id) is None:
                    raise InvalidInput("unit", f"承办单位 {unit_id} 不存在 (unknown unit)")
                row = UserRow(login=login, name=name, role=role.value, unit_id=unit_id, password_hash=hashed)
                row.created_at = self._now()
                session.add(row)
                await session.flush()
        except IntegrityError as exc:
            raise InvalidInput("login", f"账号已存在: {login} (login exists)") from exc
        return row

    async def create_first_admin(self, login: str, name: str, password: str) -> UserRow:
        """The first admin (首个管理员); refused once any admin exists (admins then add users)."""
        async with self._sessions() as session:
            existing = await session.scalar(select(UserRow.login).where(UserRow.role == Role.ADMIN.value))
        if existing is not None:
            raise InvalidInput("login", f"已有管理员账号 {existing}，请用它在管理页面添加用户 (an admin exists)")
        return await self.create_user(login, name, Role.ADMIN, None, password)

    async def set_password(self, login: str, password: str) -> UserRow:
        """Set or reset a password; the user's open sessions end."""
        hashed = await self._passwords.hash(domain.check_password_strength(password))
        async with self._sessions.begin() as session:
            user = await store.user_by_login(session, login)
            if user is None:
                raise NotFound(f"账号 {login} 不存在 (no such user)")
            user.password_hash = hashed
            await store.drop_sessions_of(session, user.id)
        return user

    async def update_user(
        self, user_id: int, *, role: Role, unit_id: int | None, active: bool
    ) -> UserRow:
        """Change a user's role, unit or active flag; their open sessions end so the change applies now."""
        if role not in USER_ROLES:
            raise InvalidInput("role", f"未知角色 {role} (unknown role)")
        if role.is_unit_staff and unit_id is None:
            raise InvalidInput("unit", "承办单位账号须指定单位 (unit staff need a unit)")
        async with self._sessions.begin() as session:
            user = await session.get(UserRow, user_id)
            if user is None:
                raise NotFound(f"账号 {user_id} 不存在 (no such user)")
            if unit_id is not None and await session.get(UnitRow, unit_id) is None:
                raise InvalidInput("unit", f"承办单位 {unit_id} 不存在 (unknown unit)")
            user.role = role.value
            user.unit_id = unit_id if role.is_unit_staff else None
            user.active = active
            await store.drop_sessions_of(session, user.id)
        return user

    async def seed_demo(self) -> list[domain.DemoAccount]:
        """Demo units and one user per role with the published password (local use only)."""
        created: list[domain.DemoAccount] = []
        async with self._sessions.begin() as session:
            units: dict[str, int] = {}
            for code, name in domain.DEMO_UNITS:
                unit = await session.scalar(select(UnitRow).where(UnitRow.code == code))
                if unit is None:
                    unit = UnitRow(code=code, name=name, kind="department", active=True)
                    session.add(unit)
                    await session.flush()
                units[code] = unit.id
            for account in domain.DEMO_ACCOUNTS:
                user = await store.user_by_login(session, account.login)
                if user is None:
                    user = UserRow(
                        login=account.login,
                        name=account.name,
                        role=account.role.value,
                        unit_id=units[account.unit_code] if account.unit_code else None,
                        api_token_hash=hash_token(new_token()),
                    )
                    session.add(user)
                    await session.flush()
                    created.append(account)
                user.password_hash = await self._passwords.hash(account.password)
                user.active = True
                if await session.get(DemoAccountRow, user.id) is None:
                    session.add(DemoAccountRow(user_id=user.id, created_at=self._now()))
        return created

    async def deactivate_demo(self) -> list[str]:
        """Deactivate every demo account (their sessions end); the logins that were active."""
        async with self._sessions.begin() as session:
            logins = await store.active_demo_logins(session)
            for login in logins:
                user = await store.user_by_login(session, login)
                if user is not None:
                    user.active = False
                    await store.drop_sessions_of(session, user.id)
        return logins

    async def demo_logins(self) -> list[str]:
        """Active demo accounts (production refuses to start while any exist)."""
        async with self._sessions() as session:
            return await store.active_demo_logins(session)

    async def refuse_demo_in_production(self) -> None:
        logins = await self.demo_logins()
        if logins:
            raise domain.DemoAccountsInProduction(logins)
