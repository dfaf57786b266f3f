"""alpha-precision, beta-recall and authenticity (Alaa et al., "How Faithful is your Synthetic
Data?", ICML 2022), in the distance embedding of :mod:`tabgan.evaluate.encoding`.

- alpha-precision P(alpha): the share of synthetic rows inside the real alpha-support, the
  ball around the real mean that holds a share alpha of the real rows. A faithful table
  has P(alpha) = alpha for every alpha.
- beta-recall R(beta): the share of real rows that have, within the radius of their k-th
  nearest real neighbour, a synthetic row lying in the synthetic beta-support (the ball
  around the synthetic mean holding a share beta of the synthetic rows).
- Integrated scores, as in the paper: ``1 - 2 * integral |P(alpha) - alpha| d alpha`` and
  the same for R(beta); 1 is best.
- Authenticity: the share of synthetic rows farther from their nearest real row than that
  real row is from its own nearest real neighbour; a copied row is not authentic.

The paper learns a one-class embedding first; here the balls live in the fixed distance
embedding (real empirical-CDF scale for numbers, one-hot for categories). Every table is
subsampled to the same size, so the holdout reference is directly comparable.
"""

from __future__ import annotations

import numpy as np

from tabgan.evaluate.context import Context
from tabgan.evaluate.neighbors import nearest
from tabgan.evaluate.result import Fidelity, PrecisionRecall, Score

__all__ = ["support_curves", "run"]


def support_curves(
    real: np.ndarray,
    real_radius: np.ndarray,
    real_nn: np.ndarray,
    other: np.ndarray,
    alphas: np.ndarray,
    k: int,
) -> tuple[np.ndarray, np.ndarray, float]:
    """P(alpha), R(beta) on the grid ``alphas``, and authenticity, of ``other`` against
    ``real``. ``real_radius``: each real row's distance to its k-th nearest real neighbour;
    ``real_nn``: to its nearest one."""
    real = real.astype(np.float64)
    other64 = other.astype(np.float64)
    centre = real.mean(axis=0)
    radii = np.quantile(np.linalg.norm(real - centre, axis=1), alphas)
    to_centre = np.linalg.norm(other64 - centre, axis=1)
    precision = (to_centre[None, :] <= radii[:, None]).mean(axis=1)

    other_centre = other64.mean(axis=0)
    other_spread = np.linalg.norm(other64 - other_centre, axis=1)
    beta_radii = np.quantile(other_spread, alphas)
    dist, idx = nearest(real, other, k)  # (n_real, k) candidates in the synthetic table
    within = dist <= real_radius[:, None]
    # the most central synthetic candidate within reach of each real row (inf if none)
    reach = np.where(within, other_spread[idx], np.inf).min(axis=1)
    recall = (reach[None, :] <= beta_radii[:, None]).mean(axis=1)

    d_other, i_other = nearest(other, real, 1)
    authentic = d_other[:, 0] > real_nn[i_other[:, 0]]
    return precision, recall, float(authentic.mean())


def _integrated(curve: np.ndarray, alphas: np.ndarray) -> float:
    return float(1.0 - 2.0 * np.trapezoid(np.abs(curve - alphas), alphas))


def run(ctx: Context, fidelity: Fidelity) -> None:
    opts = ctx.options
    rng = ctx.rng("precision-recall")
    tables = ctx.others()
    m = min([ctx.real.n_rows, opts.support_rows] + [t.n_rows for _, t in tables])
    k = max(1, min(opts.support_neighbors, m - 1))
    if m < 3:
        ctx.notes.append("alpha-precision / beta-recall: fewer than 3 rows; skipped.")
        return
    real = ctx.real.take(np.sort(rng.choice(ctx.real.n_rows, m, replace=False)))
    real_emb, _ = ctx.encoder.embed(real)
    rr_dist, _ = nearest(real_emb, real_emb, k, exclude=np.arange(m))
    alphas = np.linspace(0.0, 1.0, opts.n_alphas)
    curves = {}
    for label, table in tables:
        sample = table.take(np.sort(rng.choice(table.n_rows, m, replace=False)))
        emb, _ = ctx.encoder.embed(sample)
        curves[label] = support_curves(real_emb, rr_dist[:, -1], rr_dist[:, 0], emb, alphas, k)
    p, r, a = curves["synthetic"]
    ref = curves.get("holdout")
    fidelity.precision_recall = PrecisionRecall(
        alpha_precision=Score(
            "alpha_precision", _integrated(p, alphas), _integrated(ref[0], alphas) if ref else None
        ),
        beta_recall=Score(
            "beta_recall", _integrated(r, alphas), _integrated(ref[1], alphas) if ref else None
        ),
        authenticity=Score("authenticity", a, ref[2] if ref else None),
        alphas=alphas.tolist(),
        precision_curve=p.tolist(),
        recall_curve=r.tolist(),
        reference_precision_curve=ref[0].tolist() if ref else None,
        reference_recall_curve=ref[1].tolist() if ref else None,
        rows=m,
    )
