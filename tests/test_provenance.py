"""tp2core.provenance: the commit (and dirty flag) from a git checkout, absent elsewhere; the distributions."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tp2core import provenance


def test_distributions_name_the_installed_versions():
    import importlib.metadata

    dists = dict(provenance.distributions())
    assert dists["pytest"] == importlib.metadata.version("pytest")
    assert dists["numpy"] == importlib.metadata.version("numpy")


def test_outside_a_checkout_there_is_no_commit_and_no_error(tmp_path):
    assert provenance.git_state.__wrapped__(tmp_path) == {}


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_a_checkout_gives_its_commit_and_whether_it_is_dirty(tmp_path):
    def git(*args):
        return subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True, text=True).stdout

    git("init", "-q")
    (tmp_path / "a.txt").write_text("a")
    git("add", "a.txt")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "a")
    head = git("rev-parse", "HEAD").strip()
    assert provenance.git_state.__wrapped__(tmp_path) == {"commit": head, "dirty": False}
    (tmp_path / "a.txt").write_text("b")
    assert provenance.git_state.__wrapped__(tmp_path) == {"commit": head, "dirty": True}


def test_results_json_tables_md_and_the_report_record_it(tmp_path):
    """The session files: results.json's meta.provenance, tables.md's header line and Provenance section."""
    import json

    from runs_factory import make_run, meta

    from tp2core.controller import Controller
    from tp2core.output.meta import SessionMeta
    from tp2core.session import Options

    controller = Controller(Options(store=str(tmp_path / "store"), report_dir=str(tmp_path / "report")))
    prov = {"commit": "c" * 40, "dirty": True, "distributions": {"numpy": "2.4.6", "pytest": "9.2.0"}}
    controller.add_meta({**meta(), "provenance": prov})
    controller.add_run(make_run("model0", 0), False)
    controller.finish()
    assert json.loads((tmp_path / "report" / "results.json").read_text())["meta"]["provenance"] == prov
    tables_md = (tmp_path / "report" / "tables.md").read_text()
    assert "code: commit cccccccccccc (uncommitted changes); 2 installed distributions" in tables_md
    assert "Installed distributions: numpy 2.4.6, pytest 9.2.0." in tables_md
    assert SessionMeta("d", "d", "s", "f", True, "smoke", 1, [0], "float32").to_dict()["provenance"] == \
        provenance.provenance()


def test_the_report_has_a_provenance_section(tmp_path):
    from runs_factory import make_run, meta

    from tp2core.output.report import write_report

    prov = {"commit": "d" * 40, "dirty": False, "distributions": {"keras": "3.15.1"}}
    write_report(meta={**meta(), "provenance": prov}, runs=[make_run("model0", 0)], judgements=[], out_dir=tmp_path,
                 find_dataset=False)
    report = (tmp_path / "report.md").read_text()
    assert "## Provenance" in report and "Installed distributions: keras 3.15.1." in report
    assert "code: commit dddddddddddd; 1 installed distributions" in report
