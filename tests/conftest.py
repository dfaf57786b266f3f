"""Small shared fixtures. Hypothesis strategies live in tests/strategies.py."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

torch.set_num_threads(1)


@pytest.fixture
def mixed_frame() -> pd.DataFrame:
    """120 rows with one column of every kind, nulls in several of them."""
    rng = np.random.default_rng(0)
    n = 120
    group = rng.choice(["red", "green", "blue"], size=n, p=[0.6, 0.3, 0.1])
    frame = pd.DataFrame(
        {
            "amount": np.where(group == "red", rng.normal(10, 1, n), rng.normal(50, 5, n)),
            "count": rng.integers(0, 1000, n),
            "group": group,
            "flag": rng.random(n) < 0.3,
            "size": pd.Categorical(rng.choice(["S", "M", "L"], n), categories=["S", "M", "L"]),
            "when": pd.to_datetime("2020-01-01")
            + pd.to_timedelta(rng.integers(0, 365, n), unit="D"),
            "score": rng.normal(0, 1, n),
        }
    )
    frame.loc[rng.random(n) < 0.1, "score"] = np.nan
    frame.loc[rng.random(n) < 0.1, "group"] = None
    return frame


@pytest.fixture
def tiny_model_params() -> dict:
    """Settings that train in well under a second on small frames."""
    return {
        "epochs": 2,
        "batch_size": 40,
        "embedding_dim": 16,
        "generator_dims": (32, 32),
        "critic_dims": (32, 32),
        "verbose": False,
        "random_state": 0,
    }
