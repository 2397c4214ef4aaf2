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
