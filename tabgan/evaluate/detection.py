"""Detection: can a classifier tell synthetic rows from real ones?

A gradient-boosted classifier (scikit-learn's ``HistGradientBoostingClassifier``, with native
categorical splits) is trained to separate an equal number of real and synthetic rows, and
its ROC AUC is cross-validated. 0.5 means it cannot tell them apart; 1.0 means every
synthetic row gives itself away. Rows that are identical across the two tables share a fold,
so that the classifier cannot score a row by having memorised its copy in the other class
(which would push the AUC of a copied table far below 0.5). The reference does the same
with holdout rows in place of synthetic ones, so it shows what chance looks like at that
sample size.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score

from tabgan.evaluate.context import Context
from tabgan.evaluate.encoding import PreparedTable
from tabgan.evaluate.models import make_model, one_thread
from tabgan.evaluate.result import Detection, Fidelity, Score

__all__ = ["run", "cross_validated_auc"]


def cross_validated_auc(
    real: np.ndarray,
    other: np.ndarray,
    categorical: np.ndarray,
    *,
    groups: np.ndarray,
    folds: int,
    rng: np.random.Generator,
) -> list[float]:
    """Fold AUCs of a classifier told to separate ``other`` rows (1) from ``real`` rows (0).

    ``groups`` (one per row of ``real`` then ``other``) keeps equal rows in the same fold.
    """
    x = np.concatenate([real, other])
    y = np.r_[np.zeros(len(real)), np.ones(len(other))]
    _, group = np.unique(groups, return_inverse=True)
    fold = (rng.permutation(group.max() + 1) % folds)[group]
    aucs = []
    for f in range(folds):
        train, test = fold != f, fold == f
        if len(np.unique(y[train])) < 2 or len(np.unique(y[test])) < 2:
            continue
        seed = int(rng.integers(2**31 - 1))
        model = make_model("gradient_boosting", "classification", categorical, seed)
        with one_thread():
            model.fit(x[train], y[train])
            p_other = model.predict_proba(x[test])[:, 1]
        aucs.append(float(roc_auc_score(y[test], p_other)))
    return aucs


def _auc(ctx: Context, other: PreparedTable, purpose: str) -> tuple[list[float], int]:
    """Cross-validated fold AUCs on equally many real and ``other`` rows."""
    rng = ctx.rng(purpose)
    n = min(ctx.real.n_rows, other.n_rows, ctx.options.detection_rows)
    real = ctx.real.take(np.sort(rng.choice(ctx.real.n_rows, n, replace=False)))
    oth = other.take(np.sort(rng.choice(other.n_rows, n, replace=False)))
    x_real, mask = ctx.encoder.model_matrix(real, ctx.names)
    x_other, _ = ctx.encoder.model_matrix(oth, ctx.names)
    groups = np.r_[ctx.encoder.row_hashes(real), ctx.encoder.row_hashes(oth)]
    folds = min(ctx.options.detection_folds, n)
    if folds < 2:
        return [], n
    aucs = cross_validated_auc(x_real, x_other, mask, groups=groups, folds=folds, rng=rng)
    return aucs, n


def run(ctx: Context, fidelity: Fidelity) -> None:
    aucs, n = _auc(ctx, ctx.synthetic, "detection")
    ref_aucs, n_ref = None, None
    if ctx.holdout is not None:
        ref_aucs, n_ref = _auc(ctx, ctx.holdout, "detection-reference")
    if not aucs:
        ctx.notes.append("detection: too few rows for cross-validation; skipped.")
        return
    fidelity.detection = Detection(
        auc=Score(
            "detection_auc",
            float(np.mean(aucs)),
            float(np.mean(ref_aucs)) if ref_aucs else None,
        ),
        fold_aucs=aucs,
        reference_fold_aucs=ref_aucs,
        rows_per_class=n,
        reference_rows_per_class=n_ref,
        folds=len(aucs),
    )
