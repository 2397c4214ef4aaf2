"""Train every (variant, seed) the claims need — once per session, spread over the xdist workers — plus the
gate's learn probe (tp2core.recipe.variants.LEARN_PROBE: far above chance at smoke cost, so a trainer that does
not learn fails --tp2-gate).

Collected first (the plugin orders these items longest-first), so claim tests on any worker mostly read
finished runs from the store. Each finished run prints one progress line on the controller.
"""

from tp2core.claims import catalog as claims_catalog
from tp2core.recipe.variants import LEARN_PROBE

TP2_VARIANTS = sorted({variant for claim in claims_catalog.CLAIMS for variant in claim.variants} | {LEARN_PROBE.name})


def test_train(tp2_cell, tp2):
    tp2.ensure_trained(tp2_cell)
