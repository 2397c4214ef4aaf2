"""Compare two sessions' results.json: same runs (accuracy, history) and same verdicts, or list the differences.

Used to prove a behaviour-preserving change: run the suite before and after into two fresh stores, then
``python scripts/compare_results.py BEFORE/results.json AFTER/results.json`` (exit 1 on any difference).
"""

from __future__ import annotations

import json
import sys


def _runs(doc: dict) -> dict:
    return {(r["spec"]["variant"]["name"], r["spec"]["seed"]): r for r in doc["runs"]}


def differences(before: dict, after: dict) -> list[str]:
    out = []
    runs_a, runs_b = _runs(before), _runs(after)
    if set(runs_a) != set(runs_b):
        out.append(f"cells differ: only before {sorted(set(runs_a) - set(runs_b))}, "
                   f"only after {sorted(set(runs_b) - set(runs_a))}")
    for cell in sorted(set(runs_a) & set(runs_b)):
        for key in ("val_accuracy", "train_accuracy", "history", "status"):
            if runs_a[cell].get(key) != runs_b[cell].get(key):
                out.append(f"{cell}: {key} {runs_a[cell].get(key)!r:.80} != {runs_b[cell].get(key)!r:.80}")
    verdicts_a = {j["claim"]: j["verdict"] for j in before["judgements"]}
    verdicts_b = {j["claim"]: j["verdict"] for j in after["judgements"]}
    for claim in sorted(set(verdicts_a) | set(verdicts_b)):
        if verdicts_a.get(claim) != verdicts_b.get(claim):
            out.append(f"claim {claim}: {verdicts_a.get(claim)} != {verdicts_b.get(claim)}")
    return out


def main(argv: list[str]) -> int:
    before, after = (json.loads(open(p).read()) for p in argv[1:3])
    diffs = differences(before, after)
    for line in diffs:
        print(line)
    print(f"{len(_runs(before))} runs, {len(before['judgements'])} claims compared: "
          f"{'identical' if not diffs else f'{len(diffs)} difference(s)'}")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
