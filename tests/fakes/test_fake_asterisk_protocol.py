"""The fake Asterisk refuses what real Asterisk would not understand, and says so."""

from __future__ import annotations

import aiohttp
import pytest

from tests.fakes.asterisk import EventModelError, FakeAsterisk, HangUp, Press, WaitForPlayback
from tests.fakes.asterisk.client import RawAri


async def _answered_caller(fake: FakeAsterisk, ari: RawAri) -> str:
    await ari.connect()
    await fake.place_call(script=[])
    channel_id = (await ari.event("StasisStart"))["channel"]["id"]
    assert (await ari.request("POST", f"/channels/{channel_id}/answer"))[0] == 204
    return channel_id


async def test_a_misspelled_parameter_is_refused_and_recorded(fake_asterisk: FakeAsterisk) -> None:
    async with RawAri(fake_asterisk.url) as ari:
        channel_id = await _answered_caller(fake_asterisk, ari)
        with fake_asterisk.expect_violations() as caught:
            status, body = await ari.request("POST", f"/channels/{channel_id}/play", {"meda": "sound:beep"})
        assert status == 400
        assert "'meda'" in body["message"]
        assert any("unknown parameter 'meda'" in p for p in caught[0].problems)
        assert not fake_asterisk.playbacks
        await ari.request("DELETE", f"/channels/{channel_id}")


async def test_a_missing_required_parameter_gets_the_answer_asterisk_gives(
    fake_asterisk: FakeAsterisk,
) -> None:
    async with RawAri(fake_asterisk.url) as ari:
        channel_id = await _answered_caller(fake_asterisk, ari)
        with fake_asterisk.expect_violations():
            assert await ari.request("POST", f"/channels/{channel_id}/play") == (
                500,
                {"message": "Failed to queue media for playback"},
            )
        with fake_asterisk.expect_violations():
            assert await ari.request("POST", "/channels", {"app": "hotline"}) == (
                400,
                {"message": "Endpoint must be specified"},
            )
        # dtmf is optional in the descriptions: Asterisk's own check, not a protocol violation.
        assert await ari.request("POST", f"/channels/{channel_id}/dtmf") == (
            400,
            {"message": "DTMF is required"},
        )
        with fake_asterisk.expect_violations():
            assert await ari.request("GET", f"/channels/{channel_id}/variable") == (
                400,
                {"message": "Variable name is required"},
            )
        await ari.request("DELETE", f"/channels/{channel_id}")


async def test_wrong_types_and_values_are_refused(fake_asterisk: FakeAsterisk) -> None:
    async with RawAri(fake_asterisk.url) as ari:
        channel_id = await _answered_caller(fake_asterisk, ari)
        with fake_asterisk.expect_violations() as caught:
            status, _ = await ari.request(
                "POST", f"/channels/{channel_id}/dtmf", {"dtmf": "1", "duration": "abc"}
            )
            assert status == 400
            status, _ = await ari.request("DELETE", f"/channels/{channel_id}", {"reason": "tired"})
            assert status == 400
        assert len(caught) == 2
        assert "must be an integer" in caught[0].problems[0]
        assert "must be one of" in caught[1].problems[0]
        await ari.request("DELETE", f"/channels/{channel_id}")


async def test_unknown_path_wrong_method_and_bad_credentials(fake_asterisk: FakeAsterisk) -> None:
    async with RawAri(fake_asterisk.url) as ari:
        with fake_asterisk.expect_violations():
            assert await ari.request("GET", "/no-such-resource") == (404, {"message": "Resource not found"})
        with fake_asterisk.expect_violations():
            assert await ari.request("GET", "/channels/123.4/answer") == (405, {"message": "Invalid method"})
    async with RawAri(fake_asterisk.url, password="wrong") as intruder:
        assert await intruder.request("GET", "/asterisk/info") == (
            401,
            {"message": "Authentication required"},
        )
    async with aiohttp.ClientSession() as anonymous:
        async with anonymous.get(
            f"{fake_asterisk.ari_url}/asterisk/info", params={"api_key": "asterisk:asterisk"}
        ) as r:
            assert r.status == 200
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await anonymous.ws_connect(f"{fake_asterisk.ari_url}/events?app=hotline")
        assert refused.value.status == 401


async def test_parameters_may_come_in_a_json_body(fake_asterisk: FakeAsterisk) -> None:
    fake_asterisk.add_endpoint("PJSIP/agent1", answer_after=0.5)
    async with RawAri(fake_asterisk.url) as ari:
        await ari.connect()
        status, channel = await ari.request(
            "POST",
            "/channels",
            body={
                "endpoint": "PJSIP/agent1",
                "app": "hotline",
                "appArgs": "agent",
                "variables": {"QUEUE": "yshj"},
            },
        )
        assert status == 200
        start = await ari.event("StasisStart", {"channel.id": channel["id"]})
        assert start["args"] == ["agent"]
        assert await ari.request("GET", f"/channels/{channel['id']}/variable", {"variable": "QUEUE"}) == (
            200,
            {"value": "yshj"},
        )
        with fake_asterisk.expect_violations():
            status, _ = await ari.request(
                "POST", f"/channels/{channel['id']}/variable", body={"variable": "X", "vaule": "1"}
            )
            assert status == 400
        await ari.request("DELETE", f"/channels/{channel['id']}")
        await ari.event("ChannelDestroyed")


async def test_a_body_that_is_not_json_is_refused(fake_asterisk: FakeAsterisk) -> None:
    async with aiohttp.ClientSession(headers={"Authorization": "Basic YXN0ZXJpc2s6YXN0ZXJpc2s="}) as session:
        with fake_asterisk.expect_violations() as caught:
            async with session.post(f"{fake_asterisk.ari_url}/bridges", data={"type": "mixing"}) as resp:
                assert resp.status == 400
        assert "application/json" in caught[0].problems[0]


async def test_every_event_is_checked_against_events_json(fake_asterisk: FakeAsterisk) -> None:
    with pytest.raises(EventModelError, match="unknown field 'colour'"):
        fake_asterisk.emit(
            "PlaybackStarted",
            "hotline",
            playback={
                "id": "p1",
                "media_uri": "sound:beep",
                "target_uri": "channel:1",
                "state": "playing",
                "colour": "red",
            },
        )
    with pytest.raises(EventModelError, match="missing required field 'digit'"):
        fake_asterisk.emit("ChannelDtmfReceived", "hotline", duration_ms=100, channel={})
    # REST responses are held to the operation's responseClass the same way.
    with pytest.raises(EventModelError, match="missing required field 'media_uri'"):
        fake_asterisk.validator.validate_response("Playback", {"id": "p1"}, "channels.play")
    with pytest.raises(EventModelError, match="expected a list"):
        fake_asterisk.validator.validate_response("List[Channel]", {}, "channels.list")
    with pytest.raises(EventModelError, match="expected int"):
        fake_asterisk.emit("ChannelDestroyed", "hotline", cause="16", cause_txt="Normal Clearing", channel={})


async def test_a_caller_presses_keys_during_a_prompt(fake_asterisk: FakeAsterisk) -> None:
    async with RawAri(fake_asterisk.url) as ari:
        await ari.connect()
        call = await fake_asterisk.place_call(
            number="13800138000", script=[WaitForPlayback("sound:hello-world"), Press("13"), HangUp()]
        )
        channel_id = (await ari.event("StasisStart"))["channel"]["id"]
        await ari.request("POST", f"/channels/{channel_id}/answer")
        status, playback = await ari.request(
            "POST", f"/channels/{channel_id}/play/menu-1", {"media": "sound:hello-world"}
        )
        assert (status, playback["state"]) == (201, "queued")
        first = await ari.event("ChannelDtmfReceived")
        assert (first["digit"], first["duration_ms"]) == ("1", 150)
        assert await ari.request("DELETE", "/playbacks/menu-1") == (204, None)
        finished = await ari.event("PlaybackFinished")
        assert finished["playback"]["state"] == "done"
        assert (await ari.event("ChannelDtmfReceived", {"digit": "3"}))["channel"]["caller"][
            "number"
        ] == "13800138000"
        await call.finished()
        await ari.event("StasisEnd")
        assert call.heard == ["sound:hello-world"]
        assert call.hung_up_by == "party"
        assert "ChannelDestroyed" not in ari.types()
        assert ari.types(skip=("ChannelVarset",)) == [
            "StasisStart",
            "ChannelStateChange",
            "PlaybackStarted",
            "ChannelDtmfReceived",
            "PlaybackFinished",
            "ChannelDtmfReceived",
            "ChannelHangupRequest",
            "StasisEnd",
        ]
        fake_asterisk.assert_empty()


async def test_assert_empty_names_a_leftover_bridge(fake_asterisk: FakeAsterisk) -> None:
    async with RawAri(fake_asterisk.url) as ari:
        status, bridge = await ari.request("POST", "/bridges", {"type": "mixing", "name": "forgotten"})
        assert status == 200
        with pytest.raises(AssertionError, match=f"bridge {bridge['id']} \\(mixing 'forgotten'"):
            fake_asterisk.assert_empty()
        await ari.request("DELETE", f"/bridges/{bridge['id']}")
        fake_asterisk.assert_empty()


@pytest.mark.parametrize("fake_asterisk", [{"username": "hotline", "password": "s3cret"}], indirect=True)
async def test_credentials_are_an_option_of_the_fixture(fake_asterisk: FakeAsterisk) -> None:
    async with RawAri(fake_asterisk.url, username="hotline", password="s3cret") as ari:
        assert (await ari.request("GET", "/asterisk/ping"))[0] == 200
    async with RawAri(fake_asterisk.url) as default:
        assert (await default.request("GET", "/asterisk/ping"))[0] == 401


async def test_a_second_connection_for_the_app_replaces_the_first(fake_asterisk: FakeAsterisk) -> None:
    async with RawAri(fake_asterisk.url) as first, RawAri(fake_asterisk.url) as second:
        await first.connect()
        await second.connect()
        assert (await first.event("ApplicationReplaced"))["application"] == "hotline"
        call = await fake_asterisk.place_call(script=[])
        await second.event("StasisStart")
        assert "StasisStart" not in first.types()
        await second.request("DELETE", f"/channels/{call.id}")
        await second.event("StasisEnd")
