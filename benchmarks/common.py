"""Shared pieces of the benchmark scripts: the Adult split and the two fidelity measures
(SDMetrics' quality score and train-on-synthetic / test-on-real AUC) that every
benchmark reports the same way."""

from __future__ import annotations

import statistics
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score

from tabgan.datasets import ADULT_TARGET, load_adult

POSITIVE = ">50K"


def adult_split(seed: int = 0, test_share: float = 0.2) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The Adult table split 80/20 at random with a fixed seed."""
    data = load_adult()
    order = np.random.default_rng(seed).permutation(len(data))
    n_test = int(round(test_share * len(data)))
    test = data.iloc[order[:n_test]].reset_index(drop=True)
    train = data.iloc[order[n_test:]].reset_index(drop=True)
    return train, test


def discrete_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if is_text(frame[c])]


def quality_score(real: pd.DataFrame, synthetic: pd.DataFrame) -> dict[str, float]:
    """SDMetrics' QualityReport: overall, Column Shapes and Column Pair Trends."""
    from sdmetrics.reports.single_table import QualityReport

    metadata = {
        "columns": {
            c: {"sdtype": "categorical" if is_text(real[c]) else "numerical"}
            for c in real.columns
        }
    }
    report = QualityReport()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report.generate(real, synthetic[real.columns], metadata, verbose=False)
    props = report.get_properties().set_index("Property")["Score"]
    return {
        "quality": float(report.get_score()),
        "shapes": float(props["Column Shapes"]),
        "pairs": float(props["Column Pair Trends"]),
    }


def _encode(train: pd.DataFrame, other: pd.DataFrame, target: str):
    features = [c for c in train.columns if c != target]
    cats = [c for c in features if is_text(train[c])]
    x_train = train[features].copy()
    x_other = other[features].copy()
    for c in cats:
        levels = pd.Index(sorted(set(train[c].dropna()) | set(other[c].dropna())))
        x_train[c] = pd.Categorical(x_train[c], categories=levels).codes
        x_other[c] = pd.Categorical(x_other[c], categories=levels).codes
    mask = [c in cats for c in features]
    return x_train.to_numpy(float), x_other.to_numpy(float), mask


def tstr_auc(train: pd.DataFrame, test: pd.DataFrame, target: str = ADULT_TARGET,
             positive: str = POSITIVE, seed: int = 0) -> float:
    """ROC AUC on ``test`` of a gradient-boosted classifier trained on ``train``."""
    x_train, x_test, mask = _encode(train, test, target)
    y_train = (train[target] == positive).to_numpy()
    y_test = (test[target] == positive).to_numpy()
    if y_train.all() or not y_train.any():
        return 0.5
    model = HistGradientBoostingClassifier(categorical_features=mask, random_state=seed)
    model.fit(x_train, y_train)
    return float(roc_auc_score(y_test, model.predict_proba(x_test)[:, 1]))


def median_time(func, repeats: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def is_text(series: pd.Series) -> bool:
    """A text column: object under pandas 2, str (a StringDtype) under pandas 3."""
    return series.dtype == object or isinstance(series.dtype, pd.StringDtype)
