"""One training, several records (issue 29): variants whose record another variant's training gives (no TF import).

A derived variant is trained by nobody: its record comes from its source's run, under its own identity (a content
hash of its own spec, as for every run), and equals what a separate training of it would record:

- ``continues``: the derived variant is the source trained for more epochs (model4-e2000: model4's 2N epochs).
  The longer run is trained once; the source's record is taken from it at the source's N epochs. Exact, because
  nothing in a run's first N epochs depends on its total (fastfit's data order is a pure function of the epoch,
  Adam's learning rate is constant).
- ``evaluates``: the derived variant is the source validated on another set (model5-augval: model5 on augmented
  + original held-out images). The source is trained once and every epoch is also validated on the derived set.

This table is the one definition of the relation; the trainer (tp2core.training.shared) checks that the two
variants, as a profile trains them, differ only where the relation says (epochs, or the validation set).
"""

from __future__ import annotations

from dataclasses import dataclass

from .variants import VARIANTS

HOWS = ("continues", "evaluates")


@dataclass(frozen=True)
class Derivation:
    """``variant``'s record comes from ``source``'s training, as ``how`` says (module doc)."""

    variant: str  # the derived variant (its own records, its own identities)
    how: str  # "continues" | "evaluates"
    source: str  # the variant whose run serves it

    def __post_init__(self) -> None:
        for name in ("variant", "source"):
            value = getattr(self, name)
            if value not in VARIANTS:
                raise ValueError(f"'{name}' must be a variant name from {tuple(VARIANTS)} (got {value!r}).")
        if self.how not in HOWS:
            raise ValueError(f"'how' must be one of {HOWS} (got {self.how!r}).")
        if self.variant == self.source:
            raise ValueError(f"'source' must name another variant than {self.variant!r}.")


DERIVATIONS: tuple[Derivation, ...] = (
    # model5's optimizer steps on model4's data: model4's run trained on (Quinto Modelo's ablation)
    Derivation("model4-e2000", "continues", "model4"),
    # the notes' validation set: model5's weights, validated on augmented + original held-out images
    Derivation("model5-augval", "evaluates", "model5"),
)


def check_disjoint(derivations: tuple[Derivation, ...]) -> None:
    """ValueError when a variant is in two derivations: each variant's record comes from one training."""
    names = [n for d in derivations for n in (d.variant, d.source)]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"'derivations' must name each variant once (got {twice} in more than one); a variant's "
                         f"record comes from one training.")


check_disjoint(DERIVATIONS)


@dataclass(frozen=True)
class SharedRun:
    """The one training that gives ``records``: ``trained`` is the variant whose spec is trained."""

    trained: str
    records: tuple[str, ...]  # every variant recorded from that training, ``trained`` included


def shared_run(variant: str, derivations: tuple[Derivation, ...] = DERIVATIONS) -> SharedRun:
    """The training that records ``variant``: for ``continues`` the longer (derived) run, for ``evaluates`` the
    source's; a variant in no derivation is its own training."""
    for d in derivations:
        if variant in (d.variant, d.source):
            trained = d.variant if d.how == "continues" else d.source
            return SharedRun(trained, (d.source, d.variant))
    return SharedRun(variant, (variant,))
