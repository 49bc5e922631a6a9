"""Charts draw Chinese labels in a CJK font; the check would catch tofu boxes if the font were wrong."""

from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib
from matplotlib.figure import Figure

from reports.adapters.charts import cjk_font


def draw(path: Path, family: str) -> list[str]:
    """Draw a titled bar chart in `family`; the warnings matplotlib gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with matplotlib.rc_context({"font.family": [family]}):
            fig = Figure(figsize=(3, 2), dpi=72)
            ax = fig.add_subplot()
            ax.bar(["按期办结率", "办结满意率"], [81.7, 94.3])
            ax.set_title("全县四率对比")
            fig.savefig(path, format="png")
    return [str(w.message) for w in caught]


def test_the_report_font_has_every_chinese_glyph_and_dejavu_would_not(tmp_path: Path) -> None:
    family, path = cjk_font()
    assert "CJK" in family or "WenQuanYi" in family, family
    assert Path(path).is_file()
    assert draw(tmp_path / "cjk.png", family) == []
    tofu = draw(tmp_path / "latin.png", "DejaVu Sans")
    assert any("missing from font" in message for message in tofu)  # what the first check rules out
