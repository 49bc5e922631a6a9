"""Test support for draft extraction: one extractor per test session (jieba loads once)."""

from __future__ import annotations

import pytest

from asr.data import default_extractor
from asr.domain.draft import DraftExtractor, DraftWorkOrder
from asr.domain.transcript import turns_from_lines


@pytest.fixture(scope="session")
def extractor() -> DraftExtractor:
    return default_extractor()


def call(script: str) -> list:
    """Turns from a short script, one "来电人：…" / "话务员：…" line each."""
    return turns_from_lines(script.strip().splitlines())


def draft_of(extractor: DraftExtractor, script: str) -> DraftWorkOrder:
    return extractor.draft(call(script))
