"""output.tidy: one row per run and per comparison, round-tripped into pandas from CSV, JSON and Parquet."""

from __future__ import annotations

import pytest
from runs_factory import make_run

pd = pytest.importorskip("pandas")  # pandas only in tests (the `test` extra)


def _judged(runs_by_variant: dict):
    from tp2core.claims.catalog import CLAIMS_BY_NAME
    from tp2core.claims.claim import adjust_session, judge

    j = judge(CLAIMS_BY_NAME["full-augmentation-helps"], runs_by_variant, dataset="simulated", profile="smoke",
              family_size=2)
    return adjust_session([j])[0]


@pytest.fixture
def session(tmp_path):
    accs = {"model5": [0.30, 0.31, 0.305], "model4": [0.20, 0.21, 0.205], "model4-bugaug": [0.22, 0.35, 0.25]}
    by_variant = {v: [make_run(v, s, a) for s, a in enumerate(values)] for v, values in accs.items()}
    runs = [r for rs in by_variant.values() for r in rs]
    return runs, [_judged(by_variant)]


def test_csv_round_trips_into_pandas_one_row_per_run(tmp_path, session):
    """runs.csv: one row per run, with its factors, seed, dataset, profile, metrics, seconds, resumed, reused and
    environment; the values pandas reads are the runs' own."""
    from tp2core.output.tidy import write_tidy

    runs, judgements = session
    write_tidy(tmp_path, runs, judgements, reused={runs[0].identity: True})
    frame = pd.read_csv(tmp_path / "runs.csv")
    assert len(frame) == len(runs) and list(frame["identity"]) == [r.identity for r in runs]
    row = frame.set_index("identity").loc[runs[0].identity]
    assert (row["variant"], row["seed"], row["dataset"], row["profile"]) == ("model5", 0, "simulated", "smoke")
    assert row["val_accuracy"] == pytest.approx(0.30) and row["seconds"] == pytest.approx(runs[0].train_seconds)
    v = runs[0].spec.variant
    assert (row["epochs"], row["batch_size"], row["hidden_units"]) == (v.epochs, v.batch_size,
                                                                       "-".join(map(str, v.hidden_units)))
    assert str(row["reused"]) == "True" and str(row["resumed"]) == "False" and row["env_keras"] == "3.15.1"
    assert pd.read_json(tmp_path / "runs.json").shape == frame.shape


def test_comparisons_one_row_each_with_verdict_effect_interval_p_seeds_cost(tmp_path, session):
    from tp2core.output.tidy import write_tidy

    runs, (judgement,) = session
    write_tidy(tmp_path, runs, [judgement])
    frame = pd.read_csv(tmp_path / "comparisons.csv")
    assert len(frame) == len(judgement.comparisons)
    first, c = frame.iloc[0], judgement.comparisons[0]
    assert (first["claim"], first["comparison"], first["verdict"]) == (judgement.claim, c.label, c.verdict)
    assert first["p"] == pytest.approx(c.result.p_adjusted) and first["effect"] == pytest.approx(c.result.effect)
    assert (first["interval_low"], first["interval_high"]) == pytest.approx((c.result.low, c.result.high))
    assert (first["seeds_a"], first["seeds_b"]) == (3, 3)
    arms = [r for r in runs if r.spec.variant.name in (c.a, c.b)]
    assert first["cost_seconds"] == pytest.approx(sum(r.train_seconds for r in arms))


def test_parquet_round_trips(tmp_path, session):
    pytest.importorskip("pyarrow")
    from tp2core.output.tidy import write_tidy

    runs, judgements = session
    write_tidy(tmp_path, runs, judgements)
    frame = pd.read_parquet(tmp_path / "runs.parquet")
    assert list(frame["identity"]) == [r.identity for r in runs]
    assert len(pd.read_parquet(tmp_path / "comparisons.parquet")) == len(judgements[0].comparisons)


def test_parquet_without_pyarrow_names_the_extra(tmp_path, monkeypatch):
    import sys

    from tp2core.errors import Tp2Error
    from tp2core.output.tidy import to_parquet

    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(Tp2Error, match=r"pip install 'tp2\[parquet\]'"):
        to_parquet([{"a": 1}], tmp_path / "x.parquet")
