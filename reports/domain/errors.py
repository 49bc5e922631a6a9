"""Errors of the reports package, each with a stable `error_id`."""

from __future__ import annotations


class ReportError(Exception):
    """Base of the reports' domain errors."""

    error_id = "report-error"

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class InvalidReportPeriod(ReportError):
    """A monthly report needs a month (2026-10), a quarterly report a quarter (2026Q3)."""

    error_id = "invalid-report-period"


class InvalidWeights(ReportError):
    """Ranking weights that are not four non-negative numbers with a positive sum."""

    error_id = "invalid-ranking-weights"


class ReportNotFound(ReportError):
    """No generated report of that kind and period in the reports folder."""

    error_id = "report-not-found"
