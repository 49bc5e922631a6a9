"""The console's scripts put transcripts, KB answers, work-order text and names on the page as text:
none of them parses a string as HTML, so a caller saying (or an SMS carrying) `<img onerror=…>` is shown,
never run. The server-rendered pages are checked by tests/integration/hostile; this covers what the
scripts draw after the page has loaded (the agent desk's live lines, the seat wall)."""

from __future__ import annotations

import re
from pathlib import Path

STATIC = Path(__file__).resolve().parents[3] / "console" / "static"
HTML_SINKS = re.compile(r"\.(innerHTML|outerHTML)\s*[+]?=|insertAdjacentHTML|document\.write|\beval\(|new Function\(")


def test_no_console_script_turns_a_string_into_html() -> None:
    scripts = sorted(STATIC.glob("*.js"))
    assert {p.name for p in scripts} >= {"agent.js", "console.js", "seatwall.js"}
    offenders = [
        f"{p.name}:{n}: {line.strip()}"
        for p in scripts
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if HTML_SINKS.search(line)
    ]
    assert offenders == []


def test_the_check_would_catch_a_script_that_did() -> None:
    assert HTML_SINKS.search("line.innerHTML = segment.text;")
    assert HTML_SINKS.search("box.insertAdjacentHTML('beforeend', html)")
    assert not HTML_SINKS.search("line.textContent = segment.text;")
