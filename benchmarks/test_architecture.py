"""Primer and Segundo Modelo: hidden softmax layers collapse accuracy (and why); ReLU layers help."""

import pytest

from tp2core.claims.catalog import CLAIMS_BY_NAME

CLAIMS = [CLAIMS_BY_NAME[name] for name in
          ("hidden-softmax-collapses", "softmax-gradient-vanishes", "softmax-gradient-small-at-init",
           "relu-beats-course-baseline")]


@pytest.mark.claim
@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: c.name)
def test_claim(claim, tp2):
    tp2.assert_holds(claim)
