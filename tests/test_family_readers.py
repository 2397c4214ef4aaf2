"""Issue 22: one family, one procedure. Three readers of one store — a full session, a ``-k`` subset and
``tp2 report`` — give identical verdicts (and Holm p's) for every comparison they share."""

import numpy as np
import pytest

from runs_factory import make_run, meta
from tp2core.claims.catalog import CLAIMS
from tp2core.claims.design import Design
from tp2core.claims.family import family_size, members
from tp2core.cli.report import judge_all
from tp2core.session import Options, Tp2Session
from tp2core.store.database import Store

PROFILE, SEEDS = "quick", (0, 1, 2)


class StoreOnly(Tp2Session):
    """A session that reads the store and never trains (every run it needs is stored)."""

    def spec(self, variant_name, seed):
        return make_run(variant_name, seed, profile=PROFILE).spec

    def meta(self):
        return meta(profile=PROFILE, seeds=SEEDS)

    def _train_fn(self, variant_name, seed):
        def refuse():
            raise AssertionError(f"{variant_name} seed {seed} is stored: nothing may train")
        return refuse


@pytest.fixture
def store(tmp_path):
    """Every variant of every judged claim, 3 seeds, means spread so that Holm decides some verdicts."""
    rng = np.random.default_rng(22)
    variants = sorted({v for c in members(CLAIMS, PROFILE) for v in c.variants})
    with Store(str(tmp_path)) as db:
        for v in variants:
            mean = rng.uniform(0.08, 0.4)
            for s in SEEDS:
                db.put(make_run(v, s, float(mean + rng.normal(0, 0.012)), profile=PROFILE))
    return str(tmp_path)


def _session(store, claims):
    session = StoreOnly(Options(profile=PROFILE, store=store, seeds=len(SEEDS)))
    session.collect(claims)
    return session


def _verdicts(judgements):
    judgements = list(judgements)
    return {(j.claim, c.label): (c.verdict, None if c.result is None else round(c.result.p_adjusted, 12))
            for j in judgements for c in j.comparisons} | {(j.claim, ""): (j.verdict,) for j in judgements}


def test_full_run_k_subset_and_report_agree(store):
    judged = members(CLAIMS, PROFILE)
    full_session = _session(store, CLAIMS)
    full = _verdicts(full_session.judge(c)[0] for c in judged)
    subset = judged[::4]  # like `-k` selecting a few claims
    k_session = _session(store, subset)
    k_run = _verdicts(k_session.judge(c)[0] for c in subset)
    report, _, _ = judge_all(Store(store).all(), Design(seeds=len(SEEDS)))  # the fixed session's design
    from_report = _verdicts(report)
    assert k_run and all(full[key] == value for key, value in k_run.items())
    assert set(from_report) == set(full) and from_report == full
    decided = [v[0] for k, v in full.items() if k[1]]
    assert "supported" in decided and "inconclusive" in decided  # the store exercises both outcomes
    sizes = {j.family_size for j in report}
    assert sizes == {family_size(CLAIMS, PROFILE)}  # the fixed family, whoever reads


def test_a_member_without_runs_counts_with_p_1(store, tmp_path_factory):
    """A store lacking one claim's runs keeps the family's size: the missing member is counted, never dropped."""
    judged = members(CLAIMS, PROFILE)
    first = judged[0]
    partial = tmp_path_factory.mktemp("partial")
    with Store(str(partial)) as db:
        for r in Store(store).all():
            if r.spec.variant.name not in first.variants:
                db.put(r)
    report, skipped, _ = judge_all(Store(str(partial)).all(), Design(seeds=len(SEEDS)))
    assert any(s.startswith(first.name) for s in skipped)
    assert {j.family_size for j in report} == {family_size(CLAIMS, PROFILE)}
    assert all(j.lacking >= len(first.comparisons) for j in report)


# --- issue 28: the design lives with the runs --------------------------------------------------------------------


def _report(store, **flags):
    """What `tp2 report --store STORE [flags]` judges: the recorded design (or the flags), on the runs it reads."""
    import argparse
    from pathlib import Path

    from tp2core.cli.report import _design

    runs = Store(store).all()
    args = argparse.Namespace(seeds=flags.get("seeds"), max_seeds=flags.get("max_seeds"), budget=flags.get("budget"))
    design, note = _design(args, Path(store), runs[0])
    judgements, _skipped, beyond = judge_all(runs, design)
    return _verdicts(judgements), beyond, note


def _extend(store, seeds, *, rng_seed=28):
    """More seeds of every stored variant (values drawn like the fixture's, but from another generator)."""
    rng = np.random.default_rng(rng_seed)
    with Store(store) as db:
        variants = sorted({r.spec.variant.name for r in db.all()})
        for v in variants:
            for s in seeds:
                db.put(make_run(v, s, float(rng.uniform(0.05, 0.45)), profile=PROFILE))


def _three_readers(store, max_seeds=None):
    judged = members(CLAIMS, PROFILE)
    full_session = StoreOnly(Options(profile=PROFILE, store=store, seeds=len(SEEDS), max_seeds=max_seeds))
    full_session.collect(CLAIMS)
    full = _verdicts(full_session.judge(c)[0] for c in judged)
    k_session = StoreOnly(Options(profile=PROFILE, store=store, seeds=len(SEEDS), max_seeds=max_seeds))
    k_session.collect(judged[::4])
    k_run = _verdicts(k_session.judge(c)[0] for c in judged[::4])
    return full, k_run, _report(store)


def test_report_with_no_flags_judges_as_the_fixed_session_also_beyond_the_design(store):
    """A fixed-seed session, a -k session and `tp2 report` with no flags agree — and still agree, unchanged, after
    a run beyond the design was added (`tp2 run model0 --seed 9`): the report lists it, judges without it."""
    full, k_run, (report, beyond, note) = _three_readers(store)
    assert report == full and all(full[k] == v for k, v in k_run.items()) and beyond == [] and note is None
    _extend(store, [9])
    full2, k_run2, (report2, beyond2, _) = _three_readers(store)
    assert full2 == full and report2 == full and all(full[k] == v for k, v in k_run2.items())
    assert "model0 seed 9" in beyond2
    # a flag overrides the recorded design, and says so (here: judging 2 seeds changes verdicts)
    overridden, _, note = _report(store, seeds=2)
    assert note.startswith("design overridden by the command line: fixed: 2 seeds") and overridden != full


def test_report_with_no_flags_judges_as_the_adaptive_session(store):
    """The same for an adaptive session (--tp2-max-seeds 7, looks at 3, 5, 7): `tp2 report` without --max-seeds
    replays the recorded design, and runs beyond it (seed 9) change nothing."""
    _extend(store, range(3, 7))
    full, k_run, (report, beyond, note) = _three_readers(store, max_seeds=7)
    assert report == full and all(full[k] == v for k, v in k_run.items()) and note is None and beyond == []
    systems = {c.system for j in judge_all(Store(store).all(), _design_of(store))[0] for c in j.comparisons}
    assert systems <= {"sequential", None}
    _extend(store, [9], rng_seed=99)
    full2, _, (report2, beyond2, _) = _three_readers(store, max_seeds=7)
    assert full2 == full and report2 == full and "model0 seed 9" in beyond2


def _design_of(store):
    from tp2core.claims.design import Design

    run = Store(store).all()[0]
    rec = Store(store).latest_design(run.spec.dataset_fingerprint, run.spec.profile, run.spec.precision)
    return Design.from_dict(rec["design"])


def test_report_budget_flag_overrides_a_fixed_session_and_says_so(store):
    """`tp2 report --budget 2100` on a fixed session's store judges by the budgeted design — every comparison's
    looks replayed on the stored runs, with what each cost — and the header says the design was overridden."""
    full, _k, _report_ = _three_readers(store)
    budgeted, _, note = _report(store, budget=2100.0)
    assert note.startswith("design overridden by the command line: budgeted: looks at 3, 5, 8, 12, 20")
    assert set(budgeted) == set(full)
    runs = Store(store).all()
    from tp2core.claims.design import Design as D

    judgements, _s, _b = judge_all(runs, D(seeds=3, budget=2100.0))
    measured = [c for j in judgements for c in j.comparisons if c.budget is not None]
    assert measured and all(c.system == "sequential" and c.budget["cost"] > 0 for c in measured)
