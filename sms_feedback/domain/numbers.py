"""Phone numbers as an SMS gateway wants them (E.164), from the forms callers and agents write them in."""

from __future__ import annotations

import re

from sms_feedback.domain.errors import SmsFeedbackError

_SEPARATORS = re.compile(r"[\s\-().]")
_CN_MOBILE = re.compile(r"^1[3-9]\d{9}$")


class NotAMobileNumber(SmsFeedbackError):
    """The number can't receive SMS (a landline, too short, letters…)."""

    error_id = "not-a-mobile-number"
    status = 422


def mobile_e164(number: str, country_code: str = "86") -> str:
    """+8613800138000 from 13800138000, 138-0013-8000, 008613800138000 or +86 138 0013 8000.

    Numbers already in international form (+…) are kept; a Chinese landline (0755…) is refused,
    because it can't receive SMS.
    """
    raw = _SEPARATORS.sub("", number or "")
    if raw.startswith("00"):
        raw = "+" + raw[2:]
    if raw.startswith("+"):
        if not raw[1:].isdigit() or not 8 <= len(raw) - 1 <= 15:
            raise NotAMobileNumber(f"无法发送短信的号码: {number!r}")
        national = raw[1 + len(country_code) :] if raw[1:].startswith(country_code) else None
        if national is not None and country_code == "86" and not _CN_MOBILE.match(national):
            raise NotAMobileNumber(f"不是手机号码: {number!r}")
        return raw
    if country_code == "86" and _CN_MOBILE.match(raw):
        return f"+86{raw}"
    raise NotAMobileNumber(f"不是手机号码: {number!r}")
