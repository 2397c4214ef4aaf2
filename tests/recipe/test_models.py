"""Model builder: exact parameter counts per layer, stable layer names, the notes' architecture and compile."""

import numpy as np
import pytest

from tp2core.recipe.models import build_model, compile_model, forward_macs, layer_names, layer_shapes, parameter_counts
from tp2core.recipe.variants import MODEL0, MODEL1, MODEL2, MODEL4, PROFILES, VARIANTS

keras = pytest.importorskip("keras")


def built_counts(model) -> dict[str, int]:
    return {layer.name: int(layer.count_params()) for layer in model.layers if layer.weights}


class TestParameterCounts:
    def test_model0(self):
        """Course baseline: 3072→1000→1000→100."""
        assert parameter_counts(MODEL0) == {
            "dense_1": 3072 * 1000 + 1000,  # 3,073,000
            "dense_2": 1000 * 1000 + 1000,  # 1,001,000
            "output": 1000 * 100 + 100,  # 100,100
        }

    def test_model1(self):
        """Baseline plus two hidden Dense(100, softmax)."""
        assert parameter_counts(MODEL1) == {
            "dense_1": 3_073_000,
            "dense_2": 1_001_000,
            "dense_3": 1000 * 100 + 100,  # 100,100
            "dense_4": 100 * 100 + 100,  # 10,100
            "output": 100 * 100 + 100,  # 10,100
        }

    def test_model2(self):
        """The notes' listing: Flatten → 3×Dense(1000, relu) → Dense(100, softmax): 5,175,100 parameters."""
        counts = parameter_counts(MODEL2)
        assert counts == {"dense_1": 3_073_000, "dense_2": 1_001_000, "dense_3": 1_001_000, "output": 100_100}
        assert sum(counts.values()) == 5_175_100

    def test_model4(self):
        """First layer 10,000 wide, then four 1000-wide ReLU layers: 43,834,100 parameters (43.8 M)."""
        counts = parameter_counts(MODEL4)
        assert counts["dense_1"] == 3072 * 10_000 + 10_000  # 30,730,000
        assert counts["dense_2"] == 10_000 * 1000 + 1000  # 10,001,000
        assert sum(counts.values()) == 43_834_100

    def test_quick_profile_scales_width_and_pools_the_input(self):
        """Under 'quick' model4's first layer is 10000 ÷ 10 = 1000 wide on a 16×16×3 pooled image: 768*1000+1000."""
        assert parameter_counts(PROFILES["quick"].apply(MODEL4))["dense_1"] == 768 * 1000 + 1000

    @pytest.mark.parametrize("name", ["model0", "model1", "model4", "model5"])
    def test_equals_built_model_at_quick(self, name):
        """The pooled quick models: arithmetic counts equal the built model's, which has the 'pool' layer."""
        keras.backend.clear_session()
        variant = PROFILES["quick"].apply(VARIANTS[name])
        model = build_model(variant)
        assert built_counts(model) == parameter_counts(variant)
        assert model.get_layer("pool").output.shape[1:] == (16, 16, 3)

    @pytest.mark.parametrize("name", list(VARIANTS))
    def test_equals_built_model(self, name):
        """Arithmetic counts equal the built Keras model's, for every variant at paper size."""
        keras.backend.clear_session()
        assert built_counts(build_model(VARIANTS[name])) == parameter_counts(VARIANTS[name])


class TestLayerShapes:
    def test_model2(self):
        """model2: 3072→1000→1000→1000→100; forward MACs and parameters both follow from these shapes."""
        assert layer_shapes(MODEL2) == [(3072, 1000), (1000, 1000), (1000, 1000), (1000, 100)]
        assert forward_macs(MODEL2) == 3072 * 1000 + 2 * 1000 * 1000 + 1000 * 100 == 5_172_000

    def test_scheduler_cost_uses_the_same_shapes(self):
        """estimated_cost = epochs × images × forward MACs (model2, paper profile: no augmentation)."""
        from tp2core.recipe.costs import estimated_cost

        paper = PROFILES["paper"]
        trained = paper.apply(MODEL2)
        assert estimated_cost("model2", paper) == trained.epochs * 100 * 500 * forward_macs(trained)


class TestBuildModel:
    def test_layer_names_and_activations(self):
        """Layers are flatten, dense_1..dense_k, output with the variant's activations and a softmax head."""
        keras.backend.clear_session()
        model = build_model(MODEL1)
        assert [layer.name for layer in model.layers[1:]] == ["flatten"] + layer_names(MODEL1)
        acts = [model.get_layer(n).activation.__name__ for n in layer_names(MODEL1)]
        assert acts == ["relu", "relu", "softmax", "softmax", "softmax"]
        assert model.input_shape == (None, 32, 32, 3) and model.output_shape == (None, 100)

    def test_outputs_are_probabilities(self):
        """The head is a softmax over 100 classes: rows are non-negative and sum to 1."""
        keras.backend.clear_session()
        probs = keras.ops.convert_to_numpy(build_model(MODEL0)(np.random.default_rng(0).random((4, 32, 32, 3), np.float32)))
        assert (probs >= 0).all()
        np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)

    def test_names_stable_across_builds(self):
        """A second build in the same process reuses the same names (no dense_7 drift)."""
        keras.backend.clear_session()
        build_model(MODEL2)
        assert [layer.name for layer in build_model(MODEL2).layers[2:]] == layer_names(MODEL2)

    def test_compile_as_the_notes(self):
        """Adam at the variant's rate, sparse categorical cross-entropy, no XLA."""
        keras.backend.clear_session()
        model = build_model(MODEL0)
        compile_model(model, MODEL0)
        assert isinstance(model.optimizer, keras.optimizers.Adam)
        assert float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)) == pytest.approx(1e-3)
        assert model.loss == "sparse_categorical_crossentropy"
        assert model.jit_compile is False
