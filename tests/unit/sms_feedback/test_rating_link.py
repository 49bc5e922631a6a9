"""The rating link's token: signed with the hotline's secret, refused when altered or expired."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sms_feedback.domain.rating_link import RatingLinkExpired, RatingLinkInvalid, sign_link, verify_link

SECRET = "a-secret-from-settings"
SENT = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
EXPIRES = SENT + timedelta(days=7)


def test_a_genuine_link_opens_its_survey_until_it_expires() -> None:
    link = sign_link("survey-abc", EXPIRES, SECRET)
    assert verify_link(link, SECRET, SENT) == "survey-abc"
    assert verify_link(link, SECRET, EXPIRES - timedelta(seconds=1)) == "survey-abc"
    with pytest.raises(RatingLinkExpired) as expired:
        verify_link(link, SECRET, EXPIRES)
    assert expired.value.error_id == "rating-link-expired"


def test_changing_the_survey_the_expiry_or_the_secret_breaks_the_link() -> None:
    link = sign_link("survey-abc", EXPIRES, SECRET)
    token, expiry, signature = link.split(".")
    later = sign_link(token, EXPIRES + timedelta(days=30), SECRET).split(".")[1]
    forgeries = [
        f"survey-xyz.{expiry}.{signature}",
        f"{token}.{later}.{signature}",
        f"{token}.{expiry}.{signature[:-1]}0" if signature[-1] != "0" else f"{token}.{expiry}.{signature[:-1]}1",
        f"{token}.{expiry}",
        "",
        f"{token}.soon.{signature}",
        f"{token}.{expiry.upper()}.{signature}",
    ]
    for forged in forgeries:
        with pytest.raises(RatingLinkInvalid) as invalid:
            verify_link(forged, SECRET, SENT)
        assert invalid.value.error_id == "rating-link-invalid"
    with pytest.raises(RatingLinkInvalid):
        verify_link(link, "another-secret", SENT)


def test_a_link_needs_a_secret_a_plain_survey_token_and_an_aware_expiry() -> None:
    with pytest.raises(ValueError):
        sign_link("survey-abc", EXPIRES, "")
    with pytest.raises(ValueError):
        sign_link("survey.abc", EXPIRES, SECRET)
    with pytest.raises(ValueError):
        sign_link("survey-abc", EXPIRES.replace(tzinfo=None), SECRET)


def test_a_link_token_is_short_enough_for_a_two_segment_survey() -> None:
    link = sign_link("AbCdEfGhIjK", EXPIRES, SECRET)  # an 11-character survey token, as the store makes
    assert len(link) <= 36
    assert verify_link(link, SECRET, SENT) == "AbCdEfGhIjK"
