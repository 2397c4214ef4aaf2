"""training.isolation.prepare_run on every Keras pyproject allows (keras>=3.0.5): ``clear_session`` takes
``free_memory`` only from Keras 3.3 (issue 28, item 8)."""

from __future__ import annotations

import keras
import pytest

from tp2core.training import isolation
from tp2core.training.precision import set_tf32, tf32_enabled


@pytest.fixture
def no_tensorflow_resets(monkeypatch):
    """prepare_run's thread and determinism steps stubbed: the test is about its Keras calls only."""
    monkeypatch.setattr(isolation, "configure_threads", lambda n: None)
    monkeypatch.setattr(isolation, "enable_determinism", lambda: None)


def test_prepare_run_on_keras_before_3_3(monkeypatch, no_tensorflow_resets):
    """Keras 3.0–3.2's clear_session() has no argument (tox py311-tf216 pins 3.0.5): prepare_run calls it bare
    and still resets what a run of another precision left — the dtype policy and TensorFloat-32 (this stand-in
    clear_session resets nothing itself, so the resets shown are prepare_run's own)."""
    calls = []

    def clear_session():  # the Keras 3.0 signature
        calls.append("cleared")

    monkeypatch.setattr(keras.backend, "clear_session", clear_session)
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    set_tf32(True)
    try:
        assert isolation.prepare_run(1) is None
        assert calls == ["cleared"] and keras.mixed_precision.global_policy().name == "float32"
        assert tf32_enabled() is False
    finally:
        keras.mixed_precision.set_global_policy("float32")
        set_tf32(False)


def test_prepare_run_keeps_memory_where_keras_allows(monkeypatch, no_tensorflow_resets):
    """Keras ≥ 3.3: clear_session(free_memory=False) — train's own clear_session collects once per run."""
    calls = []

    def clear_session(free_memory=True):  # the Keras ≥ 3.3 signature
        calls.append(free_memory)

    monkeypatch.setattr(keras.backend, "clear_session", clear_session)
    assert isolation.prepare_run(1) is None
    assert calls == [False]
