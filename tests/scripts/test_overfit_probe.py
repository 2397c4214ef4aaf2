"""scripts/overfit_probe.py trains model3's own recipe on the quick profile's data subset (issue 15, target 4)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from tp2core.recipe.plan import trained
from tp2core.recipe.variants import get_profile

ROOT = Path(__file__).resolve().parents[2]


def _probe_module():
    spec = importlib.util.spec_from_file_location("overfit_probe", ROOT / "scripts" / "overfit_probe.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_probe_keeps_model3_recipe_on_the_quick_subset():
    """The notes' widths, batch and epochs for model3; the quick profile's images per class."""
    profile = _probe_module().probe_profile(100)
    quick = get_profile("quick")
    t = trained("model3", profile)
    assert (t.widths, t.batch_size, t.epochs) == ((1000, 1000, 1000), 128, 100)
    assert (profile.train_per_class, profile.test_per_class) == (quick.train_per_class, quick.test_per_class)


def test_probe_epochs_are_the_argument():
    assert trained("model3", _probe_module().probe_profile(7)).epochs == 7
