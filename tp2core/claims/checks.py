"""Exact, deterministic facts a claim can rest on besides seed statistics: declarative values, no callables.

Only one is needed so far: under the notes' single-batch augmentation bug, the augmented share of the
training set grows with the batch size (Quinto Modelo: "es por esto que mejoro el performance de la red con
data augmentation cuando aumente el batch size").
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field

import numpy as np

from ..errors import ConfigError
from .stats import REFUTED, SUPPORTED, VERDICTS

CountFn = Callable[[int, int, int], int]  # (n_images, batch_size, seed) → images the bug appends


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one exact check: a verdict (never 'inconclusive' unless it could not run) and why."""

    name: str  # the check's slug
    label: str  # short text for tables
    verdict: str  # "supported" | "refuted" | "inconclusive"
    detail: str  # what was counted, for the claim's sentence
    values: dict = field(default_factory=dict)  # numbers behind the detail (JSON-safe)

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ConfigError(f"'verdict' must be one of {VERDICTS} (got {self.verdict!r}).")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "CheckResult":
        return cls(**data)


def count_bug_images(n_images: int, batch_size: int, seed: int) -> int:
    """Images ``tp2core.recipe.augment.single_batch_bug`` appends to a set of ``n_images``, counted for real.

    Runs the bug on a blank uint8 (n, 32, 32, 3) array; callers keep n small (see AugmentedShareCheck).
    """
    from ..recipe.augment import single_batch_bug  # lazy: numpy-only, but keeps claim definitions import-light

    x = np.zeros((n_images, 32, 32, 3), dtype=np.uint8)
    y = np.arange(n_images, dtype=np.int64) % 100
    x2, y2 = single_batch_bug(x, y, batch_size, seed)
    if len(x2) != len(y2):
        raise AssertionError(f"single_batch_bug returned {len(x2)} images but {len(y2)} labels")
    return len(x2) - n_images


@dataclass(frozen=True)
class AugmentedShareCheck:
    """Under the bug, the augmented share b'/(N + b') grows with batch size b, where b' = min(b, N) images.

    Supported iff (1) the bug appends exactly min(b, N) images at every listed batch size, counted by running
    ``single_batch_bug``, (2) the share strictly grows with b, and (3) any bug runs' recorded training-set
    sizes equal N + min(b, N). Refuted otherwise: it is an exact fact, so there is no "inconclusive" unless
    ``tp2core.recipe.augment`` cannot be imported. A profile that keeps the notes' share on a training subset
    sets b' to its scaled count (``evaluate``'s ``augments``), and the same three facts are checked with it.
    """

    batch_sizes: tuple[int, ...] = (128, 1024)  # the notes' two batch sizes (Segundo/Cuarto Modelo)
    seed: int = 0  # seed for the counting run (the count must not depend on it)
    name: str = "augmented-share-grows"

    def __post_init__(self) -> None:
        ok = (
            isinstance(self.batch_sizes, tuple)
            and len(self.batch_sizes) >= 2
            and all(isinstance(b, int) and not isinstance(b, bool) and b > 0 for b in self.batch_sizes)
            and list(self.batch_sizes) == sorted(set(self.batch_sizes))
        )
        if not ok:
            raise ConfigError(
                f"'batch_sizes' must be a tuple of at least two increasing positive ints (got {self.batch_sizes!r})."
            )

    @property
    def label(self) -> str:
        return "augmented share under the bug grows with batch " + " < ".join(map(str, self.batch_sizes))

    def evaluate(
        self, n_train: int, *, recorded: Mapping[int, int] | None = None, count: CountFn | None = None,
        augments: Mapping[int, int] | None = None,
    ) -> CheckResult:
        """Check the fact for a training set of ``n_train`` images.

        recorded: batch size → training images a bug run actually trained on (RunResult.train_images).
        count: the image counter (default ``count_bug_images``); tests inject a broken one.
        augments: batch size → images the bug is set to augment there (a profile that keeps the notes' share on
        a subset scales it: Profile.bug_augments); missing = one whole batch, as the notes' code.
        """
        if isinstance(n_train, bool) or not isinstance(n_train, int) or n_train <= 0:
            raise ConfigError(f"'n_train' must be a positive int (got {n_train!r}).")
        count = count or count_bug_images
        # The count depends only on min(b, N): probe with max(b) + 1 images when N is larger (a few MB, not 150).
        k = {b: (augments or {}).get(b) or b for b in {*self.batch_sizes, *(recorded or {})}}
        probe = min(n_train, max(k.values()) + 1)
        try:
            added = {b: count(probe, k[b], self.seed) for b in self.batch_sizes}
        except ImportError as exc:
            return CheckResult(self.name, self.label, "inconclusive", f"could not count images ({exc})")
        shares = {b: added[b] / (n_train + added[b]) for b in self.batch_sizes}
        problems = [
            f"batch {b} appends {added[b]:,} images, expected {min(k[b], n_train):,}"
            for b in self.batch_sizes
            if added[b] != min(k[b], n_train)
        ]
        seq = [shares[b] for b in self.batch_sizes]
        if not all(x < y for x, y in zip(seq, seq[1:])):
            problems.append("the share does not grow with the batch size")
        for b, got in sorted((recorded or {}).items()):
            want = n_train + min(k[b], n_train)
            if got != want:
                problems.append(f"a batch-{b} bug run trained on {got:,} images, expected {want:,}")
        counts = ", ".join(f"+{added[b]:,} at batch {b} ({_pct(shares[b])})" for b in self.batch_sizes)
        detail = f"N={n_train:,} training images, bug adds {counts}"
        if recorded:
            detail += "; bug runs trained on " + ", ".join(f"{v:,}" for _, v in sorted(recorded.items()))
        if problems:
            detail += "; " + "; ".join(problems)
        values = {"n_train": n_train, "added": {str(b): added[b] for b in added},
                  "share": {str(b): _round(shares[b]) for b in shares}}
        return CheckResult(self.name, self.label, REFUTED if problems else SUPPORTED, detail, values)

    def to_dict(self) -> dict:
        return {"type": type(self).__name__, **asdict(self)}


def _pct(share: float) -> str:
    """0.0255 → '2.6%', 0.02007 → '2.0%', 0.254 → '25%'."""
    pct = 100 * share
    return f"{pct:.0f}%" if pct >= 10 else f"{pct:#.2g}%"


def _round(x: float) -> float:
    return float(f"{x:.6g}") if math.isfinite(x) else x


CHECK_TYPES = (AugmentedShareCheck,)

