"""What a claim test shows a JUnit consumer (pytest ``--junitxml``; GitHub Actions, GitLab, Jenkins): named
``<property>`` elements — verdict, effect, unit, interval, p (saying which p), seeds per arm, dataset, profile.

The category mapping (README "CI and JUnit XML"): supported → pass; refuted → failure where it fails the run
(real data, the gate), else a pass with its verdict; inconclusive and not judged → skipped, the verdict and
sentence as the message; any failing rule (gate, --tp2-strict) → failure. The plugin's transport never reaches
the XML (it rides on a report attribute, not on ``user_properties``).
"""

from __future__ import annotations

from .comparisons import figures

Properties = list[tuple[str, str]]


def claim_properties(judgement) -> Properties:
    """A judged claim's properties: verdict, dataset, profile, then per comparison its label and figures (the
    names repeat, in order, when a claim has several comparisons), then its checks."""
    out: Properties = [("verdict", judgement.verdict), ("dataset", judgement.dataset),
                       ("profile", judgement.profile)]
    for c in judgement.comparisons:
        f = figures(c)
        out += [("comparison", c.label), ("comparison verdict", f.verdict),
                ("effect", "—" if f.effect is None else f"{f.effect:.4g}"), ("unit", f.unit),
                ("interval", f.interval), ("p", "—" if f.p is None else f"{f.p:.3g} ({f.p_kind})"),
                ("seeds per arm", f.seeds_per_arm)]
    out += [("check", f"{check.label}: {check.verdict}") for check in judgement.checks]
    return out


def not_judged_properties(reason: str, dataset: str, profile: str) -> Properties:
    """A claim the profile does not judge (recipe.plan.judged_at)."""
    return [("verdict", "not judged"), ("reason", reason), ("dataset", dataset), ("profile", profile)]


def run_properties(result, reused: bool) -> Properties:
    """A training cell: the run's final validation accuracy (or failure), seconds, reused or trained."""
    accuracy = f"{result.val_accuracy:.4f}" if result.val_accuracy is not None else f"failed: {result.failure}"
    spec = result.spec
    return [("variant", spec.variant.name), ("seed", str(spec.seed)), ("dataset", spec.dataset_name),
            ("profile", spec.profile), ("val_accuracy", accuracy), ("seconds", f"{result.train_seconds:.1f}"),
            ("run", "reused" if reused else "trained")]
