"""Rewrite README.md's results block (between the RESULTS markers) from a session's results.json.

    pytest benchmarks -n auto --tp2-profile quick --tp2-dataset simulated --tp2-store /tmp/tp2-readme \
        --tp2-report /tmp/tp2-readme/report
    python scripts/update_readme.py /tmp/tp2-readme/report          # also copies two figures into docs/
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

from tp2core.claims.catalog import CLAIMS
from tp2core.claims.judgement import Judgement
from tp2core.claims.regime import LEARNED_MULTIPLE
from tp2core.recipe.plan import judged_at
from tp2core.output import tables as table
from tp2core.output import verdict_costs
from tp2core.training.runs import RunResult

ROOT = Path(__file__).resolve().parent.parent
FIGURES = ("claim-hidden-softmax-collapses.png", "learning-curves.png")


def block(report_dir: Path) -> str:
    data = json.loads((report_dir / "results.json").read_text())
    runs = [RunResult.from_dict(r) for r in data["runs"]]
    meta = dict(data["meta"])
    meta.setdefault("environment", runs[0].environment if runs else {})
    rows = [
        {k: r.get(k, "") for k in ("claim", "notes", "comparison", "system", "effect", "interval", "p", "verdict",
                                   "seeds", "seeds needed", "claim verdict")}
        for r in table.claim_rows([Judgement.from_dict(j) for j in data["judgements"]]) if "effect" in r
    ]
    lines = ["## Results (simulated data — not CIFAR-100)", ""]
    lines += [f"- {line}" for line in table.header_lines(meta)]
    lines += ["", table.render(rows), ""]
    judgements = [Judgement.from_dict(j) for j in data["judgements"]]
    if cost := verdict_costs.summary(judgements):
        lines += [f"What each verdict cost: {cost} (per comparison: *What each verdict cost* in the report).", "",
                  table.render(verdict_costs.cost_rows(judgements)), ""]
    lines += [f"- **not judged at this scale**: `{c.name}` — {reason.removeprefix('not judged at this scale: ')}"
              for c in CLAIMS if not (reason := judged_at(c, meta["profile"])[1]).startswith(("every", "smoke"))]
    lines += ["", "Regime (did each model learn? a comparison is judged only on models that did — mean validation "
              f"accuracy ≥ {LEARNED_MULTIPLE:g}× chance; train vs validation accuracy and the epoch of the best "
              "validation accuracy show each model's phase):", "", table.render(table.regime_rows(runs)), ""]
    attribution = table.attribution_rows([Judgement.from_dict(j) for j in data["judgements"]])
    if attribution:
        lines += ["", "Attribution of model4 − model3 (each factor alone, from model3; accuracy points):", "",
                  table.render(attribution), ""]
    lines += ["Variants (accuracy on the held-out split; the notes' single full-scale run beside it):", ""]
    keep = ("variant", "n", "val acc % (mean ± sd)", "notes %", "epochs", "input", "widths", "batch", "aug",
            "validation", "train imgs", "s/run", "img/s")
    lines += [table.render([{k: r[k] for k in keep} for r in table.variant_rows(runs)]), ""]
    shown = [f for f in FIGURES if (report_dir / f).exists()]
    for name in shown:
        lines.append(f"![{name} (simulated data, quick profile)](docs/{name})")
    lines += ["", "Regenerate: see *Regenerating the README results* below. On real CIFAR-100 the same commands "
              "with `--tp2-dataset cifar100` (and `--tp2-profile paper` on a GPU) produce the real table."]
    return "\n".join(lines), shown


def main(argv: list[str]) -> int:
    report_dir = Path(argv[1] if len(argv) > 1 else ".tp2/report")
    text, shown = block(report_dir)
    readme = ROOT / "README.md"
    new = re.sub(r"<!-- RESULTS:BEGIN -->.*<!-- RESULTS:END -->",
                 lambda _: f"<!-- RESULTS:BEGIN -->\n{text}\n<!-- RESULTS:END -->", readme.read_text(), flags=re.S)
    readme.write_text(new)
    for name in shown:
        shutil.copyfile(report_dir / name, ROOT / "docs" / name)
    print(f"README.md results block rewritten from {report_dir}; figures copied: {', '.join(shown) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
