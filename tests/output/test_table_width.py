"""Terminal tables that fit (issue 17.4): essential columns by default, fitted to the terminal's width; every
column with -v / --tp2-wide; the files keep every column."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tp2core.claims.compare import compare
from tp2core.claims.judgement import ComparisonResult, Judgement
from tp2core.output import tables, terminal
from tp2core.output.session_files import markdown

from runs_factory import make_run, meta

LONG = "hidden-softmax-collapses-to-chance-when-the-hidden-layers-use-softmax-activations"


def _judgement(name=LONG) -> Judgement:
    result = compare([1.0, 1.5, 2.0], [21.0, 22.0, 23.5], "less", threshold=-5.0)
    comparison = ComparisonResult(label="model0-hidden-softmax < model0 by at least 5 accuracy points",
                                  metric="val_accuracy", unit="pts", relation="less", a="model1", b="model0",
                                  constant=None, n_a=3, n_b=3, result=result, text="")
    return Judgement(claim=name, statement="s.", notes_figure="1.00% vs 22.00% (notes, model0 vs softmax)",
                     dataset="simulated", profile="smoke", verdict=result.verdict, comparisons=(comparison,),
                     checks=(), sentence="x.")


def _inputs():
    env = {**make_run().environment, "cpu": "Intel(R) Xeon(R) Platinum 8480C Processor with a very long name"}
    runs = [make_run(v, s, 0.2 + s / 100) for v in ("model0", "model4") for s in (0, 1)]
    return {**meta(), "environment": env}, runs, [_judgement(), _judgement("short")]


class TestRenderTerminal:
    @pytest.mark.parametrize("width", [80, 120])
    def test_every_line_fits(self, width):
        text = terminal.render_terminal(*_inputs(), width=width)
        too_long = [line for line in text.splitlines() if len(line) > width]
        assert not too_long, "\n".join(too_long)

    def test_essential_columns_by_default(self):
        text = terminal.render_terminal(*_inputs(), width=120)
        for column in ("variant", "val acc % (mean ± sd)", "notes %", "s/run", "claim", "comparison", "effect",
                       "interval", "verdict", "system"):
            assert column in text
        for column in ("widths", "img/s", "scale vs notes", "raw p", "perm. p"):
            assert column not in text

    def test_wide_shows_every_column(self):
        text = terminal.render_terminal(*_inputs(), width=80, wide=True)
        for column in ("widths", "img/s", "scale vs notes", "raw p", "p", "perm. p", "claim verdict", LONG):
            assert column in text

    def test_markdown_keeps_every_column(self):
        text = markdown(*_inputs(), missing=[])
        for column in ("widths", "img/s", "scale vs notes", "raw p", "p", "perm. p", LONG):
            assert column in text


def test_fit_columns_abbreviates_the_widest_column():
    rows = [{"claim": "x" * 100, "verdict": "supported"}]
    text = tables.fit_columns(rows, 40, ("claim", "verdict"))
    assert max(len(line) for line in text.splitlines()) <= 40
    assert "…" in text and "supported" in text


def test_plugin_layout_uses_terminal_width_and_verbosity(monkeypatch):
    from tp2core.plugin import _table_layout

    monkeypatch.setenv("COLUMNS", "77")
    config = SimpleNamespace(getoption=lambda name: False, get_verbosity=lambda: 0)
    assert _table_layout(config) == {"width": 77, "wide": False}
    config.get_verbosity = lambda: 1
    assert _table_layout(config)["wide"]


def test_session_end_tables_fit_the_width(tmp_path):
    """Controller.finish prints the fitted tables (what `pytest benchmarks` shows at the end)."""
    from tp2core.controller import Controller
    from tp2core.session import Options

    m, runs, judgements = _inputs()
    c = Controller(Options(store=str(tmp_path)))
    c.add_meta(m)
    for r in runs:
        c.add_run(r, False)
    for j in judgements:
        c.add_judgement(j.to_dict())
    lines = "\n".join(c.finish(width=80).lines).splitlines()
    assert "Claims:" in lines and max(len(line) for line in lines if not line.startswith("tp2:")) <= 80


class TestPytestHeader:
    """The tp2 lines of the pytest header: the dataset source ≤ 2 terminal lines, the whole ≤ 10 at 80 columns;
    -v prints the source in full and every place searched."""

    SEARCHED = [f"/root/.keras/datasets/cifar-100-python-layout-{i} (Keras 3.{i} archive)" for i in range(8)]
    META = {"dataset_label": "simulated (SIMULATED CIFAR-format data, not CIFAR-100; fp 02d67a2ead5b)",
            "dataset_source": "simulated: no CIFAR-100 archive in the 8 places searched; download skipped (offline: "
                              "www.cs.toronto.edu is not reachable); tp2-generated CIFAR-format data (generator v2, "
                              "seed 0, 500/100 per class) at /root/.cache/tp2/simulated/v2-seed0-500x100/"
                              "cifar-100-python.tar.gz",
            "dataset_searched": SEARCHED, "profile": "smoke", "seeds": 2}

    @staticmethod
    def terminal_lines(lines: list[str], width: int = 80) -> int:
        return sum(max(1, -(-len(line) // width)) for line in lines)

    def test_fits_ten_lines_at_80_columns_with_the_source_in_two(self):
        from tp2core.output.terminal import pytest_header

        lines = pytest_header(self.META, "/work/project/.tp2", width=80)
        source = next(line for line in lines if line.startswith("tp2 dataset source:"))
        assert self.terminal_lines([source]) <= 2 and source.endswith("… (-v: in full)")
        assert self.terminal_lines(lines) <= 10
        assert not any(place in "\n".join(lines) for place in self.SEARCHED)

    def test_verbose_lists_every_place_searched_and_the_whole_source(self):
        from tp2core.output.terminal import pytest_header

        lines = pytest_header(self.META, "/work/project/.tp2", verbose=True, width=80)
        assert f"tp2 dataset source: {self.META['dataset_source']}" in lines
        assert [line for line in lines if line.startswith("tp2 searched: ")] == \
            [f"tp2 searched: {place}" for place in self.SEARCHED]
