"""A seeded random split of a table into the rows a model trains on and a holdout."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tabgan.errors import ParameterError

__all__ = ["holdout_split"]


def holdout_split(data: pd.DataFrame, fraction: float, *, random_state: int | None = None
                  ) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """``(train, holdout, seed)``: ``fraction`` of ``data``'s rows, drawn at random, held
    out; both keep the input's row order. ``seed`` is the one the split used
    (``random_state``, or a fresh one when it is None), so that it can be recorded."""
    if not 0 < fraction < 1:
        raise ParameterError(f"the holdout fraction must lie strictly between 0 and 1, got "
                             f"{fraction!r}.")
    n_holdout = int(round(fraction * len(data)))
    if not 1 <= n_holdout < len(data):
        raise ParameterError(
            f"a holdout fraction of {fraction:g} of {len(data)} rows leaves no holdout or no "
            "training rows; give a table with more rows or another fraction."
        )
    seed = (int(random_state) if random_state is not None
            else int(np.random.default_rng().integers(2**31)))
    order = np.random.default_rng(seed).permutation(len(data))
    holdout = data.iloc[np.sort(order[:n_holdout])].reset_index(drop=True)
    train = data.iloc[np.sort(order[n_holdout:])].reset_index(drop=True)
    return train, holdout, seed
