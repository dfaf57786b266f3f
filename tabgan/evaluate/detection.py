"""Detection: can a classifier tell synthetic rows from real ones?

A gradient-boosted classifier (scikit-learn's ``HistGradientBoostingClassifier``, with native
categorical splits) is trained to separate an equal number of real and synthetic rows, and
its ROC AUC is cross-validated (stratified folds). 0.5 means it cannot tell them apart; 1.0
means every synthetic row gives itself away. The reference does the same with holdout rows
in place of synthetic ones, so it shows what chance looks like at that sample size.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

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
    folds: int,
    rng: np.random.Generator,
) -> list[float]:
    """Fold AUCs of a classifier told to separate ``other`` rows (1) from ``real`` rows (0)."""
    x = np.concatenate([real, other])
    y = np.r_[np.zeros(len(real)), np.ones(len(other))]
    folds = min(folds, len(real), len(other))
    if folds < 2:
        return []
    splitter = StratifiedKFold(
        n_splits=folds, shuffle=True, random_state=int(rng.integers(2**31 - 1))
    )
    aucs = []
    for train, test in splitter.split(x, y):
        seed = int(rng.integers(2**31 - 1))
        model = make_model("gradient_boosting", "classification", categorical, seed)
        with one_thread():
            model.fit(x[train], y[train])
            p_other = model.predict_proba(x[test])[:, 1]
        aucs.append(float(roc_auc_score(y[test], p_other)))
    return aucs


def _balanced(
    ctx: Context, other: PreparedTable, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    n = min(ctx.real.n_rows, other.n_rows, ctx.options.detection_rows)
    real = ctx.real.take(np.sort(rng.choice(ctx.real.n_rows, n, replace=False)))
    oth = other.take(np.sort(rng.choice(other.n_rows, n, replace=False)))
    x_real, mask = ctx.encoder.model_matrix(real, ctx.names)
    x_other, _ = ctx.encoder.model_matrix(oth, ctx.names)
    return x_real, x_other, mask, n


def run(ctx: Context, fidelity: Fidelity) -> None:
    folds = ctx.options.detection_folds
    rng = ctx.rng("detection")
    x_real, x_syn, mask, n = _balanced(ctx, ctx.synthetic, rng)
    aucs = cross_validated_auc(x_real, x_syn, mask, folds=folds, rng=rng)
    ref_aucs, n_ref = None, None
    if ctx.holdout is not None:
        rng_ref = ctx.rng("detection-reference")
        x_real, x_hold, mask, n_ref = _balanced(ctx, ctx.holdout, rng_ref)
        ref_aucs = cross_validated_auc(x_real, x_hold, mask, folds=folds, rng=rng_ref)
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
