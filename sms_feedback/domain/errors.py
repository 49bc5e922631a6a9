"""Errors of the survey domain. Each carries a stable `error_id` the HTTP layer and logs can rely on."""

from __future__ import annotations


class SmsFeedbackError(Exception):
    """Base of every sms_feedback error."""

    error_id = "sms-feedback-error"
    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SurveyTooLong(SmsFeedbackError):
    """The survey can't be worded within the segment budget even with the matter left out."""

    error_id = "survey-too-long"
    status = 422
