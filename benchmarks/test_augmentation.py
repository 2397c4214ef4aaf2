"""Segundo, Cuarto and Quinto Modelo: the single-batch augmentation bug, and augmentation done right."""

import pytest

from tp2core.claims.catalog import CLAIMS_BY_NAME

CLAIMS = [CLAIMS_BY_NAME[name] for name in
          ("single-batch-augmentation-is-noop", "bug-share-grows-with-batch", "full-augmentation-helps",
           "augmented-validation-is-immaterial")]


@pytest.mark.claim
@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: c.name)
def test_claim(claim, tp2):
    tp2.assert_holds(claim)
