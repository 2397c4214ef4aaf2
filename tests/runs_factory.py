"""Build RunResult values directly (no training) for tests of tables, the gate and reports."""

from __future__ import annotations

from tp2core.training.runs import RunResult, RunSpec
from tp2core.recipe.variants import get_profile, get_variant


def make_run(variant="model0", seed=0, acc=0.2, *, profile="smoke", dataset="simulated", fp="f" * 64,
             status="ok", failure=None, images_per_second=1000.0, grad=None, epochs=2, precision="float32"):
    prof = get_profile(profile)
    spec = RunSpec(prof.apply(get_variant(variant)), profile, prof.train_per_class, prof.test_per_class, seed,
                   dataset, fp, precision=precision)
    hist = {"val_accuracy": [acc / 2, acc][-epochs:], "accuracy": [acc, acc + 0.1][-epochs:],
            "loss": [4.0, 3.0][-epochs:], "val_loss": [4.1, 3.9][-epochs:]}
    return RunResult(
        spec=spec, status=status, failure=failure, val_accuracy=None if status != "ok" else acc,
        history=hist, epoch_seconds=[1.5] * epochs, train_seconds=1.5 * epochs + 0.1,
        images_per_second=images_per_second, train_images=500,
        grad_norms=grad or {"init": {"dense_1": 1.0}, "epoch1": {"dense_1": 0.5}},
        environment={"python": "3.11.7", "tensorflow": "2.21.0", "keras": "3.15.1", "numpy": "2.4.6",
                     "backend": "tensorflow", "device": "cpu (test)", "intra_op_threads": 1},
    )


def meta(dataset="simulated", profile="smoke", fp="f" * 64, seeds=(0, 1), precision="float32"):
    return {"dataset": dataset, "dataset_label": dataset, "dataset_source": "test", "dataset_fingerprint": fp,
            "simulated": dataset == "simulated", "profile": profile, "seeds": len(seeds), "seed_values": list(seeds),
            "precision": precision}


def made_runs_session(accuracy, profile="quick"):
    """A Tp2Session subclass whose 'training' makes the run ``accuracy(variant, seed)`` gives and appends the
    (variant, seed) to the instance's ``trained`` list; everything else is the real session."""
    from tp2core.session import Tp2Session

    class MadeRuns(Tp2Session):
        trained: list

        def spec(self, variant_name, seed):
            return make_run(variant_name, seed, profile=profile).spec

        def meta(self):
            return meta(profile=profile, seeds=tuple(self.seeds))

        def _train_fn(self, variant_name, seed, on_epoch=None):
            def made():
                self.trained.append((variant_name, seed))
                return self.made(variant_name, seed)
            return made

        def made(self, variant_name, seed):
            return make_run(variant_name, seed, accuracy(variant_name, seed), profile=profile)

    return MadeRuns
