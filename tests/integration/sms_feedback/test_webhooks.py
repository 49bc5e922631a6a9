"""Twilio's webhooks reach the service through a proxy; signatures are made by the library itself."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from aiohttp import web
from twilio.request_validator import RequestValidator

from sms_feedback.adapters.memory_log import MemorySmsEventLog
from sms_feedback.adapters.webhooks import INBOUND_PATH, STATUS_PATH, TwilioWebhooks
from sms_feedback.domain.reply import ParsedReply, Rating
from sms_feedback.ports import InboundSms

TOKEN = "webhook-auth-token-0001"
PUBLIC = "https://hotline.example.gov.cn/12345"  # the proxy adds /12345 in front of the service's paths
ENTERPRISE = "+8613800138000"
OURS = "+8675512345000"
NOW = datetime(2025, 6, 12, 9, 30, tzinfo=UTC)


@dataclass
class RecordingReplies:
    """The survey service's stand-in: remembers what it was asked to act on."""

    seen: list[tuple[InboundSms, ParsedReply]] = field(default_factory=list)

    async def on_reply(self, sms: InboundSms, parsed: ParsedReply) -> None:
        self.seen.append((sms, parsed))


@dataclass
class Hooks:
    client: object
    events: MemorySmsEventLog
    replies: RecordingReplies

    async def post(
        self,
        path: str,
        form: dict[str, str],
        *,
        token: str = TOKEN,
        signed_url: str | None = None,
        signature: str | None = None,
        sign_form: dict[str, str] | None = None,
    ):
        url = signed_url if signed_url is not None else PUBLIC + path
        if signature is None:
            signature = RequestValidator(token).compute_signature(
                url, sign_form if sign_form is not None else form
            )
        headers = {"X-Twilio-Signature": signature} if signature else {}
        return await self.client.post(path, data=form, headers=headers)  # type: ignore[attr-defined]


@pytest.fixture
async def hooks(aiohttp_client) -> Hooks:
    events, replies = MemorySmsEventLog(), RecordingReplies()
    app = web.Application()
    TwilioWebhooks(TOKEN, PUBLIC, events, replies, clock=lambda: NOW).add_routes(app.router)
    return Hooks(await aiohttp_client(app), events, replies)


def _sid() -> str:
    return "SM" + uuid.uuid4().hex


def _reply(body: str, sid: str | None = None) -> dict[str, str]:
    return {
        "MessageSid": sid or _sid(),
        "SmsSid": sid or _sid(),
        "AccountSid": "AC" + "0" * 32,
        "From": ENTERPRISE,
        "To": OURS,
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
        "FromCountry": "CN",
    }


async def test_a_signed_reply_is_read_recorded_and_handed_on(hooks):
    form = _reply("3 办得太慢")

    response = await hooks.post(INBOUND_PATH, form)

    assert response.status == 200
    assert response.content_type == "text/xml"
    assert "<Response" in await response.text()
    sms, parsed = hooks.events.inbound[form["MessageSid"]]
    assert (sms.from_number, sms.to_number, sms.body, sms.received_at) == (
        ENTERPRISE,
        OURS,
        "3 办得太慢",
        NOW,
    )
    assert parsed.rating is Rating.DISSATISFIED and parsed.comment == "办得太慢"
    assert hooks.replies.seen == [(sms, parsed)]


async def test_the_same_message_delivered_twice_is_recorded_once(hooks):
    form = _reply("1")

    first = await hooks.post(INBOUND_PATH, form)
    second = await hooks.post(INBOUND_PATH, form)

    assert (first.status, second.status) == (200, 200)  # Twilio must not keep retrying
    assert list(hooks.events.inbound) == [form["MessageSid"]]
    assert len(hooks.replies.seen) == 1


async def test_an_opt_out_reply_arrives_as_opt_out(hooks):
    form = _reply("TD")

    await hooks.post(INBOUND_PATH, form)

    assert hooks.replies.seen[0][1].rating is Rating.OPT_OUT


async def test_a_signature_made_with_another_token_is_refused(hooks):
    response = await hooks.post(INBOUND_PATH, _reply("1"), token="someone-elses-token")

    assert response.status == 403
    assert (await response.json())["error"] == "bad-signature"
    assert hooks.events.inbound == {} and hooks.replies.seen == []


async def test_a_missing_signature_is_refused(hooks):
    response = await hooks.post(INBOUND_PATH, _reply("1"), signature="")

    assert response.status == 403
    assert (await response.json())["error"] == "missing-signature"
    assert hooks.events.inbound == {}


async def test_a_signature_for_the_internal_url_is_refused(hooks):
    """Signed for the address the service sees, not the public one Twilio was given: forged or misrouted."""
    response = await hooks.post(
        INBOUND_PATH, _reply("1"), signed_url=f"{hooks.client.make_url(INBOUND_PATH)}"
    )

    assert response.status == 403
    assert hooks.events.inbound == {}


async def test_a_body_changed_after_signing_is_refused(hooks):
    signed = _reply("3 问题没解决")
    tampered = {**signed, "Body": "1"}

    response = await hooks.post(INBOUND_PATH, tampered, sign_form=signed)

    assert response.status == 403
    assert hooks.events.inbound == {}


async def test_the_query_string_is_part_of_what_is_signed(hooks):
    form = _reply("2")
    path = INBOUND_PATH + "?survey=42"

    good = await hooks.post(path, form)
    bad = await hooks.post(path, _reply("2"), signed_url=PUBLIC + INBOUND_PATH)

    assert (good.status, bad.status) == (200, 403)


@pytest.mark.parametrize("missing", ["MessageSid", "From", "To", "Body"])
async def test_a_signed_reply_missing_a_field_is_malformed(hooks, missing):
    form = _reply("1")
    del form[missing]

    response = await hooks.post(INBOUND_PATH, form)

    assert response.status == 400
    body = await response.json()
    assert body["error"] == "malformed-request" and missing in body["message"]
    assert hooks.events.inbound == {} and hooks.replies.seen == []


async def test_an_empty_body_is_a_reply_that_reads_as_unclear(hooks):
    form = _reply("")

    response = await hooks.post(INBOUND_PATH, form)

    assert response.status == 200
    assert hooks.events.inbound[form["MessageSid"]][1].rating is Rating.UNCLEAR


async def test_a_malformed_message_sid_is_refused(hooks):
    response = await hooks.post(INBOUND_PATH, _reply("1", sid="SM-not-a-sid"))

    assert response.status == 400
    assert hooks.events.inbound == {}


async def test_a_json_body_is_malformed_even_when_signed(hooks):
    url = PUBLIC + INBOUND_PATH
    signature = RequestValidator(TOKEN).compute_signature(url, {})

    response = await hooks.client.post(  # type: ignore[attr-defined]
        INBOUND_PATH,
        data=json.dumps(_reply("1")),
        headers={"X-Twilio-Signature": signature, "Content-Type": "application/json"},
    )

    assert response.status == 400
    assert hooks.events.inbound == {}


def _status(sid: str, status: str, error_code: str | None = None) -> dict[str, str]:
    form = {
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": status,
        "SmsStatus": status,
        "AccountSid": "AC" + "0" * 32,
        "From": OURS,
        "To": ENTERPRISE,
        "ApiVersion": "2010-04-01",
    }
    if error_code is not None:
        form["ErrorCode"] = error_code
    return form


async def test_status_callbacks_are_recorded_once_per_status(hooks):
    sid = _sid()

    for status in ("queued", "sent", "sent", "delivered"):
        response = await hooks.post(STATUS_PATH, _status(sid, status))
        assert response.status == 204

    assert [s for (_, s) in hooks.events.statuses] == ["queued", "sent", "delivered"]
    assert hooks.events.latest_status(sid).status == "delivered"


async def test_an_undelivered_sms_is_recorded_as_failed_with_its_error_code(hooks):
    sid = _sid()

    await hooks.post(STATUS_PATH, _status(sid, "undelivered", "30003"))

    latest = hooks.events.latest_status(sid)
    assert latest.failed and latest.error_code == 30003 and latest.received_at == NOW


@pytest.mark.parametrize(
    "form",
    [
        {"MessageStatus": "delivered"},
        {"MessageSid": "SM" + "a" * 32},
        {"MessageSid": "SM" + "a" * 32, "MessageStatus": "teleported"},
        {"MessageSid": "SM" + "a" * 32, "MessageStatus": "failed", "ErrorCode": "thirty"},
    ],
    ids=["no-sid", "no-status", "unknown-status", "non-numeric-error-code"],
)
async def test_malformed_status_callbacks_change_nothing(hooks, form):
    response = await hooks.post(STATUS_PATH, form)

    assert response.status == 400
    assert hooks.events.statuses == {}


async def test_a_forged_status_callback_is_refused(hooks):
    response = await hooks.post(STATUS_PATH, _status(_sid(), "failed", "30007"), token="forger")

    assert response.status == 403
    assert hooks.events.statuses == {}


async def test_a_failing_reply_handler_still_acknowledges_and_keeps_the_reply(aiohttp_client):
    class Broken:
        async def on_reply(self, sms: InboundSms, parsed: ParsedReply) -> None:
            raise RuntimeError("survey service down")

    events = MemorySmsEventLog()
    app = web.Application()
    TwilioWebhooks(TOKEN, PUBLIC, events, Broken(), clock=lambda: NOW).add_routes(app.router)
    hooks = Hooks(await aiohttp_client(app), events, RecordingReplies())
    form = _reply("1")

    response = await hooks.post(INBOUND_PATH, form)

    assert response.status == 200
    assert form["MessageSid"] in events.inbound
