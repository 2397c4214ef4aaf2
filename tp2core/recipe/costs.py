"""Rough training cost of a variant under a profile, to schedule the longest runs first (no TF import)."""

from __future__ import annotations

from ..data.dataset import TRAIN_PER_CLASS as CIFAR_TRAIN_PER_CLASS
from .models import forward_macs
from .variants import Profile, get_variant


def estimated_cost(variant_name: str, profile: Profile) -> float:
    """Multiply-adds over the whole run (forward only; backward is ~2× and the same for all)."""
    trained = profile.apply(get_variant(variant_name))
    n = (trained.classes or 100) * (profile.train_per_class or CIFAR_TRAIN_PER_CLASS)
    if trained.augmentation == "full":
        n *= 2
    elif trained.augmentation == "single_batch_bug":
        n += min(trained.augmented_by_bug, n)
    return float(trained.epochs) * n * forward_macs(trained)
