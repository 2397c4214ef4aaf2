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


def test_training_cells_cover_every_claim_variant_and_the_learn_probe():
    needed = {v for c in CLAIMS for v in c.variants} | {"learn-probe"}
    assert set(_module("test_training").TP2_VARIANTS) == needed


def test_smoke_reference_of_the_learn_probe_is_far_above_chance_and_its_floor_excludes_chance():
    """The gated smoke cell that must learn: recorded far above chance (10% on 10 classes) and above the gate's
    floor (LEARNED_MULTIPLE × chance, the regime's "learned", whatever the band: two seeds on 50 images make a
    wide band), which fails a run at chance."""
    import json

    from tp2core.output import gate

    ref = json.loads((BENCH.parent / "references" / "simulated-smoke.json").read_text())
    learn = ref["variants"]["learn-probe"]
    floor = gate.LEARNED_MULTIPLE * 10.0
    assert floor >= 2 * 10.0 and learn["mean"] > floor


def test_cost_orders_model5_before_model0():
    quick = get_profile("quick")
    assert estimated_cost("model5", quick) > estimated_cost("model4", quick) > estimated_cost("model0", quick)
