"""Test support (pytest plugin): the shipped menu's prompts, built once per test session.

Other packages' tests use it to give the fake Asterisk real prompt files, so playback lasts as long
as the real audio (scaled by the time factor):

    @pytest.fixture
    def fake_asterisk_sounds(built_prompts: Path) -> dict[str, Path]:
        return {"hotline": built_prompts}
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from ivr.adapters.synthesis import EspeakSox
from ivr.config import load_menu
from ivr.prompts import PromptBuilder


@pytest.fixture(scope="session")
def built_prompts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A read-only folder with `<name>.wav` and `<name>.sln16` for every prompt of the shipped menu."""
    folder = tmp_path_factory.mktemp("hotline-prompts")
    asyncio.run(PromptBuilder(EspeakSox(), folder).build(load_menu()))
    return folder
