"""Asterisk's error answers become precise exceptions; reconnect delays grow with jitter, and are capped."""

from __future__ import annotations

import random

import pytest

from callflow.ari.errors import (
    AriError,
    BridgeGone,
    ChannelGone,
    NotFound,
    NotInStasis,
    PlaybackGone,
    error_for,
)
from callflow.ari.events import Backoff, ConnectionState
from callflow.controller import _stasis_args


@pytest.mark.parametrize(
    ("status", "message", "kind"),
    [
        (404, "Channel not found", ChannelGone),
        (400, "Channel not found", ChannelGone),  # bridges/addChannel of a hung-up channel
        (404, "Playback not found", PlaybackGone),
        (404, "Bridge not found", BridgeGone),
        (409, "Channel not in Stasis application", NotInStasis),
        (422, "Channel not in Stasis application", NotInStasis),
        (404, "Resource not found", NotFound),
        (500, "Allocation failed", AriError),
    ],
)
def test_asterisk_errors_map_to_typed_exceptions(status: int, message: str, kind: type[AriError]) -> None:
    error = error_for(status, message, "POST", "/channels/1/play")
    assert type(error) is kind
    assert error.status == status and error.message == message
    assert str(error) == f"POST /channels/1/play: {status} {message}"


def test_a_gone_channel_is_a_not_found_so_callers_can_treat_both_alike() -> None:
    assert issubclass(ChannelGone, NotFound)
    assert ChannelGone.error_id == "ari-channel-gone"


def test_backoff_doubles_up_to_the_maximum_and_jitters_within_half_to_full() -> None:
    backoff = Backoff(initial_s=0.5, maximum_s=8.0)
    rng = random.Random(7)
    for attempt, ceiling in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (10, 8.0), (100, 8.0)]:
        delays = [backoff.delay(attempt, rng) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len({round(d, 6) for d in delays}) > 100  # jittered, so reconnecting clients don't stampede


def test_connection_state_reports_reconnecting_with_since_and_the_last_error() -> None:
    state = ConnectionState(url="http://127.0.0.1:8088")
    state.change("connected")
    assert state.as_probe()["ok"] is True and state.as_probe()["state"] == "connected"
    before = state.since
    state.last_error = "ClientConnectorError: refused"
    state.change("reconnecting")
    probe = state.as_probe()
    assert probe["ok"] is False and probe["state"] == "reconnecting"
    assert probe["since"] >= before.isoformat() and probe["error"].startswith("ClientConnectorError")


def test_stasis_arguments_are_read_from_the_channels_dialplan_location() -> None:
    inbound = {"dialplan": {"app_name": "Stasis", "app_data": "hotline,inbound"}}
    assert _stasis_args(inbound, "hotline") == ["inbound"]
    assert _stasis_args(inbound, "other") is None
    assert _stasis_args({"dialplan": {"app_name": "AppDial2", "app_data": "(Outgoing Line)"}}, "hotline") is None
