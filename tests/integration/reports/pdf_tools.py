"""poppler-utils (Debian) read back what a PDF says and which fonts it embeds."""

from __future__ import annotations

import subprocess
from pathlib import Path


def pdf_text(pdf: Path) -> str:
    """The PDF's text with all whitespace removed (table layout spaces vary)."""
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return "".join(out.split())


def embedded_cjk_fonts(pdf: Path) -> list[tuple[str, bool]]:
    """(font name, embedded?) of every CJK font `pdffonts` lists."""
    out = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines()[2:]:
        if "CJK" in line or "WenQuanYi" in line:
            cols = line.split()
            rows.append((cols[0], cols[-5] == "yes"))  # columns from the right: emb sub uni object ID
    return rows
