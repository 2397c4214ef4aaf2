"""Rough training cost of a variant under a profile, to schedule the longest runs first (no TF import)."""

from __future__ import annotations

from .models import forward_macs
from .plan import trained as as_trained
from .variants import Profile, get_variant


def estimated_cost(variant_name: str, profile: Profile) -> float:
    """Multiply-adds over the whole run (forward only; backward is ~2× and the same for all): epochs × the images a
    variant trains on (recipe.plan.trained, the one count of them) × forward MACs per image."""
    t = as_trained(variant_name, profile)
    return float(t.epochs) * t.train_images * forward_macs(profile.apply(get_variant(variant_name)))
