"""scripts/overfit_probe.py trains model3's own recipe on a subset stated in the script (issue 15, target 4)."""

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


def test_probe_keeps_model3_recipe_on_its_own_subset():
    """The notes' widths, batch, epochs and 32×32 input for model3, on the 63 / 20 images per class
    docs/simulator.md states — not whatever the quick profile uses now (200 / 50, pooled to 16×16)."""
    probe = _probe_module()
    profile = probe.probe_profile(100)
    t = trained("model3", profile)
    assert (t.widths, t.batch_size, t.epochs, t.input_shape) == ((1000, 1000, 1000), 128, 100, (32, 32, 3))
    assert (profile.train_per_class, profile.test_per_class) == (63, 20)
    assert get_profile("quick").input_pool == 2  # what the probe used to inherit silently
    doc = (ROOT / "docs" / "simulator.md").read_text()
    assert probe.scale_text() == "63 training and 20 validation images per class, the 32×32 input (not pooled)"
    assert probe.scale_text() in doc


def test_probe_epochs_are_the_argument():
    assert trained("model3", _probe_module().probe_profile(7)).epochs == 7
