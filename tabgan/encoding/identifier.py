"""Identifier columns: fresh unique values in place of the real ones; nothing is learned."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from tabgan.table.columns import ColumnMetadata

__all__ = ["IdentifierCodec"]


class IdentifierCodec:
    """Takes no place in the encoded row; ``generate`` makes ``n`` fresh unique values."""

    spans: list[tuple[int, str]] = []

    def __init__(self, meta: ColumnMetadata):
        self.meta = meta

    def generate(self, n: int, rng: np.random.Generator) -> pd.Series:
        dtype = self.meta.dtype or "object"
        if pd.api.types.is_numeric_dtype(pd.api.types.pandas_dtype(dtype)):
            return pd.Series(rng.permutation(n)).astype(dtype)
        tokens = rng.integers(0, 2**63, size=n, dtype=np.int64)
        values = pd.Series([f"{t:016x}" for t in tokens], dtype=object)
        while values.duplicated().any():  # astronomically rare
            dup = values.duplicated().to_numpy()
            fresh = rng.integers(0, 2**63, size=int(dup.sum()), dtype=np.int64)
            values[dup] = [f"{t:016x}" for t in fresh]
        return values.astype(dtype)

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: Mapping) -> None:
        pass
