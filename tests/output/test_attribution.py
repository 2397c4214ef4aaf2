"""tables.attribution_rows: each factor's effect with its interval, from that factor's claim; unjudged factors
left out; the same rows in the terminal tables and the report (with a figure)."""

from tp2core.claims.compare import compare
from tp2core.claims.judgement import ComparisonResult, Judgement
from tp2core.output.tables import attribution_rows
from tp2core.output.terminal import render_all


def _j(claim: str, a: list[float], b: list[float]) -> Judgement:
    """A judged claim whose one comparison is a − b in accuracy points (three seeds each)."""
    result = compare(a, b, "greater")
    comparison = ComparisonResult(label=claim, metric="val_accuracy", unit="pts", relation="greater", a="x",
                                  b="y", constant=None, n_a=len(a), n_b=len(b), result=result, text="")
    return Judgement(claim=claim, statement="s.", notes_figure="", dataset="simulated", profile="quick",
                     verdict=result.verdict, comparisons=(comparison,), checks=(), sentence="x.")


def test_rows_in_factor_order_with_the_interval():
    rows = attribution_rows([_j("wide-first-layer-hurts", [1.0, 2.0, 3.0], [5.0, 6.0, 7.0]),
                             _j("model4-worse-than-model3", [1.0, 2.0, 3.0], [6.0, 7.0, 8.0])])
    assert [r["factor"] for r in rows] == ["all four at once (model4 − model3-base)", "first layer 1,000 → 10,000"]
    lo, hi = compare([1.0, 2.0, 3.0], [5.0, 6.0, 7.0], "greater").low, compare([1.0, 2.0, 3.0], [5.0, 6.0, 7.0],
                                                                               "greater").high
    assert rows[1]["effect (pts)"] == "-4" and rows[1]["interval"] == f"[{lo:.3g}, {hi:.3g}] (95% CI)"
    assert rows[1]["seeds"] == "3+3"


def test_terminal_tables_include_attribution():
    text = render_all({}, [], [_j("large-batch-helps", [1.0, 2.0, 3.0], [1.5, 2.0, 2.5])], fmt="simple")
    assert "Attribution" in text and "batch 128 → 1024, epoch-matched" in text


def test_report_has_attribution_section_and_figure(tmp_path):
    """The report shows the attribution table and writes attribution.png when a factor's claim was judged."""
    from tp2core.output.report import write_report

    judgements = [_j("wide-first-layer-hurts", [1.0, 2.0, 3.0], [5.0, 6.0, 7.0]),
                  _j("large-batch-helps", [1.0, 2.0, 3.0], [1.5, 2.0, 2.5])]
    paths = write_report(meta={"dataset": "simulated", "profile": "quick"}, runs=[], judgements=judgements,
                         out_dir=tmp_path, find_dataset=False)
    assert tmp_path / "attribution.png" in paths
    assert "## Attribution" in (tmp_path / "report.md").read_text()
