"""Tercer and Cuarto Modelo: more epochs, model4's four changes at once, and batch-size speed."""

import pytest

from tp2core.claims.catalog import CLAIMS_BY_NAME

CLAIMS = [CLAIMS_BY_NAME[name] for name in ("more-epochs-help", "model4-worse-than-model3", "large-batch-is-faster")]


@pytest.mark.claim
@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: c.name)
def test_claim(claim, tp2):
    tp2.assert_holds(claim)
