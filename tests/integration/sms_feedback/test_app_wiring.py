"""sms_feedback inside the whole service: gateway choice, webhooks, outbox delivery, the outbox API."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from hotline.app import SESSIONS, create_app
from hotline.db import upgrade
from sms_feedback.adapters.local_outbox import LocalOutboxGateway
from sms_feedback.adapters.orm import InboundMessageRow
from sms_feedback.adapters.twilio_gateway import TwilioGateway
from sms_feedback.adapters.webhooks import INBOUND_PATH, STATUS_PATH
from sms_feedback.domain.reply import Rating
from sms_feedback.web import SMS_GATEWAY
from tests.fakes.twilio_fixtures import ACCOUNT_SID, AUTH_TOKEN
from ticketing.adapters.orm import OutboxRow
from ticketing.background import BACKGROUND, OUTBOX_HANDLERS
from ticketing.domain.roles import Role
from ticketing.outbox import OutboxWorker, enqueue
from ticketing.services import Directory

PUBLIC = "https://hotline.example.gov.cn"
NOW = datetime(2025, 6, 12, 2, 0, tzinfo=UTC)


@pytest.fixture
def migrated(settings):
    upgrade(settings.database_url)
    return settings


async def test_without_twilio_the_service_keeps_sms_locally_and_mounts_no_webhooks(migrated, aiohttp_client):
    client = await aiohttp_client(create_app(migrated, overrides={BACKGROUND: False}))

    assert isinstance(client.app[SMS_GATEWAY], LocalOutboxGateway)
    assert (await client.post(INBOUND_PATH, data={"Body": "1"})).status in (404, 405)


async def test_an_sms_queued_by_ticketing_is_delivered_through_the_gateway(migrated, aiohttp_client):
    client = await aiohttp_client(create_app(migrated, overrides={BACKGROUND: False}))
    sessions = client.app[SESSIONS]
    async with sessions.begin() as session:
        await enqueue(
            session,
            "sms.caller",
            {
                "to": "139 0000 1111",
                "body": "【12345】您的工单延期至10月17日",
                "purpose": "extension_approved",
            },
            "extension-approved:T1",
            now=NOW,
        )
        await enqueue(
            session, "sms.caller", {"to": "0755-12345678", "body": "座机收不到"}, "landline", now=NOW
        )

    report = await OutboxWorker(sessions, client.app[OUTBOX_HANDLERS]).run_once(NOW)

    [kept] = client.app[SMS_GATEWAY].messages  # type: ignore[attr-defined]
    assert (kept.to, kept.body) == ("+8613900001111", "【12345】您的工单延期至10月17日")
    assert len(report.delivered) == 1 and len(report.failed) == 1  # a landline is not retried
    async with sessions() as session:
        landline = (
            await session.scalars(select(OutboxRow).where(OutboxRow.idempotency_key == "landline"))
        ).one()
    assert landline.failed_at is not None and landline.attempts == 1
    assert "SmsPermanentError" in landline.last_error and "不是手机号码" in landline.last_error


async def test_with_twilio_the_webhooks_check_signatures_against_the_public_url(
    migrated, aiohttp_client, fake_twilio
):
    settings = replace(
        migrated,
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_from="+8675512345000",
        public_url=PUBLIC,
    )
    gateway = TwilioGateway(ACCOUNT_SID, AUTH_TOKEN, "+8675512345000", api_base_url=fake_twilio.url)
    client = await aiohttp_client(create_app(settings, overrides={BACKGROUND: False, SMS_GATEWAY: gateway}))
    form = {"MessageSid": "SM" + "1" * 32, "From": "+8613900001111", "To": "+8675512345000", "Body": "2 还行"}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC + INBOUND_PATH, form)

    good = await client.post(INBOUND_PATH, data=form, headers={"X-Twilio-Signature": signature})
    forged = await client.post(
        INBOUND_PATH, data={**form, "Body": "1"}, headers={"X-Twilio-Signature": signature}
    )

    assert (good.status, forged.status) == (200, 403)
    async with client.app[SESSIONS]() as session:
        kept = (await session.scalars(select(InboundMessageRow))).one()
    assert (kept.message_sid, kept.parsed_kind) == (form["MessageSid"], Rating.BASICALLY_SATISFIED.value)

    sessions = client.app[SESSIONS]
    async with sessions.begin() as session:
        await enqueue(session, "sms.caller", {"to": "13900001111", "body": "测试"}, "k1", now=NOW)
    await OutboxWorker(sessions, client.app[OUTBOX_HANDLERS]).run_once(NOW)

    [request] = fake_twilio.fake.requests
    assert request.form["StatusCallback"] == PUBLIC + STATUS_PATH
    assert request.form["To"] == "+8613900001111"


async def test_the_local_outbox_is_listed_for_agents_and_supervisors_only(migrated, aiohttp_client):
    client = await aiohttp_client(create_app(migrated, overrides={BACKGROUND: False}))
    directory = Directory(client.app[SESSIONS])
    _, supervisor = await directory.add_user("duban", "督办员", Role.SUPERVISOR)
    unit = (await directory.units())[0]
    _, handler = await directory.add_user("chengban", "承办人", Role.UNIT_HANDLER, unit.id)
    await client.app[SMS_GATEWAY].send("+8613900001111", "【12345营商环境专线】回复1满意")

    listed = await client.get("/api/v1/sms/outbox", headers={"Authorization": f"Bearer {supervisor}"})
    refused = await client.get("/api/v1/sms/outbox", headers={"Authorization": f"Bearer {handler}"})
    anonymous = await client.get("/api/v1/sms/outbox")

    assert listed.status == 200
    body = await listed.json()
    assert body["gateway"] == "local"
    assert [(m["to"], m["body"], m["segments"]) for m in body["messages"]] == [
        ("+8613900001111", "【12345营商环境专线】回复1满意", 1)
    ]
    assert (refused.status, anonymous.status) == (403, 401)
