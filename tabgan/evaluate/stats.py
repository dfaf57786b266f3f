"""Small statistics shared by the sections: ROC analysis with bootstrap intervals, Wilson
intervals for success rates, and the residual risk of a main attack over its control."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

__all__ = [
    "RocAnalysis",
    "roc_analysis",
    "tpr_at_fpr",
    "wilson",
    "residual_risk",
    "mean_interval",
]


@dataclass
class RocAnalysis:
    """An attack's ROC summary: AUC and TPR at fixed FPRs, each with a bootstrap interval."""

    auc: float
    auc_ci: tuple[float, float]
    tpr: dict[float, float]
    tpr_ci: dict[float, tuple[float, float]]
    curve_fpr: np.ndarray  # a thinned ROC curve (log-spaced at small FPR) for plotting
    curve_tpr: np.ndarray
    thresholds: dict[float, float]  # score at or above which the attack says "member"


def _groups(scores: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Targets sorted by descending score; start index and score of every run of ties."""
    order = np.argsort(-scores, kind="stable")
    s = scores[order]
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    return order, starts, s[starts]


def _curve(pos: np.ndarray, neg: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ROC vertices from per-target weights in sorted order; works on (n,) or (B, n)."""
    tp = np.cumsum(np.add.reduceat(pos, starts, axis=-1), axis=-1)
    fp = np.cumsum(np.add.reduceat(neg, starts, axis=-1), axis=-1)
    zero = np.zeros(tp.shape[:-1] + (1,))
    tpr = np.concatenate([zero, tp / tp[..., -1:]], axis=-1)
    fpr = np.concatenate([zero, fp / fp[..., -1:]], axis=-1)
    return fpr, tpr


def tpr_at_fpr(fpr: np.ndarray, tpr: np.ndarray, level: float) -> tuple[float, int]:
    """TPR at FPR ``level`` on the ROC curve (linear between vertices, as a randomised
    threshold achieves), and the index of the last vertex at or below ``level``."""
    i = int(np.searchsorted(fpr, level, side="right")) - 1
    if i >= len(fpr) - 1:
        return float(tpr[-1]), i
    f0, f1, t0, t1 = fpr[i], fpr[i + 1], tpr[i], tpr[i + 1]
    return float(t0 + (level - f0) * (t1 - t0) / (f1 - f0)), i


def roc_analysis(
    scores: np.ndarray,
    is_member: np.ndarray,
    *,
    fprs: tuple[float, ...],
    n_bootstrap: int,
    confidence: float,
    rng: np.random.Generator,
) -> RocAnalysis:
    """ROC AUC (ties count half) and TPR at each FPR in ``fprs``, with percentile intervals
    from a bootstrap that resamples members and non-members separately."""
    scores = np.asarray(scores, dtype=np.float64)
    is_member = np.asarray(is_member, dtype=bool)
    order, starts, group_scores = _groups(scores, is_member)
    y = is_member[order]
    pos, neg = y.astype(np.float64), (~y).astype(np.float64)
    fpr, tpr = _curve(pos, neg, starts)
    auc = float(np.trapezoid(tpr, fpr))
    point = {}
    thresholds = {}
    for level in fprs:
        point[level], i = tpr_at_fpr(fpr, tpr, level)
        thresholds[level] = float(group_scores[i - 1]) if i >= 1 else math.inf

    alpha = (1.0 - confidence) / 2.0
    auc_ci = (math.nan, math.nan)
    tpr_ci = {level: (math.nan, math.nan) for level in fprs}
    if n_bootstrap > 0:
        n_pos, n_neg = int(y.sum()), int((~y).sum())
        w_pos = np.zeros((n_bootstrap, len(y)))
        w_neg = np.zeros((n_bootstrap, len(y)))
        w_pos[:, y] = rng.multinomial(n_pos, np.full(n_pos, 1.0 / n_pos), size=n_bootstrap)
        w_neg[:, ~y] = rng.multinomial(n_neg, np.full(n_neg, 1.0 / n_neg), size=n_bootstrap)
        b_fpr, b_tpr = _curve(w_pos, w_neg, starts)
        b_auc = np.trapezoid(b_tpr, b_fpr, axis=1)
        auc_ci = _percentiles(b_auc, alpha)
        for level in fprs:
            values = np.array(
                [tpr_at_fpr(b_fpr[b], b_tpr[b], level)[0] for b in range(n_bootstrap)]
            )
            tpr_ci[level] = _percentiles(values, alpha)

    n_neg = max(int((~y).sum()), 1)
    grid = np.unique(
        np.concatenate(
            [[0.0], np.logspace(np.log10(1.0 / n_neg), 0.0, 120), np.linspace(0.0, 1.0, 41)]
        )
    )
    curve_tpr = np.array([tpr_at_fpr(fpr, tpr, f)[0] for f in grid])
    return RocAnalysis(auc, auc_ci, point, tpr_ci, grid, curve_tpr, thresholds)


def _percentiles(values: np.ndarray, alpha: float) -> tuple[float, float]:
    low, high = np.quantile(values, [alpha, 1.0 - alpha])
    return float(low), float(high)


def wilson(successes: int, n: int, confidence: float) -> tuple[float, float, float, float]:
    """A success rate's Wilson score estimate: ``(rate, low, high, error)``.

    ``rate`` is the interval's centre (it shrinks towards 1/2 for small ``n``) and ``error``
    its half-width.
    """
    if n <= 0:
        return math.nan, math.nan, math.nan, math.nan
    z = float(norm.ppf(0.5 + confidence / 2.0))
    denominator = n + z * z
    centre = (successes + z * z / 2.0) / denominator
    error = z / denominator * math.sqrt(successes * (n - successes) / n + z * z / 4.0)
    return centre, max(centre - error, 0.0), min(centre + error, 1.0), error


def residual_risk(
    main: tuple[float, float], control: tuple[float, float], confidence: float
) -> tuple[float, tuple[float, float]]:
    """``(r_main - r_control) / (1 - r_control)`` and its interval.

    ``main`` and ``control`` are ``(rate, error)`` pairs; the error is propagated to first
    order (the delta method) and the interval is the risk plus or minus that error (capped
    at 1, the largest possible risk).
    """
    r_main, e_main = main
    r_control, e_control = control
    if not r_control < 1.0:
        return math.nan, (math.nan, math.nan)
    risk = (r_main - r_control) / (1.0 - r_control)
    d_main = 1.0 / (1.0 - r_control)
    d_control = (r_main - 1.0) / (1.0 - r_control) ** 2
    error = math.sqrt((e_main * d_main) ** 2 + (e_control * d_control) ** 2)
    return risk, (risk - error, min(risk + error, 1.0))  # a risk cannot exceed 1


def mean_interval(values: np.ndarray, confidence: float) -> tuple[float, tuple[float, float]]:
    """The mean of ``values`` and a normal-approximation interval for it."""
    values = np.asarray(values, dtype=np.float64)
    mean = float(values.mean())
    if len(values) < 2:
        return mean, (math.nan, math.nan)
    z = float(norm.ppf(0.5 + confidence / 2.0))
    half = z * float(values.std(ddof=1)) / math.sqrt(len(values))
    return mean, (mean - half, mean + half)
