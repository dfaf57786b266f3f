"""Variational Gaussian mixtures for one-dimensional columns, many columns at once.

This is the model of scikit-learn's ``BayesianGaussianMixture`` with a Dirichlet-process
weight prior (the one CTGAN uses for mode-specific normalization), specialised to one
dimension and vectorized over columns. Two things make it fast without changing the model:

- Repeated values are fitted once with their count as a weight. The variational updates
  only use weighted sufficient statistics, so this is exact.
- Every column of a table is one row of a padded ``[C, N]`` array, so one numpy expression
  does an EM step for all columns.

The update equations follow scikit-learn's ``_m_step`` / ``_estimate_log_prob`` term for
term, and a test checks that both give the same parameters from the same initial
responsibilities.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import digamma

__all__ = ["Mixture", "fit_mixtures", "mixture_log_posterior"]

_EPS = 10 * np.finfo(np.float64).eps
# Largest mode spread, so that 4 * std (the alpha scale) stays finite.
_MAX_STD = np.finfo(np.float64).max / 8


@dataclass
class Mixture:
    """A fitted one-dimensional mixture: only the modes that were kept."""

    weights: np.ndarray  # (K,), sums to 1
    means: np.ndarray  # (K,)
    stds: np.ndarray  # (K,)

    def state_dict(self) -> dict:
        return {
            "weights": self.weights.tolist(),
            "means": self.means.tolist(),
            "stds": self.stds.tolist(),
        }

    @classmethod
    def from_state_dict(cls, state: dict) -> Mixture:
        return cls(*(np.asarray(state[k], dtype=np.float64) for k in ("weights", "means", "stds")))


def mixture_log_posterior(mixture: Mixture, x: np.ndarray) -> np.ndarray:
    """log p(mode k | x) for each value, shape (n, K)."""
    z = (x[:, None] - mixture.means[None, :]) / mixture.stds[None, :]
    log_joint = np.log(mixture.weights)[None, :] - np.log(mixture.stds)[None, :] - 0.5 * z * z
    return log_joint - _logsumexp(log_joint)


def fit_mixtures(
    columns: list[np.ndarray],
    *,
    n_components: int = 10,
    weight_concentration_prior: float = 1e-3,
    weight_threshold: float = 5e-3,
    max_iter: int = 100,
    tol: float = 1e-6,
    reg_covar: float = 1e-6,
    kmeans_iter: int = 10,
    weights: list[np.ndarray] | None = None,
    max_distinct: int = 4096,
) -> list[Mixture]:
    """Fit one Dirichlet-process Gaussian mixture per column of finite values.

    Each column is standardized, reduced to its distinct values with counts, and fitted by
    variational EM. Modes whose weight falls under ``weight_threshold`` are dropped and the
    remaining weights renormalized. A column with a single distinct value gets one mode.

    With ``weights``, a column whose entry is not None is a sorted array of distinct values
    (e.g. histogram bin centres) and its weights are their (possibly fractional, noisy)
    counts; a column whose entry is None holds plain values, each counted once.

    A column with more than ``max_distinct`` distinct values is summarised by that many
    equal-count groups of consecutive values, each its mean with its count: a quantization
    far finer than any mode (and exact for columns with fewer distinct values).
    """
    results: list[Mixture | None] = [None] * len(columns)
    prepared = []
    refs = {}
    for i, values in enumerate(columns):
        values = np.asarray(values, dtype=np.float64)
        w_in = None
        if weights is not None and weights[i] is not None:
            w_in = np.asarray(weights[i], dtype=np.float64)
            if not (w_in > 0).any():
                w_in = np.ones_like(w_in)
            values, w_in = values[w_in > 0], w_in[w_in > 0]
        low, high = float(values.min()), float(values.max())
        # Divide by the largest magnitude first, so that neither the squares in std()
        # overflow (|x| > 1e154) nor underflow (|x| < 1e-154) and collapse the column.
        ref = max(abs(low), abs(high))
        scaled = values / ref if low != high else values
        center = float(np.average(scaled, weights=w_in))
        scale = float(np.sqrt(np.average((scaled - center) ** 2, weights=w_in)))
        if low == high or scale == 0.0 or not np.isfinite(scale):
            # A constant column: one mode, with a unit spread so that alpha stays 0.
            center = low if low == high else center * ref
            spread = max(abs(center) * 1e-6, 1e-6)
            results[i] = Mixture(np.ones(1), np.array([center]), np.array([spread]))
            continue
        if w_in is None:
            uniq, counts = np.unique((scaled - center) / scale, return_counts=True)
            uniq, counts = _compress(uniq, counts.astype(np.float64), max_distinct)
        else:
            uniq, counts = (scaled - center) / scale, w_in
        refs[i] = (ref, low, high)
        prepared.append((i, center, scale, uniq, counts.astype(np.float64)))

    for block, width in _blocks(prepared, n_components):
        fitted = _fit_block(
            block,
            width,
            n_components,
            weight_concentration_prior,
            max_iter,
            tol,
            reg_covar,
            kmeans_iter,
        )
        for (i, center, scale, _, _), (w, m, v) in zip(block, fitted, strict=True):
            keep = w > weight_threshold
            if not keep.any():
                keep = w == w.max()
            weights = w[keep] / w[keep].sum()
            # Back to the units of the data: x = (z * scale + center) * ref, kept finite.
            ref, low, high = refs[i]
            with np.errstate(over="ignore"):
                means = np.clip((m[keep] * scale + center) * ref, low, high)
                stds = np.minimum(np.sqrt(v[keep]) * scale * ref, _MAX_STD)
            results[i] = Mixture(weights, means, stds)
    return results  # type: ignore[return-value]


def _compress(values: np.ndarray, counts: np.ndarray, max_distinct: int):
    """Sorted distinct ``values`` with ``counts`` as at most ``max_distinct`` groups of about
    equal total count: each group's weighted mean and total count."""
    if len(values) <= max_distinct:
        return values, counts
    cum = np.cumsum(counts)
    edges = np.searchsorted(cum, np.linspace(0, cum[-1], max_distinct + 1)[1:-1], side="right")
    starts = np.unique(np.concatenate([[0], edges]))
    totals = np.add.reduceat(counts, starts)
    means = np.add.reduceat(values * counts, starts) / totals
    return means, totals


def _blocks(prepared: list, n_components: int, max_cells: int = 4_000_000):
    """Group columns of similar distinct-value counts, so that padding stays cheap."""
    prepared = sorted(prepared, key=lambda p: len(p[3]))
    block: list = []
    for item in prepared:
        width = len(item[3])
        if block and (
            width > 2 * len(block[0][3]) + 64 or (len(block) + 1) * width * n_components > max_cells
        ):
            yield block, len(block[-1][3])
            block = []
        block.append(item)
    if block:
        yield block, len(block[-1][3])


def _logsumexp(a: np.ndarray) -> np.ndarray:
    """log(sum(exp(a))) over the last axis, keeping it; -inf entries allowed."""
    top = a.max(axis=-1, keepdims=True)
    return top + np.log(np.exp(a - top).sum(axis=-1, keepdims=True))


def _fit_block(block, width, n_components, gamma0, max_iter, tol, reg_covar, kmeans_iter):
    n_cols = len(block)
    x = np.zeros((n_cols, width))
    w = np.zeros((n_cols, width))  # counts; 0 marks padding
    comp_mask = np.zeros((n_cols, n_components), dtype=bool)
    for j, (_, _, _, uniq, counts) in enumerate(block):
        x[j, : len(uniq)] = uniq
        w[j, : len(uniq)] = counts
        comp_mask[j, : min(n_components, len(uniq))] = True

    resp = _kmeans_responsibilities(x, w, comp_mask, kmeans_iter)  # (C, N, K)

    # Priors, as scikit-learn sets them for one feature.
    total = w.sum(axis=1, keepdims=True)  # (C, 1)
    mean0 = (w * x).sum(axis=1, keepdims=True) / total  # (C, 1)
    cov0 = (w * (x - mean0) ** 2).sum(axis=1, keepdims=True) / (total - 1.0)  # np.cov: ddof=1
    beta0, dof0 = 1.0, 1.0

    prev = None
    for _ in range(max_iter):
        nk, conc_a, conc_b, means, mean_prec, dof, covs = _m_step(
            resp, w, x, gamma0, beta0, mean0, cov0, dof0, reg_covar
        )

        # E step.
        log_gauss = (
            -0.5 * (np.log(2 * np.pi) + (x[:, :, None] - means[:, None, :]) ** 2 / covs[:, None, :])
            - 0.5 * np.log(covs)[:, None, :]
            - 0.5 * np.log(dof)[:, None, :]
        )
        log_lambda = np.log(2.0) + digamma(0.5 * dof)
        log_prob = log_gauss + 0.5 * (log_lambda - 1.0 / mean_prec)[:, None, :]
        dg_sum = digamma(conc_a + conc_b)
        dg_b = digamma(conc_b) - dg_sum
        log_weights = (
            digamma(conc_a)
            - dg_sum
            + np.concatenate([np.zeros((n_cols, 1)), np.cumsum(dg_b, axis=1)[:, :-1]], axis=1)
        )
        weighted = log_prob + log_weights[:, None, :]
        weighted = np.where(comp_mask[:, None, :], weighted, -np.inf)
        norm = _logsumexp(weighted)
        resp = np.exp(weighted - norm)
        score = (w * norm[:, :, 0]).sum(axis=1) / total[:, 0]
        if prev is not None and np.all(np.abs(score - prev) < tol):
            break
        prev = score

    # Final M step, as scikit-learn does after the last E step.
    nk, conc_a, conc_b, means, mean_prec, dof, covs = _m_step(
        resp, w, x, gamma0, beta0, mean0, cov0, dof0, reg_covar
    )
    weights = (
        conc_a
        / (conc_a + conc_b)
        * np.concatenate(
            [np.ones((n_cols, 1)), np.cumprod(conc_b / (conc_a + conc_b), axis=1)[:, :-1]], axis=1
        )
    )
    weights = np.where(comp_mask, weights, 0.0)
    weights = weights / weights.sum(axis=1, keepdims=True)
    return [(weights[j], means[j], covs[j]) for j in range(n_cols)]


def _m_step(resp, w, x, gamma0, beta0, mean0, cov0, dof0, reg_covar):
    """The variational M step (scikit-learn's ``_m_step`` for one feature and a
    Dirichlet-process weight prior), for every column of a block at once."""
    n_cols = x.shape[0]
    wr = resp * w[:, :, None]  # (C, N, K)
    nk = wr.sum(axis=1) + _EPS  # (C, K)
    xk = np.einsum("cnk,cn->ck", wr, x) / nk
    sk = np.einsum("cnk,cnk->ck", wr, (x[:, :, None] - xk[:, None, :]) ** 2) / nk + reg_covar
    tail = np.cumsum(nk[:, ::-1], axis=1)[:, -2::-1]
    conc_a = 1.0 + nk
    conc_b = gamma0 + np.concatenate([tail, np.zeros((n_cols, 1))], axis=1)
    mean_prec = beta0 + nk
    means = (beta0 * mean0 + nk * xk) / mean_prec
    dof = dof0 + nk
    covs = (cov0 + nk * sk + nk * beta0 / mean_prec * (xk - mean0) ** 2) / dof
    return nk, conc_a, conc_b, means, mean_prec, dof, covs


def _kmeans_responsibilities(x, w, comp_mask, n_iter):
    """Hard responsibilities from weighted 1-D k-means started at count quantiles."""
    n_cols, width = x.shape
    k = comp_mask.shape[1]
    cum = np.cumsum(w, axis=1) / w.sum(axis=1, keepdims=True)  # x is sorted within a column
    targets = (np.arange(k) + 0.5) / k
    n_valid = (w > 0).sum(axis=1)
    centers = np.empty((n_cols, k))
    for j in range(n_cols):
        idx = np.searchsorted(cum[j, : n_valid[j]], targets).clip(0, n_valid[j] - 1)
        centers[j] = x[j, idx]
    centers = np.where(comp_mask, centers, np.inf)
    for _ in range(n_iter):
        labels = np.abs(x[:, :, None] - centers[:, None, :]).argmin(axis=2)  # (C, N)
        onehot = np.eye(k)[labels] * w[:, :, None]
        mass = onehot.sum(axis=1)
        sums = np.einsum("cnk,cn->ck", onehot, x)
        centers = np.where(mass > 0, sums / np.maximum(mass, 1e-300), centers)
        centers = np.where(comp_mask, centers, np.inf)
    labels = np.abs(x[:, :, None] - centers[:, None, :]).argmin(axis=2)
    resp = np.eye(k)[labels]
    # A component left without points keeps a sliver of every point, as scikit-learn's
    # eps in nk does, so that it can still be updated.
    return resp
