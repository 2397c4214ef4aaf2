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


def test_claim_rows_one_per_comparison():
    j = {"claim": "full-augmentation-helps", "verdict": "inconclusive", "notes_figure": "23.74% → 30%",
         "expected": {"verdict": "supported"},
         "comparisons": [{"label": "model5 > model4", "effect": 1.5, "ci": [-0.5, 3.0], "p_a_gt_b": 0.8,
                          "n_a": 3, "n_b": 3, "verdict": "inconclusive"},
                         {"label": "model5 > model4-bugaug", "effect": 2.5, "ci": [1.0, 4.0], "p_a_gt_b": 1.0,
                          "n_a": 3, "n_b": 3, "verdict": "supported"}]}
    rows = table.claim_rows([j])
    assert [r["comparison"] for r in rows] == ["model5 > model4", "model5 > model4-bugaug"]
    assert rows[0]["95% CI"] == "[-0.5, 3]" and rows[0]["claim verdict"] == "inconclusive"
    text = table.render_all(meta(), [make_run()], [j])
    assert "Claims:" in text and "model5 > model4-bugaug" in text
