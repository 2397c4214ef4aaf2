"""The claim suite's layout: every catalogue claim tested exactly once; training covers what claims need."""

import importlib.util
from pathlib import Path

from tp2core.claims.catalog import CLAIMS
from tp2core.recipe.costs import estimated_cost
from tp2core.recipe.variants import get_profile

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


def _module(name):
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_claim_in_exactly_one_topic_module():
    names = []
    for path in sorted(BENCH.glob("test_*.py")):
        names += [c.name for c in getattr(_module(path.stem), "CLAIMS", [])]
    assert sorted(names) == sorted(c.name for c in CLAIMS)


def test_training_cells_cover_every_claim_variant():
    needed = {v for c in CLAIMS for v in c.variants}
    assert set(_module("test_training").TP2_VARIANTS) == needed


def test_cost_orders_model5_before_model0():
    quick = get_profile("quick")
    assert estimated_cost("model5", quick) > estimated_cost("model4", quick) > estimated_cost("model0", quick)
