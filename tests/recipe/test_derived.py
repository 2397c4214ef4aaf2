"""tp2core.recipe.derived: which training gives which records (issue 29), declared once and valid at every profile."""

from __future__ import annotations

import pytest

from tp2core.recipe.derived import DERIVATIONS, Derivation, SharedRun, check_disjoint, shared_run
from tp2core.recipe.variants import PROFILES, get_variant
from tp2core.training import shared
from tp2core.training.runs import RunSpec


def test_the_shared_runs():
    """model4-e2000 continues model4 (the longer run trains), model5-augval evaluates model5 (model5 trains)."""
    pair4 = SharedRun("model4-e2000", ("model4", "model4-e2000"))
    pair5 = SharedRun("model5", ("model5", "model5-augval"))
    assert [shared_run(v) for v in ("model4", "model4-e2000", "model5", "model5-augval")] == [pair4, pair4, pair5,
                                                                                               pair5]
    assert shared_run("model3") == SharedRun("model3", ("model3",))


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_every_derivation_is_inside_its_training_at_every_profile(profile):
    """As each profile trains them, the derived run is a prefix or an evaluation of the trained one."""
    p = PROFILES[profile]

    def spec(name):
        return RunSpec(variant=p.apply(get_variant(name)), profile=p.name, train_per_class=p.train_per_class,
                       test_per_class=p.test_per_class, seed=0, dataset_name="x", dataset_fingerprint="f" * 64)

    for d in DERIVATIONS:
        run = shared_run(d.variant)
        (other,) = [v for v in run.records if v != run.trained]
        assert shared.relation(spec(run.trained), spec(other)) == {"continues": shared.PREFIX,
                                                                    "evaluates": shared.EVALUATION}[d.how]


def test_bad_derivations_are_refused():
    with pytest.raises(ValueError, match=r"^'how' must be one of \('continues', 'evaluates'\) \(got 'copies'\)\.$"):
        Derivation("model4-e2000", "copies", "model4")
    with pytest.raises(ValueError, match=r"^'source' must be a variant name from \("):
        Derivation("model4-e2000", "continues", "model9")
    with pytest.raises(ValueError, match=r"^'derivations' must name each variant once \(got \['model4'\]"):
        check_disjoint((Derivation("model4-e2000", "continues", "model4"),
                        Derivation("model3-e1000", "continues", "model4")))
