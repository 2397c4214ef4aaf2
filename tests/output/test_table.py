"""Variant and claim tables: headers name dataset/profile/seeds/hardware/versions; simulated is labelled."""

from tp2core.output import tables as table

from runs_factory import make_run, meta


def test_header_names_everything_and_labels_simulated():
    lines = table.header_lines({**meta(), "environment": make_run().environment})
    text = "\n".join(lines)
    assert "SIMULATED" in lines[0] and "NOT CIFAR-100" in lines[0]
    for needle in ("dataset:", "profile: smoke", "seeds: 2", "hardware: cpu (test)", "tensorflow 2.21.0", "keras 3.15.1"):
        assert needle in text


def test_real_dataset_is_not_labelled_simulated():
    lines = table.header_lines(meta(dataset="cifar100"))
    assert not any("SIMULATED" in line for line in lines)


def test_variant_row_mean_sd_and_failures():
    runs = [make_run("model0", 0, 0.20), make_run("model0", 1, 0.22),
            make_run("model0", 2, status="failed", failure="non-finite loss (nan) at epoch 1, batch 3")]
    (row,) = table.variant_rows(runs)
    assert row["n"] == "2/3"
    assert row["val acc % (mean ± sd)"] == "21.00 ± 1.41"
    assert "seed 2: non-finite loss" in row["failed"]
    assert row["notes %"] == "22.00"


def test_duplicate_identities_counted_once():
    run = make_run("model0", 0, 0.2)
    (row,) = table.variant_rows([run, run])
    assert row["n"] == "1/1"


def _judged(accs: dict, family_size: int = 2):
    from tp2core.claims.catalog import CLAIMS_BY_NAME
    from tp2core.claims.claim import adjust_session, judge

    runs = {v: [make_run(v, s, a) for s, a in enumerate(values)] for v, values in accs.items()}
    j = judge(CLAIMS_BY_NAME["full-augmentation-helps"], runs, dataset="simulated", profile="smoke",
              family_size=family_size)
    return adjust_session([j])[0]


def test_claim_rows_one_per_comparison():
    """One row per comparison: its system (Holm), raw p, Holm p and verdict, permutation p, seeds; seeds needed only when inconclusive."""
    j = _judged({"model5": [0.30, 0.31, 0.305], "model4": [0.20, 0.21, 0.205], "model4-bugaug": [0.22, 0.35, 0.25]})
    rows = table.claim_rows([j])
    assert [r["comparison"] for r in rows] == ["model5 > model4", "model5 > model4-bugaug"]
    first, second = rows
    assert first["verdict"] == "supported" and first["seeds needed"] == "—"
    assert first["raw p"] == f"{j.comparisons[0].result.decision_p:.2g}"
    assert first["p"] == f"{j.comparisons[0].result.p_adjusted:.2g} (Holm p)"
    assert first["interval"].endswith("(95% CI)") and first["seeds"] == "3+3" and first["system"] == "Holm"
    assert first["perm. p"] == "0.1 (min 0.1 > α)"  # 3+3 seeds: no split reaches 0.05 two-sided
    assert second["verdict"] == "inconclusive"
    assert second["seeds needed"] == (f"{j.comparisons[1].seeds_needed} (80% power at α/m = 0.025 if the true "
                                      f"effect is {j.comparisons[1].effect:.3g}; sd at its 90% bound)")
    assert first["claim verdict"] == j.verdict == "inconclusive" and "pytest" not in first  # one verdict
    from tp2core.output.terminal import render_all

    text = render_all(meta(), [make_run()], [j])
    assert "Claims:" in text and "model5 > model4-bugaug" in text


def test_not_measurable_row_says_rerun():
    """A comparison with one usable run per arm has no p and asks for a rerun, outside the Holm family."""
    j = _judged({"model5": [0.30], "model4": [0.20, 0.21], "model4-bugaug": [0.22, 0.35]})
    row = table.claim_rows([j])[0]
    assert (row["raw p"], row["p"], row["seeds needed"]) == ("—", "—", "rerun (not measurable)")


def test_simulated_header_says_verdicts_are_the_proxys():
    """Every table on simulated data says a refuted verdict there does not fail the run."""
    assert any("never failing the run" in line for line in table.header_lines(meta()))


def test_verdict_column_is_holms_and_raw_p_stays_raw():
    """A comparison supported on its own (p ≈ 0.013) but not among 9: 'verdict' (Holm) says inconclusive."""
    from tp2core.claims.catalog import CLAIMS_BY_NAME
    from tp2core.claims.claim import Claim, adjust_session, judge

    less = Claim("collapse", "model1 is worse than model0.", "22% → 0.8%",
                 comparisons=(CLAIMS_BY_NAME["hidden-softmax-collapses"].comparisons[0],))

    def judged(name, m0, m1):
        runs = {"model0": [make_run("model0", s, a) for s, a in enumerate(m0)],
                "model1": [make_run("model1", s, a) for s, a in enumerate(m1)]}
        j = judge(less, runs, dataset="simulated", profile="smoke")
        return j.__class__(**{**j.__dict__, "claim": name})

    weak = judged("a-weak", [0.22, 0.21, 0.215], [0.15, 0.16, 0.155])  # clear of smoke's 1.6–1.8-pt sd floor
    noise = [judged(f"noise-{i}", [0.20, 0.25], [0.21, 0.24]) for i in range(8)]
    adjusted = adjust_session([weak, *noise])
    row = table.claim_rows(adjusted)[0]
    assert weak.comparisons[0].raw_verdict == "supported"
    assert (row["claim"], row["verdict"], row["raw p"]) == (
        "a-weak", "inconclusive", f"{weak.comparisons[0].result.decision_p:.2g}")
