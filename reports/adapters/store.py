"""The reports folder (`HOTLINE_REPORTS_DIR`, default `var/reports`): one sub-folder per report,
`<kind>-<period>` (e.g. `quarterly-2026Q3`), holding report.html, report.pdf, the chart PNGs,
meta.json and the editor's recommendations.txt (kept across regenerations).

`claim()` creates `.claims/<kind>-<period>` exclusively (O_EXCL), so even two service processes
sharing the folder generate a scheduled report once.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from reports.domain.errors import ReportNotFound
from reports.domain.periods import KINDS_ZH

META = "meta.json"
RECOMMENDATIONS = "recommendations.txt"
_NAME = re.compile(r"^(monthly|quarterly)-[0-9A-Za-z~-]+$")
_FILE = re.compile(r"^(report\.(html|pdf)|[a-z_]+\.png)$")


@dataclass(frozen=True)
class StoredReport:
    """A generated report as listed in the console."""

    name: str
    kind: str
    period: str
    title: str
    generated_at: str
    draft: bool
    trigger: str  # schedule | manual | cli

    @property
    def kind_zh(self) -> str:
        return KINDS_ZH.get(self.kind, self.kind)


class ReportFolder:
    def __init__(self, root: Path) -> None:
        self.root = root

    @staticmethod
    def name(kind: str, period: str) -> str:
        return f"{kind}-{period}"

    def folder(self, kind: str, period: str) -> Path:
        return self.root / self.name(kind, period)

    def exists(self, kind: str, period: str) -> bool:
        return (self.folder(kind, period) / META).is_file()

    def recommendations(self, kind: str, period: str) -> str:
        path = self.folder(kind, period) / RECOMMENDATIONS
        return path.read_text(encoding="utf-8") if path.is_file() else ""

    def save_recommendations(self, kind: str, period: str, text: str) -> None:
        folder = self.folder(kind, period)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / RECOMMENDATIONS).write_text(text.strip() + "\n" if text.strip() else "", encoding="utf-8")

    def claim(self, kind: str, period: str) -> bool:
        """True for the one caller that may generate this scheduled report; False ever after."""
        claims = self.root / ".claims"
        claims.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(claims / self.name(kind, period), os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return False
        os.close(fd)
        return True

    def release(self, kind: str, period: str) -> None:
        """Give a claim back after a failed run, so the next check tries again."""
        (self.root / ".claims" / self.name(kind, period)).unlink(missing_ok=True)

    def write_meta(self, report: StoredReport) -> None:
        folder = self.root / report.name
        tmp = folder / (META + ".part")
        tmp.write_text(json.dumps(report.__dict__, ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.replace(folder / META)

    def list(self) -> list[StoredReport]:
        if not self.root.is_dir():
            return []
        out = []
        for meta in self.root.glob(f"*/{META}"):
            try:
                out.append(StoredReport(**json.loads(meta.read_text(encoding="utf-8"))))
            except (ValueError, TypeError):
                continue
        return sorted(out, key=lambda r: (r.period, r.kind), reverse=True)

    def get(self, name: str) -> StoredReport:
        if not _NAME.match(name) or not (self.root / name / META).is_file():
            raise ReportNotFound(f"没有这份报告：{name}")
        return StoredReport(**json.loads((self.root / name / META).read_text(encoding="utf-8")))

    def file(self, name: str, filename: str) -> Path:
        """A file of a generated report; only its HTML, PDF and charts (no path tricks)."""
        self.get(name)
        path = self.root / name / filename
        if not _FILE.match(filename) or not path.is_file():
            raise ReportNotFound(f"报告 {name} 中没有文件 {filename}")
        return path
