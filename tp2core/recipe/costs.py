"""What a run costs, from the recipe alone (no TF import, never a clock): the order runs are scheduled in, and the
deterministic cost model the budgeted design spends (tp2core.claims.budget), so the same data give the same looks
and verdicts on every machine."""

from __future__ import annotations

from .derived import DERIVATIONS, shared_run
from .models import forward_macs
from .plan import trained as as_trained
from .variants import Profile, get_variant

# The cost model's reference CPU-seconds of one run (one intra-op thread, TF 2.21 CPU on the 2-core x86_64
# reference VM): seconds ≈ S_PER_TMAC × forward TMACs + S_PER_KSTEP × thousands of optimizer steps + S_PER_RUN.
# Fitted by scripts/fit_cost_model.py on a quick store (docs/cost-model.md); fixed here, so that it is
# an input of the design, not a measurement of the machine it runs on.
S_PER_TMAC, S_PER_KSTEP, S_PER_RUN = 53.9, 0.794, 0.577
UNIT = "CPU-s"  # reference CPU-seconds (above)


def estimated_cost(variant_name: str, profile: Profile) -> float:
    """Multiply-adds over the whole run (forward only; backward is ~2× and the same for all): epochs × the images a
    variant trains on (recipe.plan.trained, the one count of them) × forward MACs per image."""
    t = as_trained(variant_name, profile)
    return float(t.epochs) * t.train_images * forward_macs(profile.apply(get_variant(variant_name)))


def estimated_seconds(variant_name: str, profile: Profile) -> float:
    """Reference CPU-seconds of training the variant on its own (the cost model above)."""
    t = as_trained(variant_name, profile)
    return (S_PER_TMAC * estimated_cost(variant_name, profile) / 1e12 + S_PER_KSTEP * t.optimizer_steps / 1e3
            + S_PER_RUN)


def record_cost(variant_name: str, profile: Profile) -> float:
    """Reference CPU-seconds a record adds to its training (recipe.derived): a variant trained alone costs its run;
    the records of one training sum to it — model4 its N epochs and model4-e2000 the N more, model5 its run and
    model5-augval what validating on the augmented set adds (its extra validation images, forward only)."""
    for d in DERIVATIONS:
        if variant_name == d.variant and d.how == "continues":
            return estimated_seconds(variant_name, profile) - estimated_seconds(d.source, profile)
        if variant_name == d.variant:
            return _validation_seconds(d.source, profile)
    return estimated_seconds(variant_name, profile)


def training(variant_name: str) -> str:
    """The name of the training that records the variant (its own name when trained alone)."""
    return shared_run(variant_name).trained


def _validation_seconds(variant_name: str, profile: Profile) -> float:
    """Forward passes over the variant's validation images, every epoch (at the cost model's rate per MAC)."""
    t = as_trained(variant_name, profile)
    macs = forward_macs(profile.apply(get_variant(variant_name)))
    return S_PER_TMAC * float(t.epochs) * t.validation_images * macs / 1e12
