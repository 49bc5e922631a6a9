"""The real `twilio` library sends survey SMS through a local fake of Twilio's REST API."""

from __future__ import annotations

import base64
import socket

import pytest

from sms_feedback.adapters.local_outbox import LocalOutboxGateway
from sms_feedback.adapters.twilio_gateway import TwilioGateway, choose_gateway
from sms_feedback.domain.wording import SurveyItem, survey_sms
from sms_feedback.ports import SmsPermanentError, SmsRetryableError
from tests.fakes.twilio_fixtures import ACCOUNT_SID, AUTH_TOKEN

SENDER = "+8675512345000"
ENTERPRISE = "+8613800138000"
CALLBACK = "https://hotline.example.gov.cn/sms/twilio/status"


@pytest.fixture
async def gateway(fake_twilio):
    gw = TwilioGateway(ACCOUNT_SID, AUTH_TOKEN, SENDER, api_base_url=fake_twilio.url, timeout=2.0)
    yield gw
    await gw.close()


async def test_a_survey_goes_out_as_exactly_the_request_twilio_expects(fake_twilio, gateway):
    body = survey_sms(
        SurveyItem("20240611037", "食品经营许可证办理缓慢"), "https://hotline.example.gov.cn/r/Ab12"
    )

    sent = await gateway.send(ENTERPRISE, body, CALLBACK)

    assert sent.sid.startswith("SM") and len(sent.sid) == 34
    assert sent.status == "queued"
    [request] = fake_twilio.fake.requests
    assert request.method == "POST"
    assert request.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert request.form == {"To": ENTERPRISE, "From": SENDER, "Body": body, "StatusCallback": CALLBACK}
    expected_auth = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {expected_auth}"
    assert request.headers["User-Agent"].startswith("twilio-python/9.")


async def test_without_a_status_callback_none_is_sent(fake_twilio, gateway):
    await gateway.send(ENTERPRISE, "【12345营商环境专线】测试")

    assert "StatusCallback" not in fake_twilio.fake.requests[0].form


async def test_a_messaging_service_sender_is_passed_as_messaging_service_sid(fake_twilio):
    service = "MG" + "f" * 32
    gw = TwilioGateway(ACCOUNT_SID, AUTH_TOKEN, service, api_base_url=fake_twilio.url)
    try:
        sent = await gw.send(ENTERPRISE, "回复1满意", CALLBACK)
    finally:
        await gw.close()

    assert sent.status == "accepted"
    assert fake_twilio.fake.requests[0].form == {
        "To": ENTERPRISE,
        "MessagingServiceSid": service,
        "Body": "回复1满意",
        "StatusCallback": CALLBACK,
    }


@pytest.mark.parametrize("status", [500, 502, 503, 429])
async def test_server_errors_and_throttling_are_retryable(fake_twilio, gateway, status):
    fake_twilio.fake.fail_next(status, 20500 if status != 429 else 20429, "Internal Server Error")

    with pytest.raises(SmsRetryableError) as caught:
        await gateway.send(ENTERPRISE, "回复1满意", CALLBACK)

    assert caught.value.retryable and caught.value.http_status == status
    assert caught.value.error_id == "sms-send-retryable"


async def test_an_invalid_number_is_a_permanent_error_with_twilios_code(gateway):
    with pytest.raises(SmsPermanentError) as caught:
        await gateway.send("13800138000", "回复1满意", CALLBACK)

    assert not caught.value.retryable
    assert (caught.value.http_status, caught.value.code) == (400, 21211)
    assert "21211" in caught.value.message


async def test_an_unsubscribed_recipient_is_permanent(fake_twilio, gateway):
    fake_twilio.fake.fail_next(400, 21610, "Attempt to send to unsubscribed recipient")

    with pytest.raises(SmsPermanentError) as caught:
        await gateway.send(ENTERPRISE, "回复1满意", CALLBACK)

    assert caught.value.code == 21610


async def test_wrong_credentials_are_permanent(fake_twilio):
    gw = TwilioGateway(ACCOUNT_SID, "not-the-token", SENDER, api_base_url=fake_twilio.url)
    try:
        with pytest.raises(SmsPermanentError) as caught:
            await gw.send(ENTERPRISE, "回复1满意", CALLBACK)
    finally:
        await gw.close()

    assert (caught.value.http_status, caught.value.code) == (401, 20003)


async def test_a_request_that_outlasts_the_timeout_is_retryable(fake_twilio):
    fake_twilio.fake.hold_next()
    gw = TwilioGateway(ACCOUNT_SID, AUTH_TOKEN, SENDER, api_base_url=fake_twilio.url, timeout=0.2)
    try:
        with pytest.raises(SmsRetryableError, match="超时"):
            await gw.send(ENTERPRISE, "回复1满意", CALLBACK)
    finally:
        await gw.close()

    assert len(fake_twilio.fake.requests) == 1  # the request did reach Twilio; only the answer was late


async def test_an_unreachable_twilio_is_retryable():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    gw = TwilioGateway(ACCOUNT_SID, AUTH_TOKEN, SENDER, api_base_url=f"http://127.0.0.1:{port}", timeout=2.0)
    try:
        with pytest.raises(SmsRetryableError, match="无法连接"):
            await gw.send(ENTERPRISE, "回复1满意", CALLBACK)
    finally:
        await gw.close()


async def test_without_credentials_the_local_outbox_keeps_the_message():
    gateway = choose_gateway(None, None, None)
    assert isinstance(gateway, LocalOutboxGateway)

    sent = await gateway.send(ENTERPRISE, "【12345营商环境专线】回复1满意", CALLBACK)

    [kept] = gateway.messages
    assert (kept.sid, kept.to, kept.status_callback, kept.segments) == (sent.sid, ENTERPRISE, CALLBACK, 1)
    assert sent.status == "stored"
    assert gateway.sent_to(ENTERPRISE) == [kept]


def test_with_all_three_credentials_twilio_is_chosen():
    assert isinstance(choose_gateway(ACCOUNT_SID, AUTH_TOKEN, SENDER), TwilioGateway)
    assert isinstance(choose_gateway(ACCOUNT_SID, AUTH_TOKEN, None), LocalOutboxGateway)


async def test_a_gateway_error_page_without_json_is_still_retryable(fake_twilio, gateway):
    fake_twilio.fake.fail_next_with_page(502, "<html><body>502 Bad Gateway</body></html>")

    with pytest.raises(SmsRetryableError) as caught:
        await gateway.send(ENTERPRISE, "回复1满意", CALLBACK)

    assert caught.value.http_status == 502 and caught.value.retryable
