"""The one-run canary bound: an empirical lower bound on epsilon from guesses.

After Steinke, Nasr & Jagielski, "Privacy Auditing with One (1) Training Run" (NeurIPS 2023):
``m`` canaries are each included in the training data with probability 1/2; a guesser
names the ``k`` most "included"-looking ones. If training were (epsilon, delta)-DP, each
guess would be right with probability at most about ``e^eps / (1 + e^eps)``; many more
right guesses than that allows refute the claim. This module is the arithmetic of that
test; :mod:`tabgan.canaries` runs the experiment.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import binom

from tabgan.errors import AuditError

__all__ = [
    "CONFIDENCE",
    "RULE_SHARES",
    "GuessRule",
    "p_value",
    "epsilon_lower_bound",
    "guess_rules",
    "guess",
]

CONFIDENCE = 0.95  # the bound holds with this probability over the inclusion coin flips
# Guessing rules, fixed up front: the top share*m canaries guessed "included", abstaining on
# the rest. A memorised canary scores at the top; small shares win when a few canaries are
# memorised, large ones when many are. (Guessing the lowest-scored ones "excluded" adds
# little: a canary the generator did not memorise looks excluded whether or not it was in.)
RULE_SHARES = (0.05, 0.1, 0.25, 0.5)
_MIN_GUESSES = 10
_EPS_MAX = 60.0  # no bound is searched above this (e^60: every guess right, for any m here)
_BISECTION_STEPS = 60


# ---------------------------------------------------------------------- the bound
def p_value(m: int, r: int, v: int, epsilon: float, delta: float = 0.0) -> float:
    """The probability, were training (epsilon, delta)-DP, of at least ``v`` right guesses
    out of ``r`` guesses on ``m`` canaries, each included with probability 1/2.

    Steinke, Nasr & Jagielski (2023), Theorem 5.2: the binomial tail
    ``P[Binomial(r, q) >= v]`` with ``q = e^eps / (1 + e^eps)``, plus ``2 m delta`` times
    ``max_i P[v - i <= Binomial(r, q) < v] / i`` for approximate DP.
    """
    _check_counts(m, r, v)
    if not epsilon >= 0:
        raise AuditError(f"epsilon must be >= 0, got {epsilon!r}.")
    if not 0 <= delta <= 1:
        raise AuditError(f"delta must lie in [0, 1], got {delta!r}.")
    if v == 0:
        return 1.0
    q = 1.0 / (1.0 + math.exp(-epsilon))
    tail = float(binom.sf(v - 1, r, q))  # P[B >= v]
    extra = 0.0
    if delta > 0:
        below = binom.pmf(np.arange(v - 1, -1, -1), r, q)  # P[B = v-1], P[B = v-2], ...
        extra = float(np.max(np.cumsum(below) / np.arange(1, v + 1)))
    return min(1.0, tail + extra * delta * 2 * m)


def epsilon_lower_bound(
    m: int, r: int, v: int, *, delta: float = 0.0, level: float = 1.0 - CONFIDENCE
) -> float:
    """The largest epsilon refuted at ``level``: training is not (epsilon, delta)-DP for any
    epsilon below the returned value, unless an event of probability ``level`` occurred.

    0 when the guesses do no better than the claim of epsilon = 0 allows (for instance, at
    chance). Found by bisection on :func:`p_value`, which grows with epsilon; the result is
    accurate to about 1e-12 and never above the exact bound.
    """
    if not 0 < level < 1:
        raise AuditError(f"level must lie strictly between 0 and 1, got {level!r}.")
    if p_value(m, r, v, 0.0, delta) >= level:
        return 0.0
    low, high = 0.0, 1.0
    while p_value(m, r, v, high, delta) < level:
        low, high = high, 2 * high
        if high > _EPS_MAX:
            return _EPS_MAX
    for _ in range(_BISECTION_STEPS):
        mid = (low + high) / 2
        if p_value(m, r, v, mid, delta) < level:
            low = mid
        else:
            high = mid
    return low


def _check_counts(m: int, r: int, v: int) -> None:
    for name, value in (("m", m), ("r", r), ("v", v)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise AuditError(f"{name} must be an integer, got {value!r}.")
    if not 0 <= v <= r <= m:
        raise AuditError(
            f"need 0 <= correct guesses <= guesses <= canaries, got v={v}, r={r}, m={m}."
        )


# ---------------------------------------------------------------------- results
@dataclass
class GuessRule:
    """One guessing rule fixed before the scores were seen, and what it achieved."""

    name: str
    n_guesses: int  # the highest-scored canaries, each guessed "included"
    n_correct: int  # of them, how many were included
    epsilon_lower_bound: float  # at level (1 - confidence) / number of rules


def guess_rules(m: int) -> list[tuple[str, int]]:
    """The guessing rules for ``m`` canaries, fixed before any score is seen: (name, the
    number of top-scored canaries guessed "included"). Rules of fewer than
    ``_MIN_GUESSES`` guesses are left out: they cannot refute any epsilon at a useful level,
    and each rule costs a share of the confidence."""
    rules: list[tuple[str, int]] = []
    for share in RULE_SHARES:
        k = int(round(share * m))
        if k >= _MIN_GUESSES and k not in [r[1] for r in rules]:
            rules.append((f"top {k} of {m} guessed included", k))
    return rules or [(f"top {m} of {m} guessed included", m)]


def guess(
    scores: np.ndarray,
    included: np.ndarray,
    rng: np.random.Generator,
    *,
    delta: float,
    confidence: float = CONFIDENCE,
) -> list[GuessRule]:
    """Apply every rule of :func:`guess_rules` to the scores and bound epsilon from each,
    at level ``(1 - confidence) / number of rules``. Ties are broken at random."""
    m = len(scores)
    order = np.lexsort((rng.permutation(m), -np.asarray(scores, dtype=np.float64)))
    ranked = np.asarray(included, dtype=bool)[order]  # most "included"-looking first
    rules = guess_rules(m)
    level = (1.0 - confidence) / len(rules)
    out = []
    for name, k in rules:
        correct = int(ranked[:k].sum())
        bound = epsilon_lower_bound(m, k, correct, delta=delta, level=level)
        out.append(GuessRule(name, k, correct, bound))
    return out
