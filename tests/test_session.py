"""Tp2Session and Options: validation, seeds and the store root, without training."""

from __future__ import annotations

import pytest

from tp2core.errors import ConfigError
from tp2core.session import Options, Tp2Session, store_root


class TestOptions:
    @pytest.mark.parametrize("seeds", [0, -1, 1001, True, 2.0])
    def test_bad_seed_count_names_the_option_and_an_example(self, seeds):
        with pytest.raises(ConfigError, match=r"^'seeds' must be an int in \[1, 1000\] .*e\.g\. --tp2-seeds 5\.$"):
            Options(seeds=seeds)

    def test_bad_profile_lists_the_profiles(self):
        with pytest.raises(ConfigError, match="smoke"):
            Options(profile="fast")


class TestSession:
    def test_seeds_come_from_the_options_else_the_profile(self):
        assert Tp2Session(Options(profile="smoke")).seeds == [0, 1]
        assert Tp2Session(Options(profile="smoke", seeds=4)).seeds == [0, 1, 2, 3]

    def test_store_root_explicit_then_environment_then_default(self, monkeypatch, tmp_path):
        monkeypatch.delenv("TP2_STORE", raising=False)
        assert store_root(Options()) == ".tp2"
        monkeypatch.setenv("TP2_STORE", str(tmp_path / "env"))
        assert store_root(Options()) == str(tmp_path / "env")
        assert store_root(Options(store=str(tmp_path / "opt"))) == str(tmp_path / "opt")


class TestSharedRuns:
    """Issue 29: one training records model4 and model4-e2000 (model5 and model5-augval): asking for either trains
    the shared run once, stores both records under their own identities, and a rerun reuses both."""

    @pytest.fixture
    def session(self, tmp_path, monkeypatch):
        pytest.importorskip("tensorflow")
        import sys

        sys.path[:0] = ["tests/training"]
        from test_train import tiny_dataset

        from tp2core.recipe.variants import Profile
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
