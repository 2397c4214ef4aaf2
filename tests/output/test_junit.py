"""output.junit and output.comparisons: the named properties a JUnit consumer reads from a claim test."""

from __future__ import annotations

from runs_factory import make_run


def _judged(accs: dict):
    from tp2core.claims.catalog import CLAIMS_BY_NAME
    from tp2core.claims.claim import adjust_session, judge

    runs = {v: [make_run(v, s, a) for s, a in enumerate(values)] for v, values in accs.items()}
    j = judge(CLAIMS_BY_NAME["full-augmentation-helps"], runs, dataset="simulated", profile="smoke", family_size=2)
    return adjust_session([j])[0]


def test_claim_properties_name_the_verdict_and_each_comparisons_figures():
    """verdict, dataset, profile, then per comparison: effect, unit, interval, the Holm p saying so, seeds per arm."""
    from tp2core.output.junit import claim_properties

    j = _judged({"model5": [0.30, 0.31, 0.305], "model4": [0.20, 0.21, 0.205], "model4-bugaug": [0.22, 0.35, 0.25]})
    props = claim_properties(j)
    names = [name for name, _ in props]
    assert props[:3] == [("verdict", j.verdict), ("dataset", "simulated"), ("profile", "smoke")]
    assert names.count("effect") == len(j.comparisons) == names.count("p") == names.count("seeds per arm")
    first = j.comparisons[0]
    values = dict(props[3:10])
    assert values["effect"] == f"{first.result.effect:.4g}" and values["unit"] == first.unit
    assert values["interval"] == f"[{first.result.low:.4g}, {first.result.high:.4g}] (95%)"
    assert values["p"] == f"{first.result.p_adjusted:.3g} (Holm-adjusted decision p over a family of 2)"
    assert values["seeds per arm"] == "3+3"
    assert all(isinstance(v, str) for _, v in props)


def test_an_unmeasurable_comparison_says_so():
    """An arm with one seed: no effect, no interval, no p — and the p property says why."""
    from tp2core.output.comparisons import figures

    j = _judged({"model5": [0.30], "model4": [0.20, 0.21], "model4-bugaug": [0.22, 0.35]})
    f = figures(j.comparisons[0])
    assert (f.effect, f.p, f.interval, f.p_kind) == (None, None, "—", "not measurable")
