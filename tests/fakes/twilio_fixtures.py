"""pytest fixtures for sms_feedback: a running fake Twilio REST server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiohttp.test_utils import TestServer

from tests.fakes.fake_twilio import FakeTwilio

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "fake-twilio-auth-token-0001"


@dataclass(frozen=True)
class RunningFakeTwilio:
    fake: FakeTwilio
    url: str  # http://127.0.0.1:PORT


@pytest.fixture
async def fake_twilio(aiohttp_server) -> AsyncIterator[RunningFakeTwilio]:
    fake = FakeTwilio(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN)
    server: TestServer = await aiohttp_server(fake.app())
    yield RunningFakeTwilio(fake, str(server.make_url("")).rstrip("/"))
    fake.release.set()  # let any held request finish so the server closes cleanly
