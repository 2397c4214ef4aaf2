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

