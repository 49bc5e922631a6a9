"""SQL of the console: sessions, the sign-in audit, demo marks, and the users' password column."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from console.adapters.orm import DemoAccountRow, SessionRow, SignInRow
from ticketing.adapters.orm import UserRow


async def user_by_login(session: AsyncSession, login: str) -> UserRow | None:
    return await session.scalar(select(UserRow).where(UserRow.login == login))


async def failures_since(
    session: AsyncSession, since: datetime, *, login: str | None = None, ip: str | None = None
) -> list[datetime]:
    """Times of failed sign-ins (not counting refusals for throttling) since `since`."""
    stmt = select(SignInRow.at).where(
        SignInRow.success.is_(False), SignInRow.reason != "throttled", SignInRow.at > since
    )
    if login is not None:
        stmt = stmt.where(SignInRow.login == login)
    if ip is not None:
        stmt = stmt.where(SignInRow.ip == ip)
    return list((await session.scalars(stmt)).all())


async def last_success(session: AsyncSession, login: str) -> datetime | None:
    return await session.scalar(
        select(func.max(SignInRow.at)).where(SignInRow.login == login, SignInRow.success.is_(True))
    )


async def session_with_user(session: AsyncSession, session_id: str) -> tuple[SessionRow, UserRow] | None:
    row = (
        await session.execute(
            select(SessionRow, UserRow).join(UserRow, UserRow.id == SessionRow.user_id).where(SessionRow.id == session_id)
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


async def drop_sessions_of(session: AsyncSession, user_id: int) -> None:
    await session.execute(delete(SessionRow).where(SessionRow.user_id == user_id))


async def drop_expired(session: AsyncSession, now: datetime) -> None:
    await session.execute(delete(SessionRow).where(SessionRow.expires_at <= now))


async def active_demo_logins(session: AsyncSession) -> list[str]:
    stmt = (
        select(UserRow.login)
        .join(DemoAccountRow, DemoAccountRow.user_id == UserRow.id)
        .where(UserRow.active.is_(True))
        .order_by(UserRow.login)
    )
    return list((await session.scalars(stmt)).all())
