"""The notes' networks: Flatten → hidden Dense layers → Dense(100, softmax), as a keras-io style builder.

``layer_shapes`` and what is derived from it (``parameter_counts``, ``forward_macs``) are pure arithmetic (no
Keras import), so tables, reports, the run scheduler and ``tp2 perf`` can size a model without building a 43.8
M-parameter one.
"""

from __future__ import annotations

from ..data.dataset import IMAGE_SHAPE, NUM_FINE
from .variants import Variant

INPUT_FEATURES = IMAGE_SHAPE[0] * IMAGE_SHAPE[1] * IMAGE_SHAPE[2]  # 32*32*3 = 3072 after Flatten


def input_features(variant: Variant) -> int:
    """Inputs of the first Dense layer: 3072, or 3072 / p² after a p×p average pool (Variant.input_pool)."""
    return INPUT_FEATURES // (variant.input_pool * variant.input_pool)


FIRST_LAYER = "dense_1"  # the first hidden Dense layer's name (layer_names): where the gradient/weight probes look


def layer_names(variant: Variant) -> list[str]:
    """Names of the layers with weights, input side first: dense_1 … dense_k, output."""
    return [f"dense_{i}" for i in range(1, len(variant.hidden_units) + 1)] + ["output"]


def layer_shapes(variant: Variant) -> list[tuple[int, int]]:
    """(fan_in, fan_out) of each Dense layer, input side first: 3072 → hidden widths → 100."""
    widths = [input_features(variant), *variant.hidden_units, NUM_FINE]
    return list(zip(widths, widths[1:]))


def parameter_counts(variant: Variant) -> dict[str, int]:
    """Trainable parameters per Dense layer (kernel + bias), computed without building the model."""
    shapes = layer_shapes(variant)
    return {name: fan_in * fan_out + fan_out for name, (fan_in, fan_out) in zip(layer_names(variant), shapes)}


def forward_macs(variant: Variant) -> int:
    """Multiply-accumulates per image in the forward pass (the Dense layers' kernels)."""
    return sum(fan_in * fan_out for fan_in, fan_out in layer_shapes(variant))


def build_model(variant: Variant):
    """Input(32,32,3) → [AveragePooling2D(p) when the profile pools] → Flatten → Dense(u, act) per hidden layer →
    Dense(100, softmax). Not compiled.

    Keras' default initialisers (Glorot-uniform kernels, zero biases): the notes' `Sequential` sets none.
    """
    import keras

    inputs = keras.Input(shape=IMAGE_SHAPE, name="image")
    h = inputs
    if variant.input_pool > 1:  # a scale lever (Profile.input_pool), not the notes': named in every table
        h = keras.layers.AveragePooling2D(variant.input_pool, name="pool")(h)
    h = keras.layers.Flatten(name="flatten")(h)
    for name, units, activation in zip(layer_names(variant), variant.hidden_units, variant.hidden_activations):
        h = keras.layers.Dense(units, activation=activation, name=name)(h)
    # float32 whatever the global dtype policy: under mixed_bfloat16 the softmax and the loss stay float32
    # (keras-io's mixed-precision guide); under the float32 recipe this is what the layer does anyway.
    outputs = keras.layers.Dense(NUM_FINE, activation="softmax", name="output", dtype="float32")(h)
    return keras.Model(inputs, outputs, name=variant.name.replace("-", "_"))


def compile_model(model, variant: Variant) -> None:
    """As a student's Keras script: Adam at the variant's rate, sparse categorical cross-entropy, accuracy.

    ``jit_compile=False``: Keras turns XLA off anyway once TF op determinism is on; saying so keeps the
    recorded flag truthful on every backend/device.
    """
    import keras

    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=variant.learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        jit_compile=False,
    )
