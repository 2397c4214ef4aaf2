"""Issue 28: one judgement whoever reads the store — looks read only their own seeds, the spread floor and the
verdict never disagree, the guard counts a premise without runs as unmet, one seed-plan rule."""

import math

import numpy as np
import pytest

from runs_factory import make_run
from tp2core.claims.catalog import CLAIMS_BY_NAME
from tp2core.claims.claim import Claim, Comparison, judge
from tp2core.claims.compare import compare
from tp2core.claims.design import Design
from tp2core.claims.sequential import SequentialDesign
from tp2core.errors import ConfigError

PROFILE = "quick"
LOOKS = SequentialDesign(first=3, max_seeds=7)  # looks at 3, 5, 7 seeds per arm
CLAIM = Claim("relu", "model2 beats model0.", "22% → 26%", comparisons=(Comparison("model2", "model0", "greater"),))


def _store(rng, seeds, means=(0.10, 0.112), sd=0.01, failed=()):
    return {v: [make_run(v, s, float(rng.normal(m, sd)), profile=PROFILE,
                         status="failed" if (v, s) in failed else "ok") for s in seeds]
            for v, m in zip(("model2", "model0"), means)}


def _stages(runs):
    [c] = judge(CLAIM, runs, dataset="simulated", profile=PROFILE, design=LOOKS).comparisons
    return c, [(s.seeds, s.estimate, s.low, s.high, s.decision) for s in c.sequential.stages]


@pytest.mark.parametrize("trial", range(30))
def test_runs_beyond_look_k_never_change_looks_up_to_k(trial):
    """Property: for random stores, adding or replacing any runs of seeds ≥ n_k (other values, failures, runs of
    a premise variant) leaves looks 1..k exactly as they were — estimate, interval, floor, guard, decision."""
    rng = np.random.default_rng(trial)
    gap = rng.choice([0.0, 0.004, 0.01, 0.03])
    base = _store(rng, range(7), means=(0.10 + gap, 0.10))
    c0, before = _stages(base)
    k = int(rng.integers(0, 3))  # keep looks 0..k; change seeds from n_k on
    n_k = LOOKS.looks[k]
    changed = {v: [r for r in runs if r.spec.seed < n_k] for v, runs in base.items()}
    other = _store(rng, range(n_k, 12), means=tuple(rng.uniform(0.005, 0.5, 2)), sd=float(rng.uniform(0.001, 0.2)),
                   failed={("model0", n_k)} if rng.random() < 0.5 else ())
    for v in changed:
        changed[v] += other[v]
    c1, after = _stages(changed)
    kept = [st for st in before if st[0] <= n_k]
    assert after[:len(kept)] == kept


def test_a_look_that_failed_its_premise_is_not_redone_with_later_seeds():
    """The guard at look 1 reads seeds 0–2 only: a model0 that did not learn there is 'not judged', whatever
    seeds 3+ say."""
    rng = np.random.default_rng(1)
    runs = _store(rng, range(3), means=(0.012, 0.011), sd=0.001)
    learned_later = _store(rng, range(3, 7), means=(0.3, 0.3))
    for v in runs:
        runs[v] += learned_later[v]
    claim = Claim("relu", "model2 beats model0.", "x", comparisons=(Comparison("model2", "model0", "greater"),))
    [c] = judge(claim, runs, dataset="simulated", profile=PROFILE, design=LOOKS).comparisons
    assert c.verdict == "not judged" and "did not learn" in c.not_judged


@pytest.mark.parametrize("trial", range(200))
def test_spread_note_and_verdict_never_disagree(trial):
    """Property over random tiny spreads: a verdict is reached only on a spread at or above the floor (the
    numerical resolution when none is stated), and the 'no spread' note comes only with no verdict."""
    rng = np.random.default_rng(trial)
    scale = 10 ** rng.uniform(-3, 3)
    rel = 10 ** rng.uniform(-18, -3)
    a = scale * (1 + rel * rng.standard_normal(int(rng.integers(2, 5))))
    b = scale * rng.choice([0.5, 0.999999, 1.0]) * (1 + rel * rng.standard_normal(int(rng.integers(2, 5))))
    other = b if rng.random() < 0.7 else float(scale * 0.5)
    r = compare(a, other, rng.choice(["greater", "less"]))
    sds = [np.std(a, ddof=1)] + ([np.std(b, ddof=1)] if isinstance(other, np.ndarray) else [])
    resolved = max(sds) > 1e-6 * max(np.max(np.abs(a)), np.max(np.abs(b)) if isinstance(other, np.ndarray) else 0)
    no_spread = r.spread_note is not None and "no seed-to-seed spread" in r.spread_note
    if no_spread:
        assert r.verdict == "inconclusive" and r.decision_p == 1.0
    if r.verdict != "inconclusive":
        assert resolved and not no_spread
    if not resolved:
        assert no_spread


def test_issue_28_spread_examples():
    assert compare([0.3, math.nextafter(0.3, 1)], 0.1, "greater").verdict == "inconclusive"
    assert compare([25.01, 25.0100001], [25.0, 25.0000001], "greater").verdict == "inconclusive"
    assert compare([25.01, 25.02], [25.0, 25.01], "greater").verdict == "inconclusive"  # a resolved, small spread
    assert compare([25.31, 25.32, 25.3], [25.0, 25.01, 25.0], "greater").verdict == "supported"


def test_log_metrics_have_a_stated_resolution():
    """The gradient-norm comparison floors each arm's sd at the stated log10 resolution, with its reason."""
    from tp2core.claims.metrics import LOG_RESOLUTION, resolution

    runs = [make_run("model1", s, 0.01, profile=PROFILE, grad={"init": {"dense_1": 1e-3}}) for s in range(3)]
    values = np.log10([1e-3] * 3)
    assert resolution(runs, "first_layer_grad_norm", values) == LOG_RESOLUTION > 0


def test_a_premise_variant_without_a_usable_run_is_not_judged():
    """Every model0 run failed: the two 'model1 vs a constant' comparisons are not judged, saying why."""
    claim = CLAIMS_BY_NAME["hidden-softmax-collapses"]
    runs = {"model1": [make_run("model1", s, 0.01 + 0.001 * s, profile=PROFILE) for s in range(3)],
            "model0": [make_run("model0", s, 0.2, profile=PROFILE, status="failed", failure="nan") for s in range(3)]}
    j = judge(claim, runs, dataset="simulated", profile=PROFILE)
    against_constant = [c for c in j.comparisons if c.b is None]
    assert against_constant and all(c.verdict == "not judged" and c.not_judged == "model0 has no usable run"
                                    for c in against_constant)


def test_one_seed_plan_everywhere():
    """results.json's plan, the table's and the sentence's are one figure at α/m, present only when
    inconclusive."""
    from tp2core.claims.claim import adjust_session
    from tp2core.output.tables import claim_rows

    rng = np.random.default_rng(3)
    runs = _store(rng, range(3), means=(0.12, 0.10), sd=0.012)
    j = adjust_session([judge(CLAIM, runs, dataset="simulated", profile=PROFILE, family_size=4)], family_size=4)[0]
    [c] = j.comparisons
    d = c.to_dict()
    assert c.verdict == "inconclusive" and c.seeds_needed is not None and c.plan_alpha == pytest.approx(0.05 / 4)
    assert d["seeds_needed"] == d["result"]["seeds_needed"] == d["seeds_plan"]["seeds"] == c.seeds_needed
    assert claim_rows([j])[0]["seeds needed"].startswith(f"{c.seeds_needed} (80% power at α/m = 0.0125")
    assert f"--tp2-seeds {c.seeds_needed} " in j.sentence


def test_design_validates_and_round_trips():
    d = Design(seeds=3, max_seeds=9)
    assert Design.from_dict(d.to_dict()) == d and d.judged_seeds == 9 and d.system == "sequential"
    assert Design(seeds=3).judged_seeds == 3 and Design(seeds=3).system == "Holm"
    with pytest.raises(ConfigError, match=r"--max-seeds 2 is below the 3 seeds of the first stage"):
        Design(seeds=3, max_seeds=2)
    with pytest.raises(ConfigError, match=r"a recorded design must have 'seeds'"):
        Design.from_dict({"max_seeds": 3})
