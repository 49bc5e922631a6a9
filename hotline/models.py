"""Imports every package's ORM models so Base.metadata is complete (Alembic, tests)."""

from __future__ import annotations

import importlib

MODEL_MODULES = (
    "ticketing.adapters.orm",
    "callflow.adapters.orm",
    "callflow.seat.orm",
    "callflow.seat.reservations",
    "recordings.adapters.orm",
    "asr.adapters.orm",
    "sms_feedback.adapters.orm",
    "hotline.auth.orm",
    "knowledge.adapters.orm",
    "console.adapters.orm",
    "console.adapters.agent_orm",
)


def import_all_models() -> None:
    for name in MODEL_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not name.startswith(exc.name):
                raise
