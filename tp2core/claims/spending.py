"""Alpha-spending functions of the group-sequential designs (issues 23 and 29): the one owner of their formulas.

A spending function f(t) gives the share of one side's error ``alpha_side`` spent by information fraction t in
[0, 1], f(0) = 0, f(1) = alpha_side. Names (``spending=``):

- ``"obrien-fleming"``: Lan–DeMets O'Brien–Fleming type, f(t) = 2·(1 − Φ(z_{1−alpha_side/2} / √t)); spends almost
  nothing early (SequentialDesign's default, issue 23).
- ``"pocock"``: Lan–DeMets Pocock type, f(t) = alpha_side·ln(1 + (e − 1)·t).
- ``"hsd(γ)"``, e.g. ``"hsd(4)"``: Hwang–Shih–DeCani, f(t) = alpha_side·(1 − e^{−γt}) / (1 − e^{−γ}) (γ = 0: linear);
  γ ≈ −4 resembles O'Brien–Fleming, γ ≈ 1 Pocock, larger γ spends more at the first look.
- ``"front(φ)"``, e.g. ``"front(0.84)"``: a share φ at the first look, the rest linear in t:
  f(t) = alpha_side·(φ + (1 − φ)·t) for t > 0 — the first look decides almost what the fixed design at its seeds
  decides, and the later looks keep levels that grow with the information they add (HSD with a large γ makes
  them vanish instead).

``union_levels`` turns a spending function into per-look levels by the union bound (each look tests at the alpha
spent since the previous look), the boundaries of the budgeted design (tp2core.claims.budget): valid for exact
t p-values whatever the looks' joint law and whichever looks are skipped or never reached.
"""

from __future__ import annotations

import math
import re

import numpy as np

from ..errors import ConfigError

OBRIEN_FLEMING, POCOCK = "obrien-fleming", "pocock"
_HSD = re.compile(r"^hsd\((-?\d+(?:\.\d+)?)\)$")
_FRONT = re.compile(r"^front\((0(?:\.\d+)?|1(?:\.0+)?)\)$")


def check(spending: object) -> str:
    """``spending`` once it names a spending function, else a ConfigError naming it."""
    if isinstance(spending, str) and (spending in (OBRIEN_FLEMING, POCOCK) or _HSD.match(spending)
                                      or _FRONT.match(spending)):
        return spending
    raise ConfigError(f"'spending' must be 'obrien-fleming', 'pocock', 'hsd(γ)' with a number γ, e.g. 'hsd(4)', or "
                      f"'front(φ)' with φ in [0, 1], e.g. 'front(0.84)' (got {spending!r}).")


def label(spending: str) -> str:
    """For sentences: "O'Brien–Fleming", "Pocock", "Hwang–Shih–DeCani γ = 4"."""
    names = {OBRIEN_FLEMING: "O'Brien–Fleming", POCOCK: "Pocock"}
    if front := _FRONT.match(check(spending)):
        return f"front-loaded φ = {front.group(1)}"
    return names.get(spending) or f"Hwang–Shih–DeCani γ = {_HSD.match(spending).group(1)}"


def spent(t, alpha_side: float, spending: str = OBRIEN_FLEMING) -> np.ndarray:
    """Alpha spent by information fraction ``t`` (array, values in (0, 1]) on one side whose total is alpha_side."""
    from scipy.stats import norm

    t = np.asarray(t, dtype=float)
    check(spending)
    if spending == OBRIEN_FLEMING:
        return 2.0 * norm.sf(norm.isf(alpha_side / 2.0) / np.sqrt(t))
    if spending == POCOCK:
        return alpha_side * np.log1p((math.e - 1.0) * t)
    if front := _FRONT.match(spending):
        phi = float(front.group(1))
        return alpha_side * np.where(t > 0, phi + (1.0 - phi) * t, 0.0)
    gamma = float(_HSD.match(spending).group(1))
    if gamma == 0:
        return alpha_side * t
    return alpha_side * (-np.expm1(-gamma * t)) / (-math.expm1(-gamma))


def union_levels(seeds: tuple[int, ...], alpha: float, spending: str) -> tuple[float, ...]:
    """One-sided level of each look for each side: the alpha spent since the previous look, alpha/2 per side in
    all (t = seeds / seeds[-1]). By the union bound, each false verdict over all looks has probability ≤ alpha/2
    when each look's p-value is exact, under any dependence between looks; one look is the fixed design (alpha/2)."""
    n = np.asarray(seeds, dtype=float)
    return tuple(float(x) for x in np.diff(spent(n / n[-1], alpha / 2.0, spending), prepend=0.0))
