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
