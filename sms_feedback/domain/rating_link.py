"""The rating link's signed token (评价链接): the capability that lets a caller rate without logging in.

A link token is `<survey token>.<expiry>.<signature>`: the expiry as unix seconds in base 36, the
signature the first 96 bits of HMAC-SHA256 over the first two parts (with a secret from settings) in
unpadded base64url — 16 characters. The whole token stays near 35 characters so the survey SMS with its
link fits in two segments. Changing any part
(another survey, a later expiry) breaks the signature; a token past its expiry is refused. Pure: the
caller passes the secret and the time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import string
from datetime import datetime

from sms_feedback.domain.errors import SmsFeedbackError

SIGNATURE_BYTES = 12
BASE36 = string.digits + string.ascii_lowercase


class RatingLinkInvalid(SmsFeedbackError):
    """The link was altered or is not one of ours (链接无效)."""

    error_id = "rating-link-invalid"
    status = 403


class RatingLinkExpired(SmsFeedbackError):
    """The link is past its expiry (链接已过期)."""

    error_id = "rating-link-expired"
    status = 410


def _signature(secret: str, message: str) -> str:
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:SIGNATURE_BYTES]).decode().rstrip("=")


def _base36(value: int) -> str:
    digits = ""
    while True:
        value, digit = divmod(value, 36)
        digits = BASE36[digit] + digits
        if not value:
            return digits


def _is_base36(text: str) -> bool:
    return bool(text) and len(text) <= 13 and all(c in BASE36 for c in text)


def sign_link(survey_token: str, expires_at: datetime, secret: str) -> str:
    """The link token for one survey, valid until `expires_at` (an aware time)."""
    if not secret:
        raise ValueError("a rating-link secret is required")
    if "." in survey_token or not survey_token:
        raise ValueError(f"a survey token must be non-empty and dot-free: {survey_token!r}")
    if expires_at.tzinfo is None:
        raise ValueError(f"naive expiry refused: {expires_at!r}")
    body = f"{survey_token}.{_base36(int(expires_at.timestamp()))}"
    return f"{body}.{_signature(secret, body)}"


def verify_link(link_token: str, secret: str, now: datetime) -> str:
    """The survey token inside a genuine, unexpired link token; raises `RatingLinkInvalid` or
    `RatingLinkExpired` otherwise (the signature is checked first, so a forged expiry says invalid)."""
    parts = link_token.split(".")
    if len(parts) != 3 or not parts[0] or not _is_base36(parts[1]):
        raise RatingLinkInvalid("评价链接无效")
    survey_token, expiry, signature = parts
    if not hmac.compare_digest(signature, _signature(secret, f"{survey_token}.{expiry}")):
        raise RatingLinkInvalid("评价链接无效")
    if now.timestamp() >= int(expiry, 36):
        raise RatingLinkExpired("评价链接已过期，请致电12345")
    return survey_token
