"""tables.attribution_rows: each factor's effect with its CI, from that factor's claim; unjudged factors left out."""

from tp2core.output.tables import attribution_rows, render_all


def _j(claim, effect, lo, hi, verdict="supported"):
    return {"claim": claim, "verdict": verdict,
            "comparisons": [{"label": claim, "effect": effect, "ci": [lo, hi], "n_a": 3, "n_b": 3}]}


def test_rows_in_factor_order_with_ci():
    rows = attribution_rows([_j("wide-first-layer-hurts", -4.0, -6.0, -2.0), _j("model4-worse-than-model3", -5.0, -7.0, -3.0)])
    assert [r["factor"] for r in rows] == ["all four at once (model4 − model3)", "first layer 1,000 → 10,000"]
    assert rows[1]["effect (pts)"] == "-4" and rows[1]["95% CI"] == "[-6, -2]" and rows[1]["n"] == "3+3"


def test_terminal_tables_include_attribution():
    text = render_all({}, [], [_j("large-batch-helps", 1.0, -1.0, 3.0, "inconclusive")], fmt="simple")
    assert "Attribution" in text and "batch 128 → 1024, epoch-matched" in text


def test_report_has_attribution_section_and_figure(tmp_path):
    """The report shows the attribution table and writes attribution.png when a factor's claim was judged."""
    from tp2core.output.report import write_report

    judgements = [_j("wide-first-layer-hurts", -4.0, -6.0, -2.0), _j("large-batch-helps", 1.0, -1.0, 3.0)]
    for j in judgements:
        j.update(statement="s.", notes_figure="", dataset="simulated", profile="quick", sentence="x.",
                 expected={"verdict": "supported", "reason": "r"}, checks=[], passed=True)
    paths = write_report(meta={"dataset": "simulated", "profile": "quick"}, runs=[], judgements=judgements,
                         out_dir=tmp_path, find_dataset=False)
    assert tmp_path / "attribution.png" in paths
    assert "## Attribution" in (tmp_path / "report.md").read_text()
