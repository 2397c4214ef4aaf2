"""The object behind the ``tp2`` fixture: get runs, judge a claim, attach results to the test report."""

from __future__ import annotations

import pytest

from .session import Tp2Session

# user_properties keys read by tp2core.controller on the controller
RUN_KEY = "tp2_run"
JUDGEMENT_KEY = "tp2_judgement"
META_KEY = "tp2_meta"


class Tp2Fixture:
    def __init__(self, session: Tp2Session, node: pytest.Item) -> None:
        self.session = session
        self.node = node

    def _record_run(self, result, reused: bool) -> None:
        self.node.user_properties.append((RUN_KEY, {"result": result.to_dict(), "reused": reused}))

    def _record_meta(self) -> None:
        self.node.user_properties.append((META_KEY, self.session.meta()))

    def ensure_trained(self, cell: tuple[str, int]) -> None:
        """Train (or reuse) one (variant, seed). A failed run fails this test with the failure text."""
        variant, seed = cell
        self._record_meta()
        result, reused = self.session.run(variant, seed)
        self._record_run(result, reused)
        if not result.ok:
            pytest.fail(f"{variant} seed {seed} failed: {result.failure}", pytrace=False)

    def assert_holds(self, claim) -> None:
        """Judge `claim` over the session's seeds; pass iff the verdict is the one expected for this
        (dataset, profile). A non-'supported' expectation behaves as a strict xfail."""
        from .claims.claim import judge

        self._record_meta()
        cells = self.session.runs_for(claim.variants)
        by_variant: dict[str, list] = {}
        for (variant, _seed), (result, reused) in cells.items():
            self._record_run(result, reused)
            by_variant.setdefault(variant, []).append(result)
        meta = self.session.meta()
        judgement = judge(claim, by_variant, dataset=meta["dataset"], profile=meta["profile"])
        self.node.user_properties.append((JUDGEMENT_KEY, judgement.to_dict()))
        expected = judgement.expected.verdict
        if judgement.verdict == expected:
            if expected != "supported":
                pytest.xfail(f"{judgement.verdict} as expected here: {judgement.expected.reason}")
            return
        pytest.fail(judgement.sentence, pytrace=False)
