"""Issue 22: one family, one procedure. Three readers of one store — a full session, a ``-k`` subset and
``tp2 report`` — give identical verdicts (and Holm p's) for every comparison they share."""

import numpy as np
import pytest

from runs_factory import make_run, meta
from tp2core.claims.catalog import CLAIMS
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
    report, _ = judge_all(Store(store).all())
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
    report, skipped = judge_all(Store(str(partial)).all())
    assert any(s.startswith(first.name) for s in skipped)
    assert {j.family_size for j in report} == {family_size(CLAIMS, PROFILE)}
    assert all(j.lacking >= len(first.comparisons) for j in report)
