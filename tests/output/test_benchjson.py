"""pytest-benchmark-compatible JSON written from tp2's own run records."""

import json
import subprocess
import sys

from tp2core.output.benchjson import benchmark_document

from runs_factory import make_run


def test_document_shape_and_stats():
    doc = benchmark_document([make_run("model0", 0), make_run("model2", 1)])
    assert set(doc) == {"machine_info", "commit_info", "benchmarks", "datetime", "version"}
    b = doc["benchmarks"][0]
    assert b["stats"]["rounds"] == 2 and b["stats"]["mean"] == 1.5 and b["name"] == "train[model0-seed0]"


def test_pytest_benchmark_compare_reads_it(tmp_path):
    """`pytest-benchmark compare FILE` accepts the file and shows our runs."""
    path = tmp_path / "0001_tp2.json"
    path.write_text(json.dumps(benchmark_document([make_run("model0", 0)])))
    out = subprocess.run([sys.executable, "-m", "pytest_benchmark", "compare", str(path)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "train[model0-seed0]" in out.stdout
