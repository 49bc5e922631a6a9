"""Accuracy of the SMS reply parser on a labelled set (default ../shared/eval/sms-replies-dev.jsonl).

Prints per-class precision and recall, the confusion matrix, every miss with the parser's reason, and
ends with ONE JSON line of figures, targets and met flags. Exits 1 when a target is missed.

    .venv/bin/python bench/reply_accuracy.py [PATH.jsonl] [--target 0.95]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sms_feedback.domain.reply import Rating, parse_reply  # noqa: E402

DEFAULT_SET = ROOT.parent / "shared" / "eval" / "sms-replies-dev.jsonl"
LABELS = [r.value for r in Rating]


def load(path: Path) -> list[tuple[str, str]]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        record = json.loads(line)
        if record["rating"] not in LABELS:
            raise SystemExit(f"{path}:{number}: unknown label {record['rating']!r}")
        rows.append((record["reply"], record["rating"]))
    return rows


def evaluate(rows: list[tuple[str, str]]) -> dict:
    confusion = {gold: dict.fromkeys(LABELS, 0) for gold in LABELS}
    misses = []
    started = time.perf_counter()
    for reply, gold in rows:
        parsed = parse_reply(reply)
        confusion[gold][parsed.rating.value] += 1
        if parsed.rating.value != gold:
            misses.append((reply, gold, parsed.rating.value, parsed.reason))
    elapsed = time.perf_counter() - started
    correct = sum(confusion[label][label] for label in LABELS)
    return {
        "confusion": confusion,
        "misses": misses,
        "correct": correct,
        "total": len(rows),
        "ms_per_reply": 1000 * elapsed / max(1, len(rows)),
    }


def report(result: dict) -> None:
    confusion = result["confusion"]
    width = max(len(label) for label in LABELS) + 2
    print("confusion matrix (rows: labelled, columns: parsed)")
    print(" " * width + "".join(label[:12].rjust(14) for label in LABELS))
    for gold in LABELS:
        print(gold.ljust(width) + "".join(str(confusion[gold][p]).rjust(14) for p in LABELS))
    print()
    print(f"{'class':<{width}}{'precision':>10}{'recall':>10}{'support':>10}")
    for label in LABELS:
        support = sum(confusion[label].values())
        predicted = sum(confusion[g][label] for g in LABELS)
        hit = confusion[label][label]
        precision = hit / predicted if predicted else float("nan")
        recall = hit / support if support else float("nan")
        print(f"{label:<{width}}{precision:>10.3f}{recall:>10.3f}{support:>10}")
    print()
    for reply, gold, got, reason in result["misses"]:
        print(f"MISS {reply!r}: labelled {gold}, parsed {got} ({reason})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_SET)
    parser.add_argument("--target", type=float, default=0.95, help="accuracy target (default 0.95)")
    args = parser.parse_args(argv)
    rows = load(args.path)
    result = evaluate(rows)
    report(result)
    accuracy = result["correct"] / result["total"] if result["total"] else 0.0
    print(
        f"accuracy {accuracy:.3f} ({result['correct']}/{result['total']}), {result['ms_per_reply']:.3f} ms per reply"
    )
    figures = {
        "bench": "reply_accuracy",
        "set": args.path.name,
        "replies": result["total"],
        "accuracy": round(accuracy, 4),
        "ms_per_reply": round(result["ms_per_reply"], 4),
        "targets": {"accuracy": args.target},
        "met": {"accuracy": accuracy >= args.target},
    }
    print(json.dumps(figures, ensure_ascii=False))
    return 0 if all(figures["met"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
