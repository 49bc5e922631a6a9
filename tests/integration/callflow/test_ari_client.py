"""The REST client against the fake Asterisk: Asterisk's answers become typed errors, slow ones time out."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiohttp import web

from callflow.ari.client import AriClient
from callflow.ari.errors import AriError, AriUnavailable, ChannelGone, NotInStasis
from tests.fakes.asterisk.fake import FakeAsterisk


@pytest.fixture
async def fake(tmp_path: Path, menu_prompts: Path):
    fake = FakeAsterisk(sounds={"hotline": menu_prompts}, recordings_dir=tmp_path / "spool", time_factor=0.02)
    await fake.start()
    yield fake
    await fake.stop()
    assert not fake.violations, [str(v) for v in fake.violations]


async def test_a_hung_up_channel_is_a_channel_gone_and_hanging_it_up_again_is_harmless(fake: FakeAsterisk) -> None:
    client = AriClient(fake.url, "asterisk", "asterisk")
    try:
        origin = await client.originate("Local/wait@hotline-local", app="hotline-test")
        local_1 = str(origin["id"])
        assert await client.hangup_if_present(local_1) is True
        await fake.wait_empty()
        with pytest.raises(ChannelGone) as gone:
            await client.answer(local_1)
        assert (gone.value.status, gone.value.message) == (404, "Channel not found")
        assert await client.hangup_if_present(local_1) is False
        assert await client.stop_playback("no-such-playback") is False
        assert await client.get_stored_recording("no-such-recording") is None
    finally:
        await client.close()


async def test_a_channel_outside_stasis_and_a_failed_originate_are_told_apart(fake: FakeAsterisk) -> None:
    client = AriClient(fake.url, "asterisk", "asterisk")
    try:
        origin = await client.originate("Local/wait@hotline-local", app="hotline-test")
        name_2 = str(origin["name"]).replace(";1", ";2")
        in_dialplan = next(c for c in await client.list_channels() if c["name"] == name_2)
        with pytest.raises(NotInStasis) as not_ours:
            await client.answer(in_dialplan["id"])  # ;2 is in Wait(3600), not in our app
        assert not_ours.value.status == 409
        with pytest.raises(AriError) as failed:
            await client.originate("PJSIP/no-such-endpoint", app="hotline-test")
        assert (failed.value.status, failed.value.message) == (500, "Allocation failed")
        await client.hangup(str(origin["id"]))
        await fake.wait_empty()
    finally:
        await client.close()


async def test_an_asterisk_that_does_not_answer_is_unavailable_after_the_timeout(aiohttp_server) -> None:
    async def stuck(request: web.Request) -> web.Response:
        await asyncio.sleep(30)
        return web.Response(status=204)

    app = web.Application()
    app.router.add_route("*", "/ari/{tail:.*}", stuck)
    server = await aiohttp_server(app)
    client = AriClient(str(server.make_url("")), "asterisk", "asterisk", timeout_s=0.2)
    try:
        with pytest.raises(AriUnavailable) as unavailable:
            await client.answer("1.1")
        assert unavailable.value.status == 0 and unavailable.value.error_id == "ari-unavailable"
    finally:
        await client.close()
