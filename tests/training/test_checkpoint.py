"""Epoch checkpoint files (issue 17.2, reliability G2): round trip; another identity, another recipe version or a
corrupted/truncated file is ignored with a warning naming it, never loaded; discard removes the file."""

from __future__ import annotations

import numpy as np
import pytest

from tp2core.training import checkpoint
from tp2core.training.checkpoint import State

ID = "a" * 20


def _save(tmp_path, identity=ID):
    path = checkpoint.path_for(tmp_path, identity)
    checkpoint.save(path, identity, State(3, [np.arange(6, dtype=np.float32).reshape(2, 3), np.int64(7) * np.ones(1)],
                                          {"loss": [3.0, 2.0, 1.0]}, {"epoch_seconds": [1.0]}))
    return path


def test_round_trip(tmp_path):
    state = checkpoint.load(_save(tmp_path), ID)
    assert state.epoch == 3 and state.history == {"loss": [3.0, 2.0, 1.0]} and state.extra["epoch_seconds"] == [1.0]
    assert np.array_equal(state.variables[0], np.arange(6, dtype=np.float32).reshape(2, 3))


def test_another_identity_is_ignored(tmp_path):
    path = _save(tmp_path, "b" * 20)
    with pytest.warns(UserWarning, match=f"checkpoint {path} ignored: it belongs to run 'bbbb"):
        assert checkpoint.load(path, ID) is None


def test_another_recipe_version_is_ignored(tmp_path, monkeypatch):
    path = _save(tmp_path)
    monkeypatch.setattr(checkpoint, "RECIPE_VERSION", "another")
    with pytest.warns(UserWarning, match="recipe version"):
        assert checkpoint.load(path, ID) is None


@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_a_corrupted_file_is_ignored(tmp_path, damage):
    path = _save(tmp_path)
    data = bytearray(path.read_bytes())
    if damage == "truncate":
        data = data[: len(data) // 2]
    else:  # a byte inside the first array's data: the zip stays readable, the hash catches it
        at = data.index(np.arange(6, dtype=np.float32).tobytes())
        data[at + 5] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.warns(UserWarning, match=f"checkpoint {path} ignored"):
        assert checkpoint.load(path, ID) is None


def test_discard_removes_the_file(tmp_path):
    path = _save(tmp_path)
    checkpoint.discard(tmp_path, ID)
    checkpoint.discard(tmp_path, ID)  # idempotent
    assert not path.exists()


def test_saver_waits_every_s_between_saves(tmp_path):
    class Monitor:
        failure, epoch_seconds, grad_norms = None, [], {}

    class Var:
        def numpy(self):
            return np.zeros(2)

    class Model:
        variables = [Var()]
        optimizer = type("O", (), {"variables": [Var()]})()

    now = [0.0]
    saver = checkpoint.Saver(checkpoint.path_for(tmp_path, ID), ID, Monitor(), every=10, clock=lambda: now[0])
    saver.set_model(Model())
    saver.on_epoch_begin(0)  # every other fastfit hook is a no-op
    epochs = []
    for epoch, t in enumerate((4, 11, 15, 22)):
        now[0] = t
        saver.on_epoch_end(epoch, {"loss": 1.0})
        state = checkpoint.load(saver.path, ID)
        epochs.append(state and state.epoch)
    assert epochs == [None, 2, 2, 4]


def test_the_session_deletes_a_runs_checkpoint_once_it_is_recorded(tmp_path):
    from types import SimpleNamespace

    from tp2core.session import Options, Tp2Session

    session = Tp2Session(Options(store=str(tmp_path)))
    path = _save(tmp_path / "checkpoints")
    other = _save(tmp_path / "checkpoints", "b" * 20)
    got = (SimpleNamespace(identity=ID), False)
    assert session._recorded(got) is got
    assert not path.exists() and other.exists()
