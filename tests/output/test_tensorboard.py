"""output.tensorboard: event files from stored runs, read back by a real TensorBoard server over HTTP."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from runs_factory import make_run

RUNS = [make_run(v, s, 0.2 + v.count("4") / 10 + s / 100) for v in ("model0", "model4", "learn-probe") for s in (0, 1)]


def _get(url: str, body: dict | None = None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json",
                                                              "X-XSRF-Protected": "1"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


@pytest.fixture
def tensorboard_server(tmp_path):
    """`tensorboard --logdir DIR --host 127.0.0.1 --port 0` (a free port, read from its banner); stopped after."""
    pytest.importorskip("tensorboard", reason="the tensorboard extra is not installed")
    from tp2core.output.tensorboard import write_tensorboard

    logdir = tmp_path / "tb"
    write_tensorboard(logdir, RUNS)
    server = subprocess.Popen([sys.executable, "-m", "tensorboard.main", "--logdir", str(logdir), "--host",
                               "127.0.0.1", "--port", "0", "--reload_interval", "0"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url, seen = None, []
        deadline = time.monotonic() + 120
        while url is None and time.monotonic() < deadline and server.poll() is None:
            line = server.stdout.readline()
            seen.append(line)
            if m := re.search(r"(http://127\.0\.0\.1:\d+)/", line):
                url = m[1]
        assert url, "TensorBoard did not start:\n" + "".join(seen)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.slow
def test_tensorboard_serves_every_runs_scalars_and_every_variants_hparams(tensorboard_server):
    from tp2core.output.tensorboard import run_dir

    url = tensorboard_server
    for run in RUNS:
        name = str(run_dir(Path("."), run))
        for tag, key in (("accuracy/validation", "val_accuracy"), ("loss/train", "loss")):
            points = _get(f"{url}/data/plugin/scalars/scalars?run={name}&tag={tag}")
            assert [(step, pytest.approx(value)) for _, step, value in points] == \
                [(epoch, v) for epoch, v in enumerate(run.history[key], start=1)]
    experiment = _get(f"{url}/data/plugin/hparams/experiment", {"experimentName": ""})
    factors = {info["name"] for info in experiment["hparamInfos"]}
    assert {"epochs", "batch_size", "widths", "input", "augmentation", "validation", "seed", "profile",
            "dataset"} <= factors
    assert {m["name"]["tag"] for m in experiment["metricInfos"]} >= {"final/val_accuracy", "final/seconds"}
    groups = _get(f"{url}/data/plugin/hparams/session_groups",
                  {"experimentName": "", "allowedStatuses": ["STATUS_UNKNOWN", "STATUS_SUCCESS"], "colParams": [],
                   "startIndex": 0, "sliceSize": 100})["sessionGroups"]
    by_session = {g["name"]: g for g in groups}
    assert len(by_session) == len(RUNS)
    for run in RUNS:
        group = by_session[str(run_dir(Path("."), run))]
        assert group["hparams"]["variant"] == run.spec.variant.name
        assert group["hparams"]["epochs"] == run.spec.variant.epochs and group["hparams"]["seed"] == run.spec.seed
        final = {m["name"]["tag"]: m["value"] for m in group["metricValues"]}
        assert final["final/val_accuracy"] == pytest.approx(run.val_accuracy)


def test_written_once_per_run(tmp_path):
    """A second write from the same stored runs adds no run (a run's numbers never change under its identity)."""
    pytest.importorskip("tensorboard", reason="the tensorboard extra is not installed")
    from tp2core.output.tensorboard import write_tensorboard

    assert len(write_tensorboard(tmp_path, RUNS)) == len(RUNS)
    assert write_tensorboard(tmp_path, RUNS) == []
    assert len(list(tmp_path.glob("events.out.tfevents.*"))) == 1  # one experiment, replaced


def test_without_tensorboard_the_option_names_the_package(monkeypatch, tmp_path):
    """--tp2-tensorboard without the package: one usage error naming it and the extra (preflight)."""
    import importlib.util

    from tp2core import preflight
    from tp2core.errors import ConfigError
    from tp2core.session import Options

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "tensorboard" else real(name, *a))
    with pytest.raises(ConfigError, match=r"^--tp2-tensorboard .* needs the 'tensorboard' package, which is not "
                                          r"installed: pip install 'tp2\[tensorboard\]'"):
        preflight.check(Options(store=str(tmp_path / "s"), tensorboard=str(tmp_path / "tb")), suite=False)


def test_written_without_tensorflow(tmp_path):
    """The JAX and PyTorch envs of the tox matrix: event files written with TensorFlow unimportable."""
    pytest.importorskip("tensorboard", reason="the tensorboard extra is not installed")
    code = ("import sys; sys.modules['tensorflow'] = None\n"
            "from runs_factory import make_run\n"
            "from tp2core.output.tensorboard import write_tensorboard\n"
            f"print(len(write_tensorboard({str(tmp_path)!r}, [make_run('model0', 0)])))\n")
    tests = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": f"{tests}:{tests.parent}"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0 and out.stdout.strip() == "1", out.stderr


def test_the_session_writes_them_with_the_option(tmp_path):
    """Controller.finish with --tp2-tensorboard DIR: every run reported this session (reused ones too)."""
    pytest.importorskip("tensorboard", reason="the tensorboard extra is not installed")
    from runs_factory import meta

    from tp2core.controller import Controller
    from tp2core.output.tensorboard import run_dir
    from tp2core.session import Options

    controller = Controller(Options(store=str(tmp_path / "store"), report_dir=str(tmp_path / "report"),
                                    tensorboard=str(tmp_path / "tb")))
    controller.add_meta(meta())
    controller.add_run(RUNS[0], True)
    outcome = controller.finish()
    assert run_dir(tmp_path / "tb", RUNS[0]).is_dir()
    assert any(line.startswith("tp2: TensorBoard: 1 runs written to") for line in outcome.lines)
