"""Shared fixtures. Each package's test support registers itself through `pytest_plugins`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from hotline.settings import Settings

pytest_plugins: list[str] = ["tests.fakes.loop_db", "tests.integration.ivr.prompt_fixtures", "tests.fakes.asterisk.plugin", "tests.integration.callflow.support", "tests.integration.callflow.seat.seat_fixtures", "tests.fakes.twilio_fixtures", "tests.integration.ticketing.api_fixtures", "tests.unit.asr.draft_fixtures", "tests.fakes.vosk_server", "tests.integration.knowledge.kb_fixtures", "tests.integration.recordings.support", "tests.integration.console.console_fixtures", "tests.integration.hostile.support", "tests.integration.reports.report_fixtures", "tests.integration.sms_feedback.review_support"]

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"


@pytest.fixture
def shared_dir() -> Path:
    """../shared next to the repository (ARI descriptions, traces, eval sets)."""
    if not SHARED.is_dir():
        pytest.fail(f"expected the shared folder at {SHARED}")
    return SHARED


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Embedded defaults, with every file under the test's own folder and ARI pointing nowhere."""
    return Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/hotline.sqlite3",
        data_dir=tmp_path,
        prompts_dir=tmp_path / "prompts",
        recordings_dir=tmp_path / "recordings",
        ari_url="http://127.0.0.1:9",
    )


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL from `scripts/with-postgres.sh` (make test starts one)."""
    url = os.environ.get("HOTLINE_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("HOTLINE_TEST_POSTGRES_URL is not set in CI: run through scripts/with-postgres.sh")
        pytest.skip("no PostgreSQL: run `make test` or scripts/with-postgres.sh")
    yield url
