"""Cuarto and Quinto Modelo, factor by factor: one arm per change from model3 (and model4), so model4 − model3
and model5 − model4 are attributed rather than blamed on the 10,000-wide layer (issue 14)."""

import pytest

from tp2core.claims.catalog import CLAIMS_BY_NAME

CLAIMS = [CLAIMS_BY_NAME[name] for name in
          ("wide-first-layer-hurts", "large-batch-helps", "extra-relu-layers-help", "thousand-epochs-help",
           "more-data-not-more-steps")]


@pytest.mark.claim
@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: c.name)
def test_claim(claim, tp2):
    tp2.assert_holds(claim)
