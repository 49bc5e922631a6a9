"""Per-field accuracy of draft work orders on the labelled eval set (issue 5, section 4).

    .venv/bin/python bench/draft_accuracy.py [--eval ../shared/eval/calls-dev.jsonl] [--misses]

Prints a table of figures, then ONE JSON line (figures, targets, met flags); exits 1 if a target is
missed. Exact match for class, service, complexity, department, answered_on_line, enterprise,
contact_phone and location; keywords (recall of gold keywords) and summary (character-bigram F1)
are reported without a target.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from asr.data import default_extractor  # noqa: E402
from asr.domain.accuracy import EXACT_FIELDS, TARGETS, score_drafts  # noqa: E402
from asr.domain.transcript import turns_from_json  # noqa: E402

DEFAULT_EVAL = ROOT.parent / "shared" / "eval" / "calls-dev.jsonl"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval", type=Path, default=DEFAULT_EVAL, help="labelled calls, JSON lines")
    parser.add_argument("--misses", action="store_true", help="list the call ids each field got wrong")
    args = parser.parse_args()

    rows = [json.loads(line) for line in args.eval.read_text(encoding="utf-8").splitlines() if line.strip()]
    started = time.perf_counter()
    extractor = default_extractor()
    load_s = time.perf_counter() - started

    timings_ms: list[float] = []
    triples = []
    for row in rows:
        turns = turns_from_json(row)
        t0 = time.perf_counter()
        draft = extractor.draft(turns).to_dict()
        timings_ms.append((time.perf_counter() - t0) * 1000)
        triples.append((str(row.get("id")), row["gold"], draft))
    report = score_drafts(triples)

    print(f"eval set: {args.eval} ({report.calls} calls)")
    for name in EXACT_FIELDS:
        target = TARGETS.get(name)
        mark = "" if target is None else f"  target ≥ {target:.0%} {'met' if report.accuracy(name) >= target else 'MISSED'}"
        print(f"  {name:<17} {report.accuracy(name):6.1%}{mark}")
        if args.misses and report.misses[name]:
            print(f"      misses: {', '.join(report.misses[name])}")
    print(f"  {'keywords recall':<17} {report.keyword_recall:6.1%}  (no target)")
    print(f"  {'summary bigram F1':<17} {report.summary_f1:6.1%}  (no target)")
    median_ms = statistics.median(timings_ms)
    p95_ms = sorted(timings_ms)[int(0.95 * (len(timings_ms) - 1))]
    print(f"rules and jieba load: {load_s:.2f} s; per draft: median {median_ms:.1f} ms, p95 {p95_ms:.1f} ms")

    figures = report.figures()
    figures["load_s"] = round(load_s, 2)
    figures["draft_ms_median"] = round(median_ms, 2)
    figures["draft_ms_p95"] = round(p95_ms, 2)
    print(json.dumps(figures, ensure_ascii=False))
    return 0 if all(figures["met"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
