"""Numbers as callers give them, turned into what an SMS gateway accepts."""

from __future__ import annotations

import pytest

from sms_feedback.domain.numbers import NotAMobileNumber, mobile_e164


@pytest.mark.parametrize(
    "written",
    [
        "13800138000",
        "138-0013-8000",
        "138 0013 8000",
        "+8613800138000",
        "008613800138000",
        "+86 138 0013 8000",
    ],
)
def test_the_ways_a_mobile_number_is_written_all_become_e164(written):
    assert mobile_e164(written) == "+8613800138000"


def test_a_foreign_number_in_international_form_is_kept():
    assert mobile_e164("+85291234567") == "+85291234567"


@pytest.mark.parametrize("written", ["0755-12345678", "12345", "", "+86075512345678", "1380013800x"])
def test_numbers_that_cannot_receive_sms_are_refused(written):
    with pytest.raises(NotAMobileNumber) as caught:
        mobile_e164(written)

    assert caught.value.error_id == "not-a-mobile-number"
