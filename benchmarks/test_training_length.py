"""Tercer and Cuarto Modelo: more epochs, a 10,000-wide first layer at batch 1024, and batch-size speed."""

import pytest

from tp2core.claims.catalog import CLAIMS_BY_NAME

CLAIMS = [CLAIMS_BY_NAME[name] for name in ("more-epochs-help", "wide-first-layer-hurts", "large-batch-is-faster")]


@pytest.mark.claim
@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: c.name)
def test_claim(claim, tp2):
    tp2.assert_holds(claim)
