"""Run identities and RunResult JSON round trips."""

from dataclasses import replace

from tp2core.training import runs as results
from tp2core.training.runs import RunResult

from runs_factory import make_run


class TestIdentity:
    def test_round_trip(self):
        run = make_run()
        assert RunResult.from_json(run.to_json()) == run

    def test_identity_changes_with_anything_that_changes_numbers(self):
        """Seed, dataset fingerprint, threads, trained epochs and recipe version all change the identity."""
        spec = make_run().spec
        others = [
            replace(spec, seed=1),
            replace(spec, dataset_fingerprint="0" * 64),
            replace(spec, threads=2),
            replace(spec, variant=replace(spec.variant, epochs=spec.variant.epochs + 1)),
            replace(spec, precision="tf32"),
        ]
        ids = {spec.identity()} | {o.identity() for o in others}
        assert len(ids) == 1 + len(others)

    def test_recipe_version_is_part_of_identity(self, monkeypatch):
        spec = make_run().spec
        before = spec.identity()
        monkeypatch.setattr(results, "RECIPE_VERSION", results.RECIPE_VERSION + 1)
        assert spec.identity() != before

    def test_identity_is_stable_across_processes(self):
        """Content hash, not Python's randomised hash()."""
        assert make_run().spec.identity() == make_run().spec.identity()
