"""Editable data files for draft extraction, and the one place that reads them."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from asr.domain.draft import DraftExtractor
from asr.domain.rules import DraftRules

FILES = ("classes", "units", "enterprise", "places", "keywords")


def load_draft_rules(folder: Path | None = None) -> DraftRules:
    """The rules from `folder` (default: the yaml files shipped in this package)."""
    raw: dict[str, Any] = {}
    for name in FILES:
        if folder is None:
            text = resources.files(__package__).joinpath(f"{name}.yaml").read_text(encoding="utf-8")
        else:
            text = (folder / f"{name}.yaml").read_text(encoding="utf-8")
        raw[name] = yaml.safe_load(text) or {}
    return DraftRules.from_mappings(**raw)


@lru_cache(maxsize=1)
def default_extractor() -> DraftExtractor:
    """One extractor per process with the shipped rules (jieba loads once)."""
    return DraftExtractor(load_draft_rules())
