"""An independent scorer for synthetic tables: SDMetrics' QualityReport and scikit-learn
models, none of tabgan's own evaluation.

- ``quality``: SDMetrics QualityReport (Column Shapes, Column Pair Trends) of the synthetic
  table against the real training split, and each column's shape score. Object, bool and
  category columns are categorical, every other column numerical.
- ``tstr``: ROC AUC on the real test split of a HistGradientBoostingClassifier trained on a
  table (synthetic for TSTR, the real training split for TRTR).
- ``detection``: ROC AUC of a HistGradientBoostingClassifier telling synthetic rows from real
  training rows (equal numbers of each, 3-fold cross-validation): 0.5 when it cannot.
- ``spikes``: for every numeric column, the share of its most frequent real value in the real
  and in the synthetic table (a 90% zero share, say), and the largest gap.
- ``copies``: the share of synthetic rows that are exact copies of a training row, beside the
  same share for the real test rows (what a fresh sample of the population gives).
- ``dcr_share``: the share of synthetic rows closer to the training split than to an
  equal-size real holdout (0.5: no sign of memorised rows).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.neighbors import NearestNeighbors


def is_categorical(series: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)


def quality(real: pd.DataFrame, synthetic: pd.DataFrame) -> dict:
    from sdmetrics.reports.single_table import QualityReport

    metadata = {"columns": {c: {"sdtype": "categorical" if is_categorical(real[c])
                                else "numerical"} for c in real.columns}}
    report = QualityReport()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report.generate(real, synthetic[real.columns], metadata, verbose=False)
    props = report.get_properties().set_index("Property")["Score"]
    details = report.get_details("Column Shapes").set_index("Column")["Score"]
    return {
        "quality": float(report.get_score()),
        "shapes": float(props["Column Shapes"]),
        "trends": float(props["Column Pair Trends"]),
        "columns": {c: float(v) for c, v in details.items()},
    }


def _codes(frames: list[pd.DataFrame], columns: list) -> tuple[list[np.ndarray], list[bool]]:
    """Every frame's ``columns`` as floats: categories as codes shared by all frames."""
    out = [f[columns].copy() for f in frames]
    mask = []
    for c in columns:
        cat = is_categorical(frames[0][c])
        mask.append(cat)
        if cat:
            levels = pd.Index(sorted({str(v) for f in frames for v in f[c].dropna()}))
            for f in out:
                f[c] = pd.Categorical(f[c].astype(object).where(f[c].notna(), None)
                                      .map(lambda v: None if v is None else str(v)),
                                      categories=levels).codes.astype(float)
                f.loc[f[c] < 0, c] = np.nan
    return [f.to_numpy(dtype=float, na_value=np.nan) for f in out], mask


def tstr(train: pd.DataFrame, test: pd.DataFrame, target: str, positive, seed: int = 0) -> float:
    train = train[train[target].notna()]
    test = test[test[target].notna()]
    features = [c for c in test.columns if c != target]
    (x_train, x_test), mask = _codes([train, test], features)
    y_train = (train[target].astype(str) == str(positive)).to_numpy()
    y_test = (test[target].astype(str) == str(positive)).to_numpy()
    if y_train.all() or not y_train.any():
        return 0.5
    model = HistGradientBoostingClassifier(categorical_features=mask, random_state=seed)
    model.fit(x_train, y_train)
    return float(roc_auc_score(y_test, model.predict_proba(x_test)[:, 1]))


def detection(real: pd.DataFrame, synthetic: pd.DataFrame, seed: int = 0,
              max_rows: int = 10_000) -> float:
    n = min(len(real), len(synthetic), max_rows)
    rng = np.random.default_rng(seed)
    a = real.iloc[rng.choice(len(real), n, replace=False)]
    b = synthetic[real.columns].iloc[rng.choice(len(synthetic), n, replace=False)]
    (xa, xb), mask = _codes([a, b], list(real.columns))
    x = np.vstack([xa, xb])
    y = np.r_[np.zeros(n), np.ones(n)]
    scores = np.zeros(len(y))
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=seed)
    for fit_rows, test_rows in folds.split(x, y):
        model = HistGradientBoostingClassifier(categorical_features=mask, random_state=seed)
        model.fit(x[fit_rows], y[fit_rows])
        scores[test_rows] = model.predict_proba(x[test_rows])[:, 1]
    return float(roc_auc_score(y, scores))


def spikes(real: pd.DataFrame, synthetic: pd.DataFrame) -> dict:
    """Per numeric column: (the most frequent real value, its real share, its synthetic
    share); and the column with the largest gap."""
    out = {}
    for c in real.columns:
        if is_categorical(real[c]):
            continue
        counts = real[c].value_counts(normalize=True, dropna=True)
        if counts.empty:
            continue
        value = counts.index[0]
        share_real = float((real[c] == value).mean())
        share_syn = float((pd.to_numeric(synthetic[c], errors="coerce") == value).mean())
        out[c] = (value, share_real, share_syn)
    worst = max(out, key=lambda c: abs(out[c][1] - out[c][2]), default=None)
    return {"columns": out, "worst": worst}


def _row_keys(frame: pd.DataFrame) -> pd.Series:
    parts = []
    for c in frame.columns:
        s = frame[c]
        if pd.api.types.is_float_dtype(s):
            s = s.round(6)
        parts.append(s.astype(str).where(s.notna(), "<NA>"))
    return pd.concat(parts, axis=1).agg("\x1f".join, axis=1)


def copies(train: pd.DataFrame, test: pd.DataFrame, synthetic: pd.DataFrame) -> tuple[float, float]:
    """(share of synthetic rows equal to a training row, same share for the test rows)."""
    known = set(_row_keys(train))
    syn = _row_keys(synthetic[train.columns]).isin(known).mean()
    hold = _row_keys(test[train.columns]).isin(known).mean()
    return float(syn), float(hold)


def _embed(reference: pd.DataFrame, frames: list[pd.DataFrame]) -> list[np.ndarray]:
    """Numbers as their rank in ``reference`` (0..1, a null flag beside), categories
    one-hot scaled so that two different categories are at distance 1."""
    blocks: list[list[np.ndarray]] = [[] for _ in frames]
    for c in reference.columns:
        if is_categorical(reference[c]):
            levels = pd.Index(sorted({str(v) for v in reference[c].dropna()}) + ["<NA>"])
            for i, f in enumerate(frames):
                keys = f[c].astype(object).where(f[c].notna(), "<NA>").map(str)
                codes = levels.get_indexer(keys)
                onehot = np.zeros((len(f), len(levels) + 1))
                onehot[np.arange(len(f)), np.where(codes < 0, len(levels), codes)] = 1.0
                blocks[i].append(onehot / np.sqrt(2))
        else:
            ref = np.sort(pd.to_numeric(reference[c], errors="coerce").dropna().to_numpy())
            for i, f in enumerate(frames):
                v = pd.to_numeric(f[c], errors="coerce").to_numpy(dtype=float)
                null = np.isnan(v)
                rank = np.searchsorted(ref, np.where(null, 0, v)) / max(len(ref), 1)
                blocks[i].append(np.c_[np.where(null, 0.0, rank), null.astype(float)])
    return [np.hstack(b) for b in blocks]


def dcr_share(train: pd.DataFrame, test: pd.DataFrame, synthetic: pd.DataFrame,
              seed: int = 0, n_synthetic: int = 3000) -> float:
    rng = np.random.default_rng(seed)
    n = len(test)
    train_part = train.iloc[rng.choice(len(train), min(n, len(train)), replace=False)]
    syn = synthetic[train.columns].iloc[
        rng.choice(len(synthetic), min(n_synthetic, len(synthetic)), replace=False)]
    e_train, e_test, e_syn = _embed(train, [train_part, test, syn])
    d_train = NearestNeighbors(n_neighbors=1).fit(e_train).kneighbors(e_syn)[0][:, 0]
    d_test = NearestNeighbors(n_neighbors=1).fit(e_test).kneighbors(e_syn)[0][:, 0]
    return float(np.mean((d_train < d_test) + 0.5 * (d_train == d_test)))


def score(train, test, synthetic, target, positive, seed: int = 0) -> dict:
    q = quality(train, synthetic)
    worst_column = min(q["columns"], key=q["columns"].get)
    spike = spikes(train, synthetic)
    syn_copies, test_copies = copies(train, test, synthetic)
    return {
        **q,
        "tstr": tstr(synthetic, test, target, positive, seed),
        "detection": detection(train, synthetic, seed),
        "worst_column": (worst_column, q["columns"][worst_column]),
        "spikes": spike,
        "copies": syn_copies,
        "copies_holdout": test_copies,
        "dcr_share": dcr_share(train, test, synthetic, seed),
    }
