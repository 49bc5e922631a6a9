"""The seat queue's settings from one environment string, `HOTLINE_SEAT_QUEUE` (Settings.seat_queue).

Example: `ring=15,wrap_up=15,wait_limit=180,announce=30,ring_parallel=1,overflow=hotline-general/s,
callback_offer=8,moh=default`. Empty means the defaults below; `off` keeps the dialplan hand-off
(a real Asterisk `Queue()` in `HOTLINE_SEAT_CONTEXT`) instead of the ARI queue.
"""

from __future__ import annotations

from dataclasses import replace

from callflow.seat.domain import SeatError, SeatRules
from callflow.seat.services import SeatConfig

DEFAULTS = SeatConfig(
    ring_s=15,
    announce_every_s=30.0,
    overflow_context="hotline-general",
    overflow_extension="s",
    callback_offer_s=8.0,
    rules=SeatRules(wait_limit_s=180.0, wrap_up_s=15.0, ring_parallel=1, busy_skip_s=30.0),
)


class SeatConfigError(SeatError):
    error_id = "seat-config-invalid"


def seat_enabled(text: str) -> bool:
    return text.strip().lower() not in ("off", "dialplan", "0", "false", "no")


def parse_seat_config(text: str, app: str = "hotline", overflow: tuple[str, str] | None = None) -> SeatConfig:
    """`overflow` = the default overflow destination (the service passes HOTLINE_SEAT_CONTEXT/EXTENSION,
    where the site's dialplan continues: its `Queue()` or the general 12345 line)."""
    config = replace(DEFAULTS, app=app)
    if overflow is not None:
        config = replace(config, overflow_context=overflow[0], overflow_extension=overflow[1])
    rules = config.rules
    if not seat_enabled(text):
        return config
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not value:
            raise SeatConfigError(f"HOTLINE_SEAT_QUEUE 项应为 名称=值 (expected name=value): {part!r}")
        try:
            if key == "ring":
                config = replace(config, ring_s=int(value))
            elif key == "announce":
                config = replace(config, announce_every_s=float(value))
            elif key == "callback_offer":
                config = replace(config, callback_offer_s=float(value))
            elif key == "digit_timeout":
                config = replace(config, digit_timeout_s=float(value))
            elif key == "confirm_timeout":
                config = replace(config, confirm_timeout_s=float(value))
            elif key == "moh":
                config = replace(config, moh_class=value)
            elif key == "overflow":
                context, _, extension = value.partition("/")
                config = replace(config, overflow_context=context, overflow_extension=extension or "s")
            elif key == "wrap_up":
                rules = replace(rules, wrap_up_s=float(value))
            elif key == "wait_limit":
                rules = replace(rules, wait_limit_s=float(value))
            elif key == "ring_parallel":
                rules = replace(rules, ring_parallel=max(1, int(value)))
            elif key == "busy_skip":
                rules = replace(rules, busy_skip_s=float(value))
            elif key == "overflow_when_no_agents":
                rules = replace(rules, overflow_when_no_agents=value.lower() in ("1", "true", "yes"))
            else:
                raise SeatConfigError(f"HOTLINE_SEAT_QUEUE 未知项 (unknown option): {key}")
        except ValueError as exc:
            raise SeatConfigError(f"HOTLINE_SEAT_QUEUE {key}={value!r}: {exc}") from exc
    return replace(config, rules=rules)
