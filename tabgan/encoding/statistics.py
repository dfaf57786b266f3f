"""``ColumnStatistics``: what the encoder learns about a column, wherever it came from.

The encoder is fitted from statistics, never from the table itself. Without DP they are
read from the data as it is (:func:`tabgan.encoding.exact_statistics.exact_statistics`);
under DP they are released by Gaussian mechanisms
(:func:`tabgan.privacy.preprocessing.private_statistics`) or taken from public metadata.
Both paths build the same records, so there is one way to fit an encoder.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from tabgan.table import datetimes
from tabgan.table.columns import ColumnMetadata, to_json_scalar

__all__ = ["ColumnStatistics", "numeric_values"]


@dataclass
class ColumnStatistics:
    """The facts about one column that the encoder is fitted to.

    Numeric columns: ``support`` and ``counts`` are the values the mixture is fitted to
    and their weights (a subsample of the values with ``counts=None``, or histogram bin
    centres with noisy counts, where ``spikes`` lists the support values that are exact
    values, not centres, such as a released count of zeros); ``support=None`` means no
    values are known (public bounds only). Categorical columns: ``categories`` in slot
    order (None marks the null category) and their ``counts`` (None when not counted).
    """

    name: Any
    kind: str
    categories: list | None = None
    counts: list[float] | np.ndarray | None = None
    support: np.ndarray | None = None
    bounds: tuple[float, float] | None = None  # numeric: the range values are clipped to
    nullable: bool = False
    null_count: float = 0.0  # numeric: rows with a null (noisy under DP)
    step_ns: int = 1  # datetime: every value is a multiple of this step
    exact: bool = True  # False: released under DP, so values outside it are coerced
    decimals: int | None = None  # continuous: the values' digits after the point, if few
    spikes: np.ndarray | None = None  # released: the support values that are exact values

    def to_dict(self) -> dict:
        """Plain JSON-able values (arrays as lists of floats)."""
        return {
            "name": self.name,
            "kind": self.kind,
            "categories": _listed(self.categories, to_json_scalar),
            "counts": _listed(self.counts, float),
            "support": _listed(self.support, float),
            "bounds": _listed(self.bounds, float),
            "nullable": bool(self.nullable),
            "null_count": float(self.null_count),
            "step_ns": int(self.step_ns),
            "exact": bool(self.exact),
            "spikes": _listed(self.spikes, float),
        }

    @classmethod
    def from_dict(cls, data: dict) -> ColumnStatistics:
        data = dict(data)
        data.setdefault("spikes", None)  # written before released spikes existed
        for key in ("counts", "support", "spikes"):
            if data[key] is not None:
                data[key] = np.asarray(data[key], dtype=np.float64)
        if data["bounds"] is not None:
            data["bounds"] = tuple(data["bounds"])
        return cls(**data)


def _listed(values, convert) -> list | None:
    return None if values is None else [convert(v) for v in values]


def numeric_values(series: pd.Series, meta: ColumnMetadata, *,
                   errors: str = "raise") -> np.ndarray:
    """A numeric or datetime column as float64 (datetimes in epoch seconds), NaN for
    nulls. With ``errors="coerce"`` (under DP, where no single value may make a fit
    refuse) datetimes that do not parse and infinite values are read as nulls too."""
    if meta.kind == "datetime":
        return datetimes.to_seconds(series, meta.datetime_format, errors=errors)
    values = series.to_numpy(dtype="float64", na_value=np.nan)
    if errors == "coerce":
        values = np.where(np.isinf(values), np.nan, values)
    return values
