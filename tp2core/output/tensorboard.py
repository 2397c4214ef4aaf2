"""TensorBoard event files from stored runs: each run's per-epoch loss and accuracy (training and validation) as
scalars, and its variant's factors with its final metrics as HParams — `tensorboard --logdir DIR` shows the
ablation in the HParams table and parallel-coordinates views.

Written from ``RunResult.history`` (stored runs, so reused ones appear too) with the ``tensorboard`` package's own
TF-free writers — ``tensorboard.summary.Writer`` for scalars, ``tensorboard.plugins.hparams.summary_v2`` (the
module behind ``hparams.api``, whose ``api`` itself imports TensorFlow) for the HParams protos — so it works on
every Keras backend. ``tensorboard`` is the optional ``tensorboard`` extra.

Layout: ``DIR/<dataset>-<profile>[-<precision>]/<variant>/seed<seed>-<identity[:8]>/`` per run, written once
(a run's numbers never change under its identity); the experiment (which HParams and metrics) at ``DIR/``,
rewritten each time so it lists every variant written so far.
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

from ..errors import ConfigError

INSTALL_HINT = "pip install 'tp2[tensorboard]' (or pip install tensorboard)"
EXPERIMENT_SUFFIX = ".tp2-experiment"  # the experiment's event file at DIR/, replaced on every write
# (history key, scalar tag): per epoch, step = epoch (1-based)
SCALARS = (("loss", "loss/train"), ("val_loss", "loss/validation"), ("accuracy", "accuracy/train"),
           ("val_accuracy", "accuracy/validation"))
METRICS = ("final/val_accuracy", "final/val_loss", "final/train_accuracy", "final/train_loss", "final/seconds")


def available() -> bool:
    return importlib.util.find_spec("tensorboard") is not None


def require_tensorboard(option: str) -> None:
    """A clear error naming the package when ``option`` is used without it."""
    if not available():
        raise ConfigError(f"{option} writes TensorBoard event files and needs the 'tensorboard' package, which is "
                          f"not installed: {INSTALL_HINT}.")


def hparams(run) -> dict:
    """The run's variant factors as HParams (plain str/int/float/bool)."""
    spec, v = run.spec, run.spec.variant
    side = 32 // v.input_pool
    return {"variant": v.name, "epochs": v.epochs, "batch_size": v.batch_size,
            "widths": "-".join(map(str, v.hidden_units)), "activations": "-".join(v.hidden_activations),
            "input": f"{side}x{side}x3", "augmentation": v.augmentation, "validation": v.validation,
            "seed": spec.seed, "profile": spec.profile, "dataset": spec.dataset_name, "precision": spec.precision}


def run_dir(root: Path, run) -> Path:
    spec = run.spec
    group = f"{spec.dataset_name}-{spec.profile}" + ("" if spec.precision == "float32" else f"-{spec.precision}")
    return root / group / spec.variant.name / f"seed{spec.seed}-{run.identity[:8]}"


def write_tensorboard(root: str | Path, runs: list) -> list[Path]:
    """Event files for every successful run not yet written under ``root``, and the experiment; returns the run
    directories written now."""
    require_tensorboard("TensorBoard output")
    root = Path(root)
    ok = [r for r in runs if r.ok and r.history]
    written = [_write_run(run_dir(root, r), r) for r in ok if not run_dir(root, r).is_dir()]
    if ok:
        _write_experiment(root, ok)
    return written


def _write_run(path: Path, run) -> Path:
    from tensorboard.plugins.hparams import summary_v2
    from tensorboard.summary import Writer

    partial = path.with_name(path.name + ".partial")  # renamed when complete: a crash leaves no half run
    partial.mkdir(parents=True, exist_ok=True)
    wall = time.time()
    writer = Writer(str(partial))
    for key, tag in SCALARS:
        for epoch, value in enumerate(run.history.get(key) or [], start=1):
            writer.add_scalar(tag, value, epoch, wall_time=wall)
    epochs = max((len(run.history.get(k) or []) for k, _ in SCALARS), default=0)
    finals = {"final/val_accuracy": run.val_accuracy, "final/val_loss": run.val_loss,
              "final/train_accuracy": run.train_accuracy, "final/train_loss": run.train_loss,
              "final/seconds": run.train_seconds}
    for tag, value in finals.items():
        if value is not None:
            writer.add_scalar(tag, value, epochs, wall_time=wall)
    writer.close()
    _write_pb(partial, summary_v2.hparams_pb(hparams(run), trial_id=str(path.relative_to(path.parents[2]))), wall)
    partial.rename(path)
    return path


def _write_experiment(root: Path, runs: list) -> None:
    from tensorboard.plugins.hparams import summary_v2

    for old in root.glob(f"events.out.tfevents.*{EXPERIMENT_SUFFIX}"):
        old.unlink()
    values: dict[str, set] = {}
    for r in runs:
        for name, value in hparams(r).items():
            values.setdefault(name, set()).add(value)
    params = [summary_v2.HParam(name, _domain(summary_v2, vals)) for name, vals in values.items()]
    config = summary_v2.hparams_config_pb(params, [summary_v2.Metric(tag) for tag in METRICS])
    _write_pb(root, config, time.time(), suffix=EXPERIMENT_SUFFIX)


def _domain(summary_v2, values: set):
    """Discrete over the values seen (one type), so the dashboard filters by them."""
    if all(isinstance(v, str) for v in values) or all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                      for v in values):
        return summary_v2.Discrete(sorted(values))
    return None


def _write_pb(directory: Path, summary, wall: float, suffix: str = "") -> None:
    from tensorboard.compat.proto import event_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    writer = EventFileWriter(str(directory), filename_suffix=suffix)
    writer.add_event(event_pb2.Event(wall_time=wall, step=0, summary=summary))
    writer.close()
