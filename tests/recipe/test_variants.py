"""Variants and profiles: the notes' recipes, validation messages, profile scaling."""

from dataclasses import asdict, replace

import pytest

from tp2core.errors import ConfigError
from tp2core.recipe.variants import MODEL0, MODEL2, PROFILES, VARIANTS, Profile, Variant, get_profile, get_variant

CONTRACT_NAMES = ["model0", "model1", "model2", "model3", "model4", "model5",
                  "model2-bugaug", "model3-bugaug", "model4-bugaug"]


class TestVariant:
    @pytest.mark.parametrize("name", CONTRACT_NAMES)
    def test_contract_names_exist_and_cite_the_notes(self, name):
        """Every contract variant exists and says where in the notes it comes from."""
        assert get_variant(name).name == name and get_variant(name).notes_section

    def test_notes_recipes(self):
        """The recipes the notes list: model2 3×1000 relu, model3 100 epochs, model4 batch 1024 + 10K + 1000 epochs."""
        assert get_variant("model2").hidden_units == (1000, 1000, 1000)
        assert get_variant("model3").epochs == 100
        m4 = get_variant("model4")
        assert (m4.batch_size, m4.hidden_units[0], m4.epochs) == (1024, 10000, 1000)
        assert get_variant("model5").augmentation == "full"
        assert all(get_variant(n).augmentation == "single_batch_bug" for n in CONTRACT_NAMES if n.endswith("bugaug"))
        assert get_variant("model1").hidden_activations[-2:] == ("softmax", "softmax")

    def test_bugaug_differs_only_in_augmentation(self):
        for base in ("model2", "model3", "model4"):
            bug = get_variant(f"{base}-bugaug")
            assert replace(bug, name=base, augmentation="none", notes_val_accuracy=None, notes_section="",
                           description="") == replace(get_variant(base), notes_val_accuracy=None,
                                                      notes_section="", description="")

    @pytest.mark.parametrize(
        "field, value, message",
        [
            ("epochs", 0, "'epochs' must be a positive int (got 0)."),
            ("batch_size", True, "'batch_size' must be a positive int (got True)."),
            ("augmentation", "some", "'augmentation' must be one of ('none', 'full', 'single_batch_bug') (got 'some')."),
            ("learning_rate", 1, "'learning_rate' must be a float in (0, 1) (got 1)."),
        ],
    )
    def test_validation_messages(self, field, value, message):
        """Bad fields raise ConfigError saying what was passed and what is expected."""
        with pytest.raises(ConfigError) as info:
            replace(MODEL0, **{field: value})
        assert str(info.value) == message

    def test_activations_must_match_layers(self):
        with pytest.raises(ConfigError, match="'hidden_activations' must be a tuple of 3 names"):
            Variant(name="x", hidden_units=(1, 2, 3), hidden_activations=("relu",))

    def test_unknown_variant_lists_valid_names(self):
        with pytest.raises(ConfigError, match=r"unknown variant 'model9'; valid variants: model0, model1"):
            get_variant("model9")


class TestProfile:
    def test_paper_is_the_notes_exactly(self):
        paper = get_profile("paper")
        assert all(paper.apply(v) == v for v in VARIANTS.values())
        assert paper.train_per_class is None and paper.seeds == 5

    def test_quick_keeps_the_notes_orderings(self):
        """Quick keeps epochs 10 < 100 in the notes' phase and 100 < 1000 in model4's (÷10), and the first layer of
        model4 wider than the rest."""
        q = get_profile("quick")
        e = [q.apply(get_variant(n)).epochs for n in ("model2", "model3", "model3-base", "model4")]
        assert e[0] < e[1] and e[2] < e[3]
        m4 = q.apply(get_variant("model4"))
        assert m4.hidden_units[0] > max(m4.hidden_units[1:])
        assert q.apply(MODEL2) == replace(MODEL2, epochs=e[0], hidden_units=(100, 100, 100), input_pool=2)

    def test_quick_trains_the_notes_phase_where_cheap(self):
        """Issue 29: model0-model2 train the notes' 10 epochs and model3 its 100; model4's family, the arms and
        their baseline model3-base stay ÷10, the baseline named apart from model3."""
        q = get_profile("quick")
        epochs = {n: q.apply(get_variant(n)).epochs for n in (
            "model0", "model1", "model2", "model2-bugaug", "model2-b1024", "model3", "model3-base", "model3-wide",
            "model3-b1024", "model3-deep", "model3-bugaug", "model3-e1000", "model4", "model4-e2000", "model5")}
        assert epochs == {"model0": 10, "model1": 10, "model2": 10, "model2-bugaug": 10, "model2-b1024": 10,
                          "model3": 100, "model3-base": 10, "model3-wide": 10, "model3-b1024": 10, "model3-deep": 10,
                          "model3-bugaug": 10, "model3-e1000": 100, "model4": 100, "model4-e2000": 200, "model5": 100}
        trains = lambda v: {k: x for k, x in asdict(v).items()  # noqa: E731
                            if k not in ("name", "notes_val_accuracy", "notes_section", "description")}
        assert trains(get_variant("model3-base")) == trains(get_variant("model3"))  # paper: model3 exactly

    def test_full_epochs_names_known_variants(self):
        with pytest.raises(ConfigError, match=r"^'full_epochs' must be a tuple of variant names from \('model0', "):
            Profile(name="x", train_per_class=None, test_per_class=None, full_epochs=("model9",))

    def test_seed_counts(self):
        assert [PROFILES[p].seeds for p in ("smoke", "quick", "paper")] == [2, 3, 5]

    def test_scale_note_names_the_factors(self):
        note = get_profile("quick").scale_note(get_variant("model4"))
        assert "epochs 1000→100" in note and "widths 10000-" in note and "train 200/class" in note
        assert "input pooled 32×32→16×16" in note and "batch" not in note  # quick keeps the notes' batch sizes

    def test_every_notes_epoch_count_is_mapped(self):
        """No variant trains its paper epochs outside paper (a missing map entry means 'unchanged')."""
        for profile in ("smoke", "quick"):
            assert all(get_variant(n).epochs in get_profile(profile).epochs for n in VARIANTS)

    def test_unknown_profile(self):
        with pytest.raises(ConfigError, match="valid profiles: smoke, quick, paper"):
            get_profile("fast")


class TestLearnProbe:
    def test_classes_validation(self):
        """'classes' is None or an int in [2, 100], with the exact message."""
        with pytest.raises(ConfigError) as exc:
            replace(MODEL0, classes=1)
        assert str(exc.value) == "'classes' must be None or an int in [2, 100] (got 1)."

    def test_ten_classes_from_ten_coarse_classes(self):
        """Every 10th fine label: no two share a coarse class (fine k → coarse k // 5)."""
        from tp2core.recipe.variants import class_subset

        labels = class_subset(get_variant("learn-probe").classes)
        assert labels == (0, 10, 20, 30, 40, 50, 60, 70, 80, 90)
        assert len({k // 5 for k in labels}) == 10 and class_subset(None) is None

    def test_classes_is_part_of_the_identity_and_leaves_old_ones_alone(self):
        """A run on 10 classes has another identity; a notes variant's identity is what it was before the field."""
        import dataclasses
        import hashlib
        import json

        from tp2core.training.runs import RECIPE_VERSION, RunSpec

        spec = RunSpec(MODEL0, "smoke", 5, 5, 0, "simulated", "f" * 64)
        old = dataclasses.asdict(spec)
        for later in ("classes", "input_pool", "bug_images"):  # fields added later, at their defaults
            del old["variant"][later]
        old["recipe_version"] = RECIPE_VERSION
        before = hashlib.sha256(json.dumps(old, sort_keys=True, default=list).encode()).hexdigest()[:20]
        assert spec.identity() == before
        assert replace(spec, variant=replace(MODEL0, classes=10)).identity() != before
