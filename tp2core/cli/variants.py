"""``tp2 variants [--profile P] [--json]``: what exactly is trained, and which claims a profile can judge.

The JSON is a contract (issue 14): {"profile", "variants": [...], "claims": [...]}; see ``plan_json``.
"""

from __future__ import annotations

import argparse
import json

from ..claims.catalog import CLAIMS
from ..recipe import plan
from ..recipe.variants import VARIANTS, get_profile

METRIC_NAMES = {"val_accuracy": "accuracy"}  # contract names; other metrics keep their own


def register(subparsers) -> None:
    p = subparsers.add_parser("variants", help="what each variant trains under a profile, and each claim's ratios")
    p.add_argument("--profile", default="quick", help="smoke | quick | paper (default quick)")
    p.add_argument("--json", action="store_true", help="print the contract JSON instead of tables")
    p.set_defaults(handler=_run)


def plan_json(profile_name: str) -> dict:
    """The contract: every variant as trained, every claim's comparisons, ratios and whether it is judged."""
    profile = get_profile(profile_name)  # unknown name → ConfigError listing the profiles
    claims = []
    for claim in CLAIMS:
        judged, reason = plan.judged_at(claim, profile)
        claims.append({
            "name": claim.name, "judged": judged, "reason": reason,
            "compares": [{"a": c.a, "b": c.b, "metric": METRIC_NAMES.get(c.metric, c.metric)}
                         for c in claim.comparisons],
            "ratios": [r.to_dict() for r in plan.ratio_checks(claim.ratios, profile)],
        })
    return {"profile": profile.name,
            "variants": [plan.trained(name, profile).to_dict() for name in VARIANTS],
            "claims": claims}


def _run(args: argparse.Namespace) -> int:
    data = plan_json(args.profile)
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    profile = get_profile(args.profile)
    print(f"profile {profile.name}: {profile.description}")
    head = ("variant", "epochs", "batch", "input", "widths", "train imgs", "validation", "steps", "params",
            "augmentation")
    rows = [(v["name"], v["epochs"], v["batch_size"], "×".join(map(str, v["input"][:2])),
             "-".join(map(str, v["widths"])), v["train_images"],
             f"{v['validation']['images']} {v['validation']['kind']}", v["optimizer_steps"], v["parameters"],
             v["augmentation"]) for v in data["variants"]]
    _table(head, rows)
    print()
    rows = []
    for c in data["claims"]:
        ratios = "; ".join(f"{r['name']} {r['paper']:.3g}→{r['profile']:.3g}{'' if r['ok'] else ' OFF'}"
                           for r in c["ratios"]) or "-"
        rows.append((c["name"], "judged" if c["judged"] else "NOT JUDGED", ratios, c["reason"]))
    _table(("claim", "here", "ratios (paper→this profile)", "why"), rows)
    return 0


def _table(head, rows) -> None:
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    for row in (head, *rows):
        print("  ".join(str(x).ljust(w) for x, w in zip(row, widths)).rstrip())
