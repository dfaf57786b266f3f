"""Small audit reports for the report tests: a slice of Adult, split before training, and a
model trained for one epoch (fast, not good). Import with ``from tests.report_cases import
...``."""

from __future__ import annotations

import pandas as pd

from tabgan import TabGAN
from tabgan.datasets import load_adult

SECRET = "Zqx-unique-7731"  # a category held by one training row only
SECRET_NUMBER = 123457  # an fnlwgt held by that row, inside the column's range
FAST = dict(epochs=1, batch_size=200, generator_dims=(64, 64), critic_dims=(64, 64),
            verbose=False, random_state=0)


def adult_split(n: int = 800) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``n`` Adult rows, 80% train (one of them holding the secret values) and 20% holdout."""
    data = load_adult().sample(n, random_state=0).reset_index(drop=True)
    cut = int(0.8 * n)
    train, holdout = data.iloc[:cut].copy(), data.iloc[cut:].reset_index(drop=True)
    train.loc[7, "workclass"] = SECRET
    train.loc[7, "fnlwgt"] = SECRET_NUMBER
    return train, holdout


def public_categories(frame: pd.DataFrame) -> dict:
    """Metadata declaring every text column's categories public, so a DP fit on a small
    table need not discover them."""
    return {
        "columns": {
            c: {"kind": "categorical",
                "categories": sorted(frame[c].dropna().unique().tolist())}
            for c in frame.columns if _is_text(frame[c])
        }
    }


def fitted(train: pd.DataFrame, **params) -> TabGAN:
    settings = {**FAST, **params}
    metadata = public_categories(train) if settings.get("epsilon") else None
    return TabGAN(**settings).fit(train, metadata=metadata)


def _is_text(series: pd.Series) -> bool:
    """A text column: object under pandas 2, str (a StringDtype) under pandas 3."""
    return series.dtype == object or isinstance(series.dtype, pd.StringDtype)
