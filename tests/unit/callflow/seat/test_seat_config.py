"""HOTLINE_SEAT_QUEUE: one string of options for the seat queue."""

from __future__ import annotations

import pytest

from callflow.seat.config import SeatConfigError, parse_seat_config, seat_enabled


def test_options_override_the_defaults_and_the_overflow_follows_the_seat_context() -> None:
    config = parse_seat_config("ring=20, wrap_up=30,wait_limit=120,ring_parallel=2", "hotline", ("hotline-seat", "s"))
    assert (config.ring_s, config.rules.wrap_up_s, config.rules.wait_limit_s, config.rules.ring_parallel) == (
        20, 30.0, 120.0, 2
    )
    assert (config.overflow_context, config.overflow_extension) == ("hotline-seat", "s")
    explicit = parse_seat_config("overflow=hotline-general/12345", "hotline", ("hotline-seat", "s"))
    assert (explicit.overflow_context, explicit.overflow_extension) == ("hotline-general", "12345")


def test_off_means_the_dialplan_and_mistakes_are_named() -> None:
    assert not seat_enabled("off") and seat_enabled("") and seat_enabled("ring=10")
    with pytest.raises(SeatConfigError, match="unknown option"):
        parse_seat_config("rign=10")
    with pytest.raises(SeatConfigError):
        parse_seat_config("ring=ten")
