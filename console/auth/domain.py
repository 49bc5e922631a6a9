"""Sign-in rules (登录规则). Pure: no I/O, no clock of its own — every `now` comes in as an argument.

- A session token is 256 random bits shown to the browser once; the database keeps only its SHA-256.
- A session ends after `idle` without a request (空闲超时) or `absolute` after sign-in (绝对超时).
- Repeated failures are throttled per login and per address (防暴力破解) within `window`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from ticketing.domain.roles import Role

SESSION_COOKIE = "hotline_session"
LOGIN_CSRF_COOKIE = "hotline_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class ConsoleError(Exception):
    """Base of the console's errors; the message is Chinese first, then English."""

    error_id = "console-error"
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SignInRefused(ConsoleError):
    """Wrong login or password, inactive account, or no password set (登录失败). One message for all,
    so the page does not tell an attacker which logins exist."""

    error_id = "sign-in-refused"
    status = 401

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__("账号或密码错误 (wrong login or password)")


class SignInThrottled(ConsoleError):
    """Too many failures for this login or address; try again later (尝试次数过多)."""

    error_id = "sign-in-throttled"
    status = 429

    def __init__(self, retry_after_s: int) -> None:
        self.retry_after_s = retry_after_s
        minutes = max(1, (retry_after_s + 59) // 60)
        super().__init__(f"登录失败次数过多，请 {minutes} 分钟后再试 (too many failed sign-ins)")


class CsrfRejected(ConsoleError):
    """A state-changing request of a signed-in browser without the session's CSRF token (跨站请求伪造防护)."""

    error_id = "csrf-rejected"
    status = 403

    def __init__(self) -> None:
        super().__init__("请求缺少有效的安全令牌，请刷新页面后重试 (missing or wrong CSRF token)")


class WeakPassword(ConsoleError):
    error_id = "weak-password"

    def __init__(self) -> None:
        super().__init__(f"密码至少 {MIN_PASSWORD_LENGTH} 位 (password too short)")


class DemoAccountsInProduction(ConsoleError):
    """Production mode with demo accounts present: the service refuses to start (生产模式禁止演示账号)."""

    error_id = "demo-accounts-in-production"

    def __init__(self, logins: list[str]) -> None:
        self.logins = logins
        super().__init__(
            "生产模式下存在演示账号，服务拒绝启动；请运行 hotline demo remove 停用这些账号: "
            + ", ".join(logins)
            + " (production mode refuses to start with demo accounts: "
            + ", ".join(logins)
            + "; run `hotline demo remove` to deactivate them)"
        )


MIN_PASSWORD_LENGTH = 8


def check_password_strength(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword()
    return password


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)
    touch_every: timedelta = timedelta(seconds=60)  # last-seen is written at most this often


@dataclass(frozen=True)
class ThrottlePolicy:
    window: timedelta = timedelta(minutes=15)
    per_login: int = 5
    per_address: int = 20


def new_secret() -> str:
    """256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def tokens_match(expected: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def session_alive(policy: SessionPolicy, last_seen_at: datetime, expires_at: datetime, now: datetime) -> bool:
    """Inside both the absolute and the idle timeout."""
    return now < expires_at and now < last_seen_at + policy.idle


def throttle_wait(
    policy: ThrottlePolicy,
    login_failures: list[datetime],
    address_failures: list[datetime],
    now: datetime,
) -> int:
    """Seconds until the next attempt is allowed; 0 when it may go ahead. Failures are those of the
    window (since the last success of the login)."""
    waits = []
    for failures, limit in ((login_failures, policy.per_login), (address_failures, policy.per_address)):
        recent = sorted(at for at in failures if at > now - policy.window)
        if len(recent) >= limit:
            # the oldest failure that keeps the count at the limit leaves the window first
            release = recent[len(recent) - limit] + policy.window
            waits.append(max(1, int((release - now).total_seconds())))
    return max(waits, default=0)


def home_path(role: Role) -> str:
    """Where `/` sends a signed-in user."""
    if role.is_unit_staff:
        return "/unit/inbox"
    if role is Role.ADMIN:
        return "/admin/users"
    if role is Role.SUPERVISOR:
        return "/supervise"
    return "/agent"  # agents: the agent console (坐席工作台)


@dataclass(frozen=True)
class DemoAccount:
    login: str
    name: str
    role: Role
    unit_code: str | None
    password: str


DEMO_UNITS = (("demo-market", "县市场监督管理局（演示）"), ("demo-tax", "县税务局（演示）"))
DEMO_PASSWORD = "demo12345"
DEMO_ACCOUNTS = (
    DemoAccount("demo-admin", "演示管理员", Role.ADMIN, None, DEMO_PASSWORD),
    DemoAccount("demo-supervisor", "演示督查员", Role.SUPERVISOR, None, DEMO_PASSWORD),
    DemoAccount("demo-agent", "演示话务员", Role.AGENT, None, DEMO_PASSWORD),
    DemoAccount("demo-handler", "演示承办人（市场监管）", Role.UNIT_HANDLER, "demo-market", DEMO_PASSWORD),
    DemoAccount("demo-leader", "演示负责人（市场监管）", Role.UNIT_LEADER, "demo-market", DEMO_PASSWORD),
    DemoAccount("demo-tax", "演示承办人（税务）", Role.UNIT_HANDLER, "demo-tax", DEMO_PASSWORD),
)
