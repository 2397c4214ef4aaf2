"""What exactly is trained under a profile, and whether a claim's ratios survive the scaling (no TF import).

A profile may shrink absolute sizes (images, epochs, widths, batch sizes) but a claim compares variants, so what
must survive is the notes' ratios: optimizer steps of the variants an accuracy comparison sets side by side,
the first layer's width over the others', the bug's augmented share, model5's data. A ratio is named by a
short string a claim declares (``Claim.ratios``):

- ``steps:A/B``  optimizer steps of A over B (epochs × ceil(training images / batch))
- ``width:V``    V's first hidden width over its widest other hidden layer
- ``share:V``    images V's augmentation adds, as a share of the clean training set (the bug: batch / N)
- ``data:A/B``   training images (after augmentation) of A over B
- ``batch:A/B``  batch size of A over B

A profile with ``keeps_ratios`` judges a claim only where every ratio is within ``TOLERANCE`` of paper's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..data.dataset import NUM_FINE as CLASSES
from ..data.dataset import TEST_PER_CLASS as CIFAR_TEST_PER_CLASS
from ..data.dataset import TRAIN_PER_CLASS as CIFAR_TRAIN_PER_CLASS
from .models import input_features
from .variants import PROFILES, Profile, Variant, get_profile, get_variant

TOLERANCE = 0.10  # a ratio is kept when profile / paper is within ±10% (issue 14)
RATIO_KINDS = ("steps", "width", "share", "data", "batch")


@dataclass(frozen=True)
class Trained:
    """One variant as trained under one profile: the numbers `tp2 variants` prints."""

    name: str
    epochs: int
    batch_size: int  # images per optimizer step
    widths: tuple[int, ...]  # hidden Dense widths, input side first
    train_images: int  # per epoch, after augmentation (full: 2N; bug: N + batch)
    clean_train_images: int  # N, before augmentation
    validation_images: int  # clean: the held-out subset; augmented: that subset plus one augmented copy
    validation: str  # "clean" | "augmented"
    optimizer_steps: int  # epochs × ceil(train_images / batch_size)
    parameters: int  # trainable, kernels + biases
    augmentation: str
    input_shape: tuple[int, int, int] = (32, 32, 3)  # what the first layer sees: (16, 16, 3) when the profile pools

    def to_dict(self) -> dict:
        return {"name": self.name, "epochs": self.epochs, "batch_size": self.batch_size, "widths": list(self.widths),
                "input": list(self.input_shape),
                "train_images": self.train_images, "optimizer_steps": self.optimizer_steps,
                "parameters": self.parameters, "augmentation": self.augmentation,
                "validation": {"kind": self.validation, "images": self.validation_images}}


def trained(variant: Variant | str, profile: Profile | str) -> Trained:
    """The variant under the profile (Profile.apply), with its image, step and parameter counts."""
    variant = get_variant(variant) if isinstance(variant, str) else variant
    profile = get_profile(profile) if isinstance(profile, str) else profile
    v = profile.apply(variant)
    classes = v.classes or CLASSES  # a variant trained on k classes sees k classes' images
    n = classes * (profile.train_per_class or CIFAR_TRAIN_PER_CLASS)
    images = {"none": n, "full": 2 * n, "single_batch_bug": n + min(v.augmented_by_bug, n)}[v.augmentation]
    val = classes * (profile.test_per_class or CIFAR_TEST_PER_CLASS)
    widths = (input_features(v), *v.hidden_units, CLASSES)
    return Trained(
        name=v.name, epochs=v.epochs, batch_size=v.batch_size, widths=v.hidden_units, train_images=images,
        clean_train_images=n, validation_images=2 * val if v.validation == "augmented" else val,
        validation=v.validation, optimizer_steps=v.epochs * math.ceil(images / v.batch_size),
        parameters=sum(a * b + b for a, b in zip(widths, widths[1:])), augmentation=v.augmentation,
        input_shape=(32 // v.input_pool, 32 // v.input_pool, 3),
    )


def ratio_value(spec: str, profile: Profile | str) -> float:
    """The named ratio (module doc) under the profile. Unknown kinds or variants raise ConfigError/ValueError."""
    kind, _, args = spec.partition(":")
    if kind not in RATIO_KINDS or not args:
        raise ValueError(f"ratio {spec!r}: expected 'kind:args' with kind one of {RATIO_KINDS}, "
                         "e.g. 'steps:model4/model3'.")
    if kind in ("width", "share"):
        t = trained(args, profile)
        if kind == "width":
            if len(t.widths) < 2:
                raise ValueError(f"ratio {spec!r}: {args} has a single hidden layer, no 'others' to compare with.")
            return t.widths[0] / max(t.widths[1:])
        return (t.train_images - t.clean_train_images) / t.clean_train_images
    a, sep, b = args.partition("/")
    if not sep:
        raise ValueError(f"ratio {spec!r}: expected '{kind}:A/B' with two variant names.")
    ta, tb = trained(a, profile), trained(b, profile)
    field = {"steps": "optimizer_steps", "data": "train_images", "batch": "batch_size"}[kind]
    return getattr(ta, field) / getattr(tb, field)


@dataclass(frozen=True)
class RatioCheck:
    name: str
    paper: float
    profile: float

    @property
    def ok(self) -> bool:
        return abs(self.profile / self.paper - 1.0) <= TOLERANCE

    def to_dict(self) -> dict:
        return {"name": self.name, "paper": self.paper, "profile": self.profile, "ok": self.ok}


def ratio_checks(ratios: tuple[str, ...], profile: Profile | str) -> list[RatioCheck]:
    """Each ratio at paper scale beside its value under the profile."""
    return [RatioCheck(r, ratio_value(r, PROFILES["paper"]), ratio_value(r, profile)) for r in ratios]


def judged_at(claim, profile: Profile | str) -> tuple[bool, str]:
    """Whether ``claim`` is judged under the profile, and why (one clause, for tables and skip reasons)."""
    profile = get_profile(profile) if isinstance(profile, str) else profile
    if claim.name in profile.budget_cuts:
        return False, f"not judged at this scale: {profile.budget_cuts[claim.name]}"
    if not profile.keeps_ratios:
        return True, f"{profile.name} is a machinery check: judged, but its ratios are not the notes'"
    broken = [c for c in ratio_checks(getattr(claim, "ratios", ()), profile) if not c.ok]
    if not broken:
        return True, f"every ratio within {TOLERANCE:.0%} of paper"
    parts = [f"{c.name} is {c.profile:.3g} here vs {c.paper:.3g} in paper" for c in broken]
    return False, f"not judged at this scale: {'; '.join(parts)} (more than {TOLERANCE:.0%} off)"


def judged_variants(claims, profile: Profile | str) -> list[str]:
    """The variants the claims judged under ``profile`` compare, in claim order (repeats kept)."""
    return [v for c in claims if judged_at(c, profile)[0] for v in c.variants]


def untrained_variants(claims, profile: Profile | str) -> set[str]:
    """Variants that only claims not judged under ``profile`` compare: nothing needs them, so nothing trains them."""
    return {v for c in claims for v in c.variants} - set(judged_variants(claims, profile))
