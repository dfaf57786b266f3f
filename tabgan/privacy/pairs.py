"""Private two-way marginals: every two softmax spans' joint counts, released together.

Each encoded record is hot at exactly one position of every softmax span (a category, a
bin or spike of a numeric column, a null slot), so it adds one to exactly one cell of every
two spans' joint table: removing it moves the ``K (K - 1) / 2`` tables of ``K`` spans by a
vector of L2 norm ``sqrt(K (K - 1) / 2)``. One Gaussian mechanism releases them all, noise
``sigma * sqrt(K (K - 1) / 2)`` on every cell; the ledger holds it as a mechanism of noise
multiplier ``sigma``, its stage "marginals".

The release is then post-processed into targets for the generator's pair term, which
reads no record: in each table, cells that stand out of the noise (above the level that
every cell of pure noise stays under but in 5% of releases) keep their noisy counts; the
rest of the table's released total is spread over the other cells as the product of the
two spans' private one-way marginals would spread it. Strong dependencies (a code and its
label) come through; weak cells fall back to independence instead of to noise.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from tabgan.privacy.accounting import Mechanism
from tabgan.privacy.ranges import significance

__all__ = ["MARGINALS", "PAIRS", "PAIR_SHARE", "pair_count", "pair_share", "release_pairs"]

MARGINALS = "marginals"  # the ledger's stage
PAIRS = "two-way marginals of every two columns"
PAIR_SHARE = 0.25  # of epsilon, beside the preprocessing share; DP-SGD gets the rest


def pair_share(preprocessing_share: float) -> float:
    """The share of epsilon the two-way marginals get: ``PAIR_SHARE``, or half of what the
    preprocessing leaves when it leaves less than twice that."""
    return min(PAIR_SHARE, (1.0 - preprocessing_share) / 2)


def pair_count(n_spans: int) -> int:
    """The number of two-way tables of ``n_spans`` spans: the squared L2 sensitivity."""
    return n_spans * (n_spans - 1) // 2


def release_pairs(counts: np.ndarray, segment: np.ndarray, marginals: np.ndarray,
                  sigma: float, n_rows: int, rng) -> tuple[torch.Tensor, Mechanism]:
    """Targets ``(P, P)`` for the pair term from the exact co-occurrence ``counts`` of the
    softmax positions (``segment`` gives each position's span), released with noise
    multiplier ``sigma``; ``marginals`` are the private one-way shares of every position
    (each span's sum to 1) and ``n_rows`` the released row count (every table's total).
    Returns the targets (shares, each table summing to 1, the diagonal tables zero) and
    the ledger's mechanism."""
    n_spans = int(segment.max()) + 1 if len(segment) else 0
    std = sigma * math.sqrt(max(pair_count(n_spans), 1))
    spans = [np.flatnonzero(segment == s) for s in range(n_spans)]
    out = np.zeros_like(counts, dtype=np.float64)
    for i in range(n_spans):
        for j in range(i + 1, n_spans):
            rows, cols = spans[i], spans[j]
            noisy = counts[np.ix_(rows, cols)] + std * rng.standard_normal((len(rows),
                                                                            len(cols)))
            table = _denoise(noisy, std, n_rows, marginals[rows], marginals[cols])
            out[np.ix_(rows, cols)] = table
            out[np.ix_(cols, rows)] = table.T
    return torch.as_tensor(out, dtype=torch.float32), Mechanism(MARGINALS, PAIRS, sigma)


def _denoise(noisy: np.ndarray, std: float, total: float, left: np.ndarray,
             right: np.ndarray) -> np.ndarray:
    """Shares of one table of ``total`` rows: its significant cells as released, the rest
    of the total as independence would spread it (zeros where nothing is known)."""
    total = max(float(total), 1.0)
    keep = noisy > std * significance(noisy.size)
    kept = np.where(keep, noisy, 0.0)
    if kept.sum() > total:
        return kept / kept.sum()
    independent = np.outer(left, right) * ~keep
    rest = total - kept.sum()
    spread = independent / independent.sum() * rest if independent.sum() > 0 else 0.0
    table = kept + spread
    return table / table.sum() if table.sum() > 0 else table
