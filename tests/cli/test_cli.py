"""The `tp2` console script: subcommands registered, user errors as one line and exit 2, never a traceback."""

import subprocess
import sys

import pytest

from tp2core import cli


def test_help_lists_subcommands(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    for sub in ("data", "run", "runs", "report"):
        assert sub in out


def test_no_command_prints_help_and_exits_2(capsys):
    assert cli.main([]) == 2
    assert "usage: tp2" in capsys.readouterr().out


def test_unknown_variant_is_one_line_no_traceback():
    """A user's mistake in a real subprocess: exit 2, `tp2: error:` naming the valid variants."""
    out = subprocess.run([sys.executable, "-m", "tp2core.cli", "run", "model9"], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 2
    assert out.stderr.startswith("tp2: error: unknown variant 'model9'; valid variants: model0")
    assert "Traceback" not in out.stderr


def test_missing_store_for_report_is_clear(tmp_path):
    out = subprocess.run([sys.executable, "-m", "tp2core.cli", "report", "--store", str(tmp_path / "none")],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert str(tmp_path / "none") in out.stderr


@pytest.mark.parametrize("model3_accs, guard_fires", [((0.01, 0.013, 0.060), True), ((0.20, 0.21, 0.205), False)])
def test_report_from_a_store_applies_the_learning_guard(tmp_path, model3_accs, guard_fires):
    """Issue 21, through a real store: runs where model3-base did not learn → model4-worse-than-model3 is 'not judged:
    model3-base did not learn at this scale (2.77%, chance 1%…)'; runs where it learned → judged as usual."""
    from runs_factory import make_run

    from tp2core.store.database import Store

    with Store(tmp_path / "store") as store:
        for seed, acc in enumerate(model3_accs):
            store.put(make_run("model3-base", seed, acc, profile="quick"))
            store.put(make_run("model4", seed, 0.14 + seed / 100, profile="quick"))
    out = subprocess.run([sys.executable, "-m", "tp2core.cli", "report", "--store", str(tmp_path / "store"),
                          "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    report = (tmp_path / "out" / "report.md").read_text()
    assert ("model3-base did not learn at this scale (2.77%, chance 1%" in report) == guard_fires
    assert ("not judged: model3-base did not learn" in report) == guard_fires


def test_runs_format_csv_and_parquet_round_trip_into_pandas(tmp_path):
    """`tp2 runs --format csv` prints one row per stored run; `--format parquet --out FILE` writes the same rows;
    parquet without --out is a one-line error naming --out."""
    pd = pytest.importorskip("pandas")
    import io

    from runs_factory import make_run

    from tp2core.store.database import Store

    with Store(tmp_path / "store") as store:
        for seed in range(3):
            store.put(make_run("model0", seed, 0.2 + seed / 100))
    base = [sys.executable, "-m", "tp2core.cli", "runs", "--store", str(tmp_path / "store")]
    out = subprocess.run(base + ["--format", "csv"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    frame = pd.read_csv(io.StringIO(out.stdout))
    assert sorted(frame["seed"]) == [0, 1, 2] and set(frame["variant"]) == {"model0"}
    refused = subprocess.run(base + ["--format", "parquet"], capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and refused.stderr.startswith("tp2: error: '--out' must be a file")
    pytest.importorskip("pyarrow")
    wrote = subprocess.run(base + ["--format", "parquet", "--out", str(tmp_path / "r.parquet")],
                           capture_output=True, text=True, timeout=120)
    assert wrote.returncode == 0, wrote.stderr
    parquet = pd.read_parquet(tmp_path / "r.parquet")
    assert list(parquet["identity"]) == list(frame["identity"])
    assert list(parquet["val_accuracy"]) == pytest.approx(list(frame["val_accuracy"]))


def test_report_writes_tensorboard_and_tidy_files_from_the_store(tmp_path):
    """`tp2 report --tensorboard`: event files of every stored run under <out>/tensorboard, and the tidy
    runs/comparisons files beside the report."""
    pytest.importorskip("tensorboard", reason="the tensorboard extra is not installed")
    from runs_factory import make_run

    from tp2core.output.tensorboard import run_dir
    from tp2core.store.database import Store

    runs = [make_run("model0", seed, 0.2 + seed / 100) for seed in range(2)]
    with Store(tmp_path / "store") as store:
        for run in runs:
            store.put(run)
    out = subprocess.run([sys.executable, "-m", "tp2core.cli", "report", "--store", str(tmp_path / "store"),
                          "--out", str(tmp_path / "out"), "--tensorboard"], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    assert all(run_dir(tmp_path / "out" / "tensorboard", run).is_dir() for run in runs)
    assert (tmp_path / "out" / "runs.csv").read_text().count("\n") == 1 + len(runs)
