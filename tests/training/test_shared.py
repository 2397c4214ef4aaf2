"""One training, several records (issue 29): a prefix record and an evaluation record equal their own training's
record bit for bit (weight hashes, figures, history), a record outside the run is refused, a shared run resumed
from a checkpoint before the prefix's end still records it exactly, and the session trains a shared run once."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tp2core.errors import ConfigError
from tp2core.recipe.variants import MODEL4, MODEL5, Profile
from tp2core.session import Options, Tp2Session
from tp2core.training import shared
from tp2core.training.train import make_spec, train_spec

pytest.importorskip("tensorflow")
from test_train import tiny_dataset  # noqa: E402  (rootdir-relative import, as test_precision)

UNIT = Profile(name="unit", train_per_class=None, test_per_class=None)
SHORT = replace(MODEL4, name="short", hidden_units=(24, 16), hidden_activations=("relu", "relu"), epochs=2,
                batch_size=64)
LONG = replace(SHORT, name="long", epochs=4)
CLEAN = replace(MODEL5, name="clean", hidden_units=(24,), hidden_activations=("relu",), epochs=2, batch_size=64)
AUGVAL = replace(CLEAN, name="augval", validation="augmented")
SAME = ("weights_sha256", "val_accuracy", "val_loss", "train_accuracy", "train_loss", "history",
        "first_layer_weight_change", "grad_norms", "status", "train_images", "params_per_layer")


def _spec(variant, seed=0, dataset=None):
    return make_spec(variant, seed, dataset or tiny_dataset(), UNIT)


def _same(a, b) -> dict:
    """The fields where two records of the same run differ (timings, dates and specs aside)."""
    return {k: (getattr(a, k), getattr(b, k)) for k in SAME if getattr(a, k) != getattr(b, k)}


class TestRelation:
    def test_prefix_and_evaluation(self):
        assert shared.relation(_spec(LONG), _spec(SHORT)) == shared.PREFIX
        assert shared.relation(_spec(CLEAN), _spec(AUGVAL)) == shared.EVALUATION

    def test_a_record_outside_the_run_is_refused(self):
        """A longer record, another seed or another width is not inside the run: ConfigError naming the fields."""
        with pytest.raises(ConfigError, match=r"^'records' must be runs inside the trained run short: .*\(got long, "
                                              r"which differs in \['epochs'\]\); train it on its own\.$"):
            shared.relation(_spec(SHORT), _spec(LONG))
        with pytest.raises(ConfigError, match=r"differs in \['epochs', 'seed'\]"):
            shared.relation(_spec(LONG), _spec(SHORT, seed=1))
        with pytest.raises(ConfigError, match=r"differs in \['epochs', 'hidden_units'\]"):
            shared.relation(_spec(LONG), _spec(replace(SHORT, hidden_units=(24, 8))))


class TestRecords:
    def test_prefix_record_is_a_fresh_run_bit_for_bit(self):
        """One 4-epoch training records the 2-epoch run too: its weights hash and figures equal a fresh 2-epoch
        run's, and the 4-epoch record equals a fresh 4-epoch run's."""
        data = tiny_dataset()
        got = []
        long, _ = train_spec(_spec(LONG, dataset=data), data, records=(_spec(SHORT, dataset=data),),
                             on_record=got.append)
        short = got[0]
        assert [r.spec.variant.name for r in got] == ["short"] and short.spec == _spec(SHORT, dataset=data)
        assert len(short.history["loss"]) == 2 and len(short.epoch_seconds) == 2
        assert short.weights_sha256 != long.weights_sha256
        assert _same(short, train_spec(_spec(SHORT, dataset=data), data)[0]) == {}
        assert _same(long, train_spec(_spec(LONG, dataset=data), data)[0]) == {}

    def test_evaluation_record_is_a_separate_training(self):
        """model5-augval's record from model5's training: the figures and history a training of its own gives,
        and model5's own record is unchanged by the extra validation."""
        data = tiny_dataset()
        got = []
        clean, _ = train_spec(_spec(CLEAN, dataset=data), data, records=(_spec(AUGVAL, dataset=data),),
                              on_record=got.append)
        augval = got[0]
        assert augval.spec == _spec(AUGVAL, dataset=data) and augval.weights_sha256 == clean.weights_sha256
        assert augval.val_accuracy != clean.val_accuracy or augval.val_loss != clean.val_loss
        assert _same(augval, train_spec(_spec(AUGVAL, dataset=data), data)[0]) == {}
        assert _same(clean, train_spec(_spec(CLEAN, dataset=data), data)[0]) == {}

    def test_resumed_before_the_prefix_end_records_it_exactly(self, tmp_path, monkeypatch):
        """Killed after epoch 1 (checkpoint every epoch), the shared run resumes and records the prefix as a fresh
        2-epoch run would."""
        monkeypatch.setenv("TP2_CHECKPOINT_EVERY_S", "0")
        data = tiny_dataset()
        long_spec, short_spec = _spec(LONG, dataset=data), _spec(SHORT, dataset=data)

        def kill(epoch, logs):
            if epoch == 2:
                raise KeyboardInterrupt  # after epoch 1's checkpoint, before epoch 2's

        got = []
        with pytest.raises(KeyboardInterrupt):
            train_spec(long_spec, data, checkpoint_dir=tmp_path, records=(short_spec,), on_record=got.append,
                       on_epoch=kill)
        assert got == []
        long, _ = train_spec(long_spec, data, checkpoint_dir=tmp_path, records=(short_spec,), on_record=got.append)
        assert long.resumed_from == [1] and got[0].resumed_from == [1]
        assert _same(got[0], train_spec(short_spec, data)[0]) == {}
        assert _same(long, train_spec(long_spec, data)[0]) == {}


class TestSharedRuns:
    """Issue 29: one training records model4 and model4-e2000 (model5 and model5-augval): asking for either trains
    the shared run once, stores both records under their own identities, and a rerun reuses both."""

    @pytest.fixture
    def session(self, tmp_path, monkeypatch):
        from tp2core.training import train

        s = Tp2Session(Options(profile="smoke", store=str(tmp_path / "store")))
        s.profile = Profile(name="unit", train_per_class=None, test_per_class=None, max_width=16,
                            epochs={1000: 2, 2000: 4})
        s.dataset = tiny_dataset()
        s.trainings = []
        real = train.train_spec
        monkeypatch.setattr(train, "train_spec", lambda spec, *a, **k: s.trainings.append(spec.variant.name)
                            or real(spec, *a, **k))
        return s

    @pytest.mark.parametrize(("asked", "other", "trained"), [("model4", "model4-e2000", "model4-e2000"),
                                                             ("model4-e2000", "model4", "model4-e2000"),
                                                             ("model5-augval", "model5", "model5")])
    def test_either_record_trains_the_shared_run_once(self, session, asked, other, trained):
        result, reused = session.run(asked, 0)
        assert not reused and result.spec == session.spec(asked, 0) and session.trainings == [trained]
        stored = session.store.get(session.spec(other, 0).identity())
        assert stored is not None and stored.ok and stored.spec == session.spec(other, 0)
        assert session.run(other, 0)[1] and session.run(asked, 0)[1] and session.trainings == [trained]
        assert session.store.in_flight() == []

    def test_runs_of_trains_a_shared_pair_once(self, session):
        got = session.runs_of([("model4", 0), ("model4-e2000", 0)])
        assert session.trainings == ["model4-e2000"]
        assert [r.spec.variant.epochs for r, _ in got.values()] == [2, 4]
