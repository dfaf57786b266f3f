"""The scikit-learn models the evaluation fits, and how they are run.

Gradient boosting runs on one OpenMP thread: on a small machine shared with other work,
OpenMP's spinning threads make a two-thread fit several times slower than a one-thread fit,
while on an idle machine one thread costs little.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression, Ridge
from threadpoolctl import threadpool_limits

__all__ = ["one_thread", "make_model"]

_BOOSTING = {"max_iter": 100, "early_stopping": False}  # fixed rounds: the same work every run


@contextmanager
def one_thread() -> Iterator[None]:
    """Limit OpenMP and BLAS to one thread inside the block."""
    with threadpool_limits(limits=1):
        yield


def make_model(name: str, task: str, categorical: np.ndarray | None, seed: int) -> Any:
    """``name``: "linear" or "gradient_boosting"; ``task``: "classification" or "regression".

    ``categorical`` marks the columns holding category codes (gradient boosting only).
    """
    mask = categorical if categorical is not None and categorical.any() else None
    if name == "linear":
        return LogisticRegression(max_iter=500) if task == "classification" else Ridge(alpha=1.0)
    if task == "classification":
        return HistGradientBoostingClassifier(
            categorical_features=mask, random_state=seed, **_BOOSTING
        )
    return HistGradientBoostingRegressor(categorical_features=mask, random_state=seed, **_BOOSTING)
