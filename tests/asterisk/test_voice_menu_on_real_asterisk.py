"""The voice menu on a real Asterisk 22: what the fake Asterisk promises, Asterisk itself does."""

from __future__ import annotations

from callflow.cli import run_call_test
from tests.asterisk.conftest import RealHotline


async def _our_channels(hotline: RealHotline) -> list[str]:
    return [c["name"] for c in await hotline.client.list_channels() if "hotline-local" in c["name"]]


async def test_a_caller_pressing_1_then_3_reaches_the_complaint_service(real_hotline: RealHotline) -> None:
    result = await run_call_test(real_hotline.client, real_hotline.settings.ari_app, ["1", "3"], key_gap_s=0.8)
    assert result.path is not None
    assert "main 按1 → goto:business" in result.path
    assert "business 按3 → route:complaint" in result.path
    assert result.destination == "complaint"
    assert result.service == "complaint"
    assert not result.hung_up
    assert result.ended_in is not None and result.ended_in["context"] in ("hotline-seat", "hotline-general")
    assert await _our_channels(real_hotline) == []


async def test_a_caller_choosing_another_line_is_sent_on_in_the_dialplan(real_hotline: RealHotline) -> None:
    result = await run_call_test(real_hotline.client, real_hotline.settings.ari_app, ["2"])
    assert result.path is not None and "main 按2" in result.path
    assert result.ended_in is not None and result.ended_in["context"] == "hotline-general"
    assert await _our_channels(real_hotline) == []


async def test_an_invalid_key_is_refused_and_the_next_key_still_counts(real_hotline: RealHotline) -> None:
    result = await run_call_test(
        real_hotline.client, real_hotline.settings.ari_app, ["1", "8", "5"], key_gap_s=1.5
    )
    assert result.path is not None
    assert "business 按8 → invalid" in result.path
    assert result.service == "suggestion"
    assert await _our_channels(real_hotline) == []
