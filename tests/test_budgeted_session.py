"""Issue 29 in a session: the budgeted design (quick's default, --tp2-budget) trains the first look of the whole
family, then each look the allocation asks for — the cheap, undecided comparisons first — until it fits no more of
the budget; the store replays it: a rerun trains nothing, ``tp2 report`` and a ``-k`` session agree.

Runs are made, not trained (runs_factory): each (variant, seed) has a fixed accuracy, so the looks are exact."""

import zlib

import numpy as np
import pytest

from runs_factory import make_run, made_runs_session
from tp2core.claims.catalog import CLAIMS
from tp2core.claims.design import Design, chosen
from tp2core.claims.family import budget_cells, members
from tp2core.cli.report import judge_all
from tp2core.errors import ConfigError
from tp2core.recipe.costs import estimated_seconds, record_cost
from tp2core.recipe.variants import get_profile
from tp2core.session import Options, Tp2Session
from tp2core.store.database import Store

PROFILE = "quick"
# model3-b1024 beats model3-base by 1.2 pts (sd 0.8): undecided at 3 seeds a side, decided with a few more — and
# both cost ≈ 3 CPU-s a seed; model4-bugaug vs model4 differ by nothing: no affordable look decides it
MEANS = {"model0": 0.10, "model1": 0.012, "model2": 0.14, "model2-bugaug": 0.14, "model3": 0.30,
         "model3-base": 0.16, "model3-b1024": 0.172, "model3-deep": 0.16, "model3-wide": 0.15, "model3-e1000": 0.30,
         "model4": 0.20, "model4-bugaug": 0.20, "model4-e2000": 0.21, "model5": 0.26, "model5-augval": 0.26}
SD = 0.008
BUDGET = 2100.0


def accuracy(variant: str, seed: int) -> float:
    noise = np.random.default_rng([seed, zlib.crc32(variant.encode())]).normal(0, SD)
    return float(MEANS.get(variant, 0.2) + noise)


MadeRuns = made_runs_session(accuracy, PROFILE)


def _session(store, claims=CLAIMS, budget=None):
    session = MadeRuns(Options(profile=PROFILE, store=store, budget=budget))
    session.trained = []
    session.collect(claims)
    return session


def _verdicts(judgements):
    return {(j.claim, c.label): (c.verdict, c.seeds, c.text) for j in judgements for c in j.comparisons}


def _trained_cost(session) -> float:
    """CPU-s of the cost model of what the session trained: each (training, seed) once, at its records' cost."""
    from tp2core.recipe.costs import training

    quick, cells = get_profile(PROFILE), {}
    for v, s in session.trained:
        cells.setdefault((training(v), s), set()).add(v)
    return sum(record_cost(v, quick) for t, s in cells for v in {*cells[t, s]}) if cells else 0.0


def _judge_all(session):
    return [session.judge(c)[0] for c in members(CLAIMS, get_profile(PROFILE))]


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    store = str(tmp_path_factory.mktemp("budgeted"))
    session = _session(store)
    return store, session, _judge_all(session)


def test_quick_defaults_to_its_budget_and_seeds_asks_for_a_fixed_design():
    quick = get_profile(PROFILE)
    assert chosen(quick) == Design(seeds=3, budget=quick.budget)
    assert chosen(quick, seeds=3) == Design(seeds=3)
    assert chosen(get_profile("smoke")).budget is None  # smoke: fixed seeds, the machinery
    assert Tp2Session(Options(profile=PROFILE, budget=900.0)).design.budget == 900.0


def test_the_first_look_then_only_what_the_allocation_asks_for(ran):
    store, session, judgements = ran
    family = {v for c in members(CLAIMS, get_profile(PROFILE)) for v in c.variants}
    first = {(v, s) for v in family for s in range(3)}
    trained = set(session.trained)
    assert first <= trained
    later = {v for v, s in trained - first}
    assert later and later <= {"model3-b1024", "model3-base", "model3-deep", "model3-wide", "model2", "model0",
                               "model2-bugaug", "model2-b1024", "model1"}, later  # cheap variants only, at this budget
    by_name = {(j.claim, c.a): c for j in judgements for c in j.comparisons}
    lb = by_name["large-batch-helps", "model3-b1024"]
    assert lb.verdict == "supported" and lb.sequential.seeds_used["a"] > 3  # decided by a later look
    bug = by_name["bug-share-grows-with-batch", "model4-bugaug"]
    assert bug.verdict == "inconclusive" and bug.budget["stopped"].startswith(("budget spent", "set aside"))


def test_what_was_trained_fits_the_budget(ran):
    """Every training counted once (model4 and model4-e2000 are one), at the cost model's CPU-s."""
    _store, session, _j = ran
    quick = get_profile(PROFILE)
    first = sum(record_cost(v, quick) for v in {v for c in members(CLAIMS, quick) for v in c.variants}) * 3
    assert first < BUDGET
    assert _trained_cost(session) <= BUDGET + 1e-6


def test_a_rerun_trains_nothing_and_every_reader_agrees(ran):
    store, _session_, judgements = ran
    full = _verdicts(judgements)
    again = _session(store)
    assert _verdicts(_judge_all(again)) == full and again.trained == []
    subset = members(CLAIMS, get_profile(PROFILE))[::5]  # like -k
    k_run = _session(store, claims=subset)
    assert all(full[key] == value for key, value in _verdicts(k_run.judge(c)[0] for c in subset).items())
    assert k_run.trained == []
    report, _, _ = judge_all(Store(store).all(), Design.from_dict(Store(store).latest_design(
        "f" * 64, PROFILE, "float32")["design"]))
    assert _verdicts(report) == full


def test_the_allocation_has_finished_on_the_store(ran):
    store, session, _j = ran
    runs = {}
    for r in Store(store).all():
        runs.setdefault(r.spec.variant.name, []).append(r)
    assert budget_cells(CLAIMS, runs, profile=PROFILE, design=session.design) == []


def test_an_undecided_comparison_says_what_would_decide_it(ran):
    _store, _session_, judgements = ran
    phrases = [c.text for j in judgements for c in j.comparisons if c.budget and c.budget.get("n_more")]
    assert phrases and all("more seeds of" in p and "CPU-min" in p for p in phrases), phrases


def test_a_training_shared_by_two_records_costs_once():
    quick = get_profile(PROFILE)
    assert record_cost("model4", quick) + record_cost("model4-e2000", quick) == pytest.approx(
        estimated_seconds("model4-e2000", quick))
    assert 0 < record_cost("model5-augval", quick) < 0.2 * record_cost("model5", quick)


@pytest.mark.parametrize("kwargs, match", [
    (dict(budget=0.0), "--tp2-budget must be a number of CPU-seconds > 0"),
    (dict(budget=float("inf")), "--tp2-budget must be a number of CPU-seconds > 0"),
    (dict(budget=100.0, seeds=3), "choose different designs"),
    (dict(budget=100.0, max_seeds=9), "choose different designs"),
])
def test_bad_budgets_are_usage_errors(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        Options(profile=PROFILE, **kwargs)


def test_what_each_verdict_cost_counts_each_training_once(ran):
    """The report's table and total: one row per comparison; the total is what the session trained (model4 and
    model4-e2000 one training, the first look's shared variants once)."""
    from tp2core.output.verdict_costs import cost_rows, spent, summary

    _store, session, judgements = ran
    rows = cost_rows(judgements)
    assert len(rows) == sum(len(j.comparisons) for j in judgements if j.comparisons[0].budget is not None)
    total = spent(judgements)
    assert total["spent"] == pytest.approx(_trained_cost(session))
    assert total["per_decided"] == pytest.approx(total["spent"] / total["decided"])
    assert "per decided claim" in summary(judgements)


class Loaded(MadeRuns):
    """Accuracies as above; images/s as a machine under ``load`` measures them (model2-b1024 ``speedup`` faster)."""

    speedup = 1.0

    def made(self, variant_name, seed):
        noise = np.random.default_rng([seed, zlib.crc32(variant_name.encode()), int(100 * self.speedup)])
        ips = 1000.0 * (self.speedup if variant_name == "model2-b1024" else 1.0) * (1 + 0.01 * noise.random())
        return make_run(variant_name, seed, accuracy(variant_name, seed), profile=PROFILE, images_per_second=ips)


def test_a_clock_never_decides_what_is_trained_next(tmp_path):
    """Two machines, the same data, different throughput readings (images/s is a clock's): the same cells are
    trained and every other verdict is the same — large-batch-is-faster is judged at its first look only."""
    trained, verdicts = [], []
    for speedup in (1.0, 1.01):
        session = Loaded(Options(profile=PROFILE, store=str(tmp_path / str(speedup))))
        session.speedup, session.trained = speedup, []
        session.collect(CLAIMS)
        got = _verdicts(_judge_all(session))
        trained.append(sorted(session.trained))
        verdicts.append({k: v for k, v in got.items() if "images/s" not in k[1]})
        [clock] = [c for j in _judge_all(session) for c in j.comparisons if "images/s" in c.label]
        assert clock.sequential.seeds_used["a"] == 3
    assert trained[0] == trained[1] and verdicts[0] == verdicts[1]
