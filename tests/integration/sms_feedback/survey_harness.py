"""The whole service with Twilio pointed at the local fake, for the survey-loop scenarios.

`SurveyHarness` closes work orders through ticketing's real services (the survey row is queued in the
same transaction), runs the outbox worker one pass at a time at the scenario's clock, posts webhooks
signed by the `twilio` library's `RequestValidator`, and reads the tables back.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from twilio.request_validator import RequestValidator

from hotline.app import SESSIONS, create_app
from hotline.db import upgrade_async
from hotline.settings import Settings
from sms_feedback.adapters.orm import InboundMessageRow, SurveyRow
from sms_feedback.adapters.twilio_gateway import TwilioGateway
from sms_feedback.adapters.webhooks import INBOUND_PATH, STATUS_PATH
from sms_feedback.ports import SmsGateway
from sms_feedback.web import SMS_GATEWAY
from tests.fakes.fake_twilio import FakeTwilio, ReceivedRequest
from tests.fakes.twilio_fixtures import ACCOUNT_SID, AUTH_TOKEN
from ticketing.adapters.orm import OutboxRow, WorkOrderRow
from ticketing.background import BACKGROUND, OUTBOX_HANDLERS
from ticketing.domain import workorder as wo
from ticketing.domain.roles import Actor, Role
from ticketing.outbox import DeliveryReport, OutboxWorker
from ticketing.web import NOW, WORKORDERS

TZ = ZoneInfo("Asia/Shanghai")
PUBLIC = "https://gov.example.cn/12345"
SENDER = "+8657812345000"
PHONE = "+8613900001111"
AGENT = Actor(id=None, name="坐席", role=Role.AGENT)


def local(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


@dataclass
class Clock:
    at: datetime

    def now(self) -> datetime:
        return self.at


@dataclass
class SurveyHarness:
    client: TestClient
    clock: Clock
    fake: FakeTwilio
    settings: Settings

    @property
    def app(self) -> Any:
        return self.client.app

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        return self.app[SESSIONS]  # type: ignore[no-any-return]

    def worker(self, worker_id: str = "worker-1") -> OutboxWorker:
        return OutboxWorker(self.sessions, self.app[OUTBOX_HANDLERS], worker_id=worker_id)

    async def deliver(self, worker_id: str = "worker-1") -> DeliveryReport:
        """One outbox pass at the scenario's time."""
        return await self.worker(worker_id).run_once(self.clock.now())

    async def close_work_order(self, phone: str | None = "13900001111", title: str = "食品经营许可证办理缓慢") -> str:
        """A consultation answered on the line: drafted and closed at once (its survey queued with it)."""
        service = self.app[WORKORDERS]
        details = wo.Details(caller_phone=phone, title=title, content=f"来电反映{title}")
        draft = await service.create_draft(AGENT, details=details)
        await service.register(
            AGENT,
            draft.number,
            order_class=wo.OrderClass.CONSULTATION,
            service=wo.Service.MATTER_CONSULTATION,
            answered_on_line=True,
            result="已当场答复并告知办理渠道",
        )
        return str(draft.number)

    def sms_to(self, phone: str = PHONE) -> list[ReceivedRequest]:
        return [r for r in self.fake.requests if r.form.get("To") == phone]

    async def post_signed(self, path: str, form: dict[str, str], signed_url: str | None = None) -> ClientResponse:
        url = signed_url or PUBLIC + path
        signature = RequestValidator(AUTH_TOKEN).compute_signature(url, form)
        return await self.client.post(path, data=form, headers={"X-Twilio-Signature": signature})

    async def reply(self, body: str, sid: str, phone: str = PHONE) -> ClientResponse:
        form = {"MessageSid": sid, "From": phone, "To": SENDER, "Body": body}
        return await self.post_signed(INBOUND_PATH, form)

    async def status(self, sid: str, status: str, error_code: str = "") -> ClientResponse:
        form = {"MessageSid": sid, "MessageStatus": status}
        if error_code:
            form["ErrorCode"] = error_code
        return await self.post_signed(STATUS_PATH, form)

    async def surveys(self) -> list[SurveyRow]:
        async with self.sessions() as session:
            return list((await session.scalars(select(SurveyRow).order_by(SurveyRow.id))).all())

    async def survey_of(self, number: str) -> SurveyRow:
        (survey,) = [s for s in await self.surveys() if s.workorder_number == number]
        return survey

    async def outbox(self, kind: str) -> list[OutboxRow]:
        async with self.sessions() as session:
            query = select(OutboxRow).where(OutboxRow.kind == kind).order_by(OutboxRow.id)
            return list((await session.scalars(query)).all())

    async def inbound(self) -> list[InboundMessageRow]:
        async with self.sessions() as session:
            return list((await session.scalars(select(InboundMessageRow).order_by(InboundMessageRow.id))).all())

    async def work_order(self, number: str) -> WorkOrderRow:
        async with self.sessions() as session:
            return (await session.scalars(select(WorkOrderRow).where(WorkOrderRow.number == number))).one()


_TEMPLATES: dict[str, Path] = {}


async def _migrated(url: str) -> None:
    """Migrate the database; an SQLite file is a copy of one migrated once per test run (faster)."""
    target = make_url(url)
    if target.get_backend_name() != "sqlite" or not target.database:
        await upgrade_async(url)
        return
    if "sqlite" not in _TEMPLATES:
        folder = Path(tempfile.mkdtemp(prefix="survey-template-"))
        atexit.register(shutil.rmtree, folder, True)
        template = folder / "hotline.sqlite3"
        await upgrade_async(f"sqlite+aiosqlite:///{template}")
        _TEMPLATES["sqlite"] = template
    shutil.copyfile(_TEMPLATES["sqlite"], target.database)


@asynccontextmanager
async def survey_harness(
    settings: Settings,
    aiohttp_client: Any,
    aiohttp_server: Any,
    *,
    fake: FakeTwilio | None = None,
    wrap: Callable[[SmsGateway], SmsGateway] | None = None,
    start: datetime | None = None,
    overrides: dict[Any, Any] | None = None,
) -> AsyncIterator[SurveyHarness]:
    """The service on `settings.database_url` (migrated here) with Twilio configured at the fake;
    `wrap` puts something around the real Twilio gateway (a fault to inject)."""
    await _migrated(settings.database_url)
    fake = fake or FakeTwilio(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN)
    fake.account_sid, fake.auth_token = ACCOUNT_SID, AUTH_TOKEN
    server = await aiohttp_server(fake.app())
    base = str(server.make_url("")).rstrip("/")
    configured = replace(
        settings,
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_from=SENDER,
        public_url=PUBLIC,
        survey_link_secret="test-link-secret",
    )
    clock = Clock(start or local(12, 1, 10))
    twilio = TwilioGateway(ACCOUNT_SID, AUTH_TOKEN, SENDER, api_base_url=base, timeout=2)
    gateway = wrap(twilio) if wrap is not None else twilio
    keys: dict[Any, Any] = {BACKGROUND: False, NOW: clock.now, SMS_GATEWAY: gateway, **(overrides or {})}
    client = await aiohttp_client(create_app(configured, overrides=keys))
    try:
        yield SurveyHarness(client, clock, fake, configured)
    finally:
        fake.release.set()
        await twilio.close()
