"""scripts/budget_families.py gives every stream of quick's family a per-seed truth (issue 29: calibrate_budget
crashed on images_per_second) and derives the non-val_accuracy ones from the reference's sentences."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest
from scipy.stats import t as student_t

from tp2core.claims.claim import Comparison

ROOT = Path(__file__).resolve().parents[2]


def _families():
    spec = importlib.util.spec_from_file_location("budget_families", ROOT / "scripts" / "budget_families.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sentence_truth_inverts_the_interval():
    """sd = half-width / t₀.₉₇₅(n_a + n_b − 2) / √(1/n_a + 1/n_b); against a constant, × √n / t₀.₉₇₅(n − 1)."""
    bf = _families()
    two = Comparison("model2-b1024", "model2", "greater", metric="images_per_second")
    said = "log10 images/s: model2-b1024 − model2 = 0.0471 (×1.11) [95% CI −0.00370, 0.0978], p = 0.029 over 3+3 seeds"
    assert bf.sentence_truth(two, said) == pytest.approx(
        (0.0471, 0.0, 0.05075 / student_t.ppf(0.975, 4) / math.sqrt(2 / 3)))
    one = Comparison("model1", None, "less", constant=5.0, metric="train_accuracy")
    said = "train accuracy: model1 − 5.00 pts = −3.02 pts [95% CI −3.27, −2.78], p = 0.00018 over 3 seeds"
    assert bf.sentence_truth(one, said) == pytest.approx((1.98, None, 0.245 / student_t.ppf(0.975, 2) * math.sqrt(3)))


def test_every_stream_of_quick_has_a_truth():
    """All three families of quick's 19 comparisons read only streams they have a truth for, and the costs are
    the session's (a shared training's two records both priced)."""
    bf = _families()
    q = bf.quick()
    fams, labels = bf.families(q)
    assert len(q.comps) == 19 and labels[bf.BOUNDARY] == "all 19 at the boundary"
    for family, truths in fams.values():
        assert len(family) == 19
        assert all(k in truths for c in family for k in c.streams if not isinstance(k, float))
    assert q.trainings["model5-augval"] == q.trainings["model5"] and q.costs["model5-augval"] < q.costs["model5"]
