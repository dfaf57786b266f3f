"""A table with a Zipf-distributed categorical column of about 2,000 values."""

from __future__ import annotations

import numpy as np
import pandas as pd


def zipf_frame(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    city = rng.zipf(1.6, n) % 2000
    return pd.DataFrame({
        "city": [f"c{c}" for c in city],
        "x": rng.normal(size=n),
        "g": rng.choice(["a", "b", None], n),
    })
