"""Turning tables into arrays, with every scale and bin fitted on the real table alone.

:class:`TableEncoder` is fitted on the real (training) table and then reads any table into a
:class:`PreparedTable`: integer codes for categorical columns, float64 values for numeric
and datetime ones. From there it gives

- ``discretize``: bin codes (real-quantile bins for numbers, categories for the rest), for
  marginals and contingency tables;
- ``embed``: a float32 matrix for distances, in which every column weighs at most 1: numbers
  pass through the real empirical CDF, smoothed through 100 quantile knots (so the scale is
  [0, 1] and outliers do not dominate),
  categories are one-hot vectors scaled so that two different categories are at distance 1;
- ``model_matrix``: features for the gradient-boosted models (raw numbers, category codes).

Category codes: ``0 .. K-1`` are the real table's categories, most frequent first; ``K``
is null; ``K+1`` and above are values the real table never holds, one code per value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from tabgan.evaluate.columns import ColumnSpec, category_keys, numeric_values

__all__ = ["TableEncoder", "PreparedTable"]

_ONE_HOT = np.float32(np.sqrt(0.5))  # two different one-hot categories are at distance 1
_HGB_MAX_CODE = 254  # HistGradientBoosting takes category codes below 255
_CDF_KNOTS = 100  # quantile knots of the smooth empirical CDF used to scale numbers


@dataclass
class PreparedTable:
    """One table as arrays: codes for categorical columns, float64 (NaN = null) for others."""

    label: str
    n_rows: int
    arrays: dict[Any, np.ndarray] = field(default_factory=dict)

    def take(self, rows: np.ndarray, label: str | None = None) -> PreparedTable:
        return PreparedTable(
            label or self.label, len(rows), {k: v[rows] for k, v in self.arrays.items()}
        )

    def __getitem__(self, name: Any) -> np.ndarray:
        return self.arrays[name]


class TableEncoder:
    """Fitted on the real table; reads every other table with the real table's scales."""

    def __init__(
        self,
        columns: list[ColumnSpec],
        *,
        n_bins: int = 10,
        coverage_bins: int = 20,
        max_onehot: int = 100,
    ) -> None:
        self.columns = list(columns)
        self.n_bins = n_bins
        self.coverage_bins = coverage_bins
        self.max_onehot = max_onehot

    # ------------------------------------------------------------------ fit / prepare
    def fit(self, real: pd.DataFrame) -> TableEncoder:
        self.spec_ = {c.name: c for c in self.columns}
        self.vocab_: dict[Any, dict[str, int]] = {}
        self.n_levels_: dict[Any, int] = {}
        self.level_counts_: dict[Any, np.ndarray] = {}
        self.unseen_: dict[Any, list[str]] = {}
        self.ecdf_: dict[Any, tuple[np.ndarray, np.ndarray]] = {}
        self.edges_: dict[Any, np.ndarray] = {}
        self.coverage_edges_: dict[Any, np.ndarray] = {}
        self.has_null_: dict[Any, bool] = {}
        for spec in self.columns:
            series = real[spec.name]
            if spec.kind == "categorical":
                keys = category_keys(series)
                present = keys[pd.notna(keys)]
                levels, counts = np.unique(present.astype(str), return_counts=True)
                order = np.lexsort((levels, -counts))  # most frequent first, then by name
                levels, counts = levels[order], counts[order]
                self.vocab_[spec.name] = {str(k): i for i, k in enumerate(levels)}
                self.n_levels_[spec.name] = len(levels)
                self.level_counts_[spec.name] = counts
                self.unseen_[spec.name] = []
                self.has_null_[spec.name] = bool(len(present) < len(keys))
            else:
                values = numeric_values(series, spec, "real")
                finite = np.sort(values[~np.isnan(values)])
                self.ecdf_[spec.name] = _smooth_cdf(finite)
                self.edges_[spec.name] = _quantile_edges(finite, self.n_bins)
                self.coverage_edges_[spec.name] = _quantile_edges(finite, self.coverage_bins)
                self.has_null_[spec.name] = bool(np.isnan(values).any())
        return self

    def prepare(self, data: pd.DataFrame, label: str) -> PreparedTable:
        """Read ``data`` (the real, synthetic or holdout table) into arrays."""
        arrays: dict[Any, np.ndarray] = {}
        for spec in self.columns:
            series = data[spec.name]
            if spec.kind == "categorical":
                arrays[spec.name] = self._codes(spec.name, category_keys(series))
            else:
                arrays[spec.name] = numeric_values(series, spec, label)
        return PreparedTable(label, len(data), arrays)

    def _codes(self, name: Any, keys: np.ndarray) -> np.ndarray:
        vocab = self.vocab_[name]
        k = self.n_levels_[name]
        codes = np.full(len(keys), k, dtype=np.int64)
        present = pd.notna(keys)
        if present.any():
            uniques, inverse = np.unique(keys[present].astype(str), return_inverse=True)
            mapped = np.empty(len(uniques), dtype=np.int64)
            unseen = self.unseen_[name]
            for i, key in enumerate(uniques):
                code = vocab.get(key)
                if code is None:
                    code = k + 1 + len(unseen)
                    vocab[key] = code
                    unseen.append(key)
                mapped[i] = code
            codes[present] = mapped[inverse]
        return codes

    # ------------------------------------------------------------------ views
    def levels(self, name: Any) -> list[str]:
        """The real table's categories of a column, most frequent first."""
        vocab = self.vocab_[name]
        k = self.n_levels_[name]
        return [key for key, code in sorted(vocab.items(), key=lambda kv: kv[1]) if code < k]

    def key_of(self, name: Any, code: int) -> str | None:
        """The category a code stands for (``None`` for null)."""
        if code == self.n_levels_[name]:
            return None
        for key, c in self.vocab_[name].items():
            if c == code:
                return key
        raise KeyError(code)

    def discretize(
        self, table: PreparedTable, name: Any, *, fine: bool = False
    ) -> tuple[np.ndarray, int]:
        """Bin codes in ``[0, n_levels)`` and ``n_levels``; null is a bin of its own.

        Categorical: the real categories, null, then one bin for every unseen value. Numeric:
        real-quantile bins (``coverage_bins`` of them when ``fine``), open at both ends so
        values outside the real range fall into the end bins, then null.
        """
        values = table[name]
        if self.spec_[name].kind == "categorical":
            k = self.n_levels_[name]
            return np.minimum(values, k + 1), k + 2
        edges = (self.coverage_edges_ if fine else self.edges_)[name]
        codes = np.searchsorted(edges, values, side="right")
        codes[np.isnan(values)] = len(edges) + 1
        return codes, len(edges) + 2

    def ecdf(self, name: Any, values: np.ndarray) -> np.ndarray:
        """Values mapped through the real table's smoothed empirical CDF, into [0, 1]."""
        xs, us = self.ecdf_[name]
        if len(xs) == 0:
            return np.full(len(values), 0.5)
        if len(xs) == 1:
            return np.where(np.isnan(values), np.nan, 0.5)
        return np.interp(values, xs, us, left=0.0, right=1.0)

    def embed(
        self, table: PreparedTable, columns: list[Any] | None = None
    ) -> tuple[np.ndarray, dict[Any, slice]]:
        """The distance embedding, float32 ``(n, D)``, and each column's slice of it."""
        names = [c.name for c in self.columns] if columns is None else list(columns)
        blocks: list[np.ndarray] = []
        slices: dict[Any, slice] = {}
        start = 0
        for name in names:
            block = self._embed_column(table, name)
            slices[name] = slice(start, start + block.shape[1])
            start += block.shape[1]
            blocks.append(block)
        matrix = np.concatenate(blocks, axis=1) if blocks else np.zeros((table.n_rows, 0))
        return np.ascontiguousarray(matrix, dtype=np.float32), slices

    def _embed_column(self, table: PreparedTable, name: Any) -> np.ndarray:
        values = table[name]
        n = table.n_rows
        if self.spec_[name].kind == "categorical":
            k = self.n_levels_[name]
            top = min(k, self.max_onehot)
            # slots: the top real categories, one "other" slot (rarer and unseen values), null
            slot = np.where(values < top, values, top)
            null_slot = top + 1 if self.has_null_[name] else top
            slot = np.where(values == k, null_slot, slot)
            out = np.zeros((n, null_slot + 1), dtype=np.float32)
            out[np.arange(n), slot] = _ONE_HOT
            return out
        null = np.isnan(values)
        u = np.where(null, 0.5, self.ecdf(name, np.where(null, 0.0, values)))
        if not self.has_null_[name]:
            return u[:, None].astype(np.float32)
        return np.stack([u, null.astype(np.float64)], axis=1).astype(np.float32)

    def model_matrix(
        self, table: PreparedTable, columns: list[Any]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Features for gradient boosting: raw numbers, category codes (NaN = null).

        Returns the float64 matrix and the boolean mask of its categorical columns.
        """
        out = np.empty((table.n_rows, len(columns)), dtype=np.float64)
        mask = np.zeros(len(columns), dtype=bool)
        for j, name in enumerate(columns):
            values = table[name]
            if self.spec_[name].kind == "categorical":
                k = self.n_levels_[name]
                other = min(k, _HGB_MAX_CODE)
                codes = np.where(values < other, values, other).astype(np.float64)
                codes[values == k] = np.nan
                out[:, j] = codes
                mask[j] = True
            else:
                out[:, j] = values
        return out, mask

    def row_hashes(self, table: PreparedTable) -> np.ndarray:
        """One uint64 per row, equal for rows that are equal in every scored column."""
        h = np.zeros(table.n_rows, dtype=np.uint64)
        for spec in self.columns:
            values = table[spec.name]
            if spec.kind != "categorical":
                values = np.where(np.isnan(values), np.nan, values)  # one NaN bit pattern
            column_hash = pd.util.hash_array(values)
            h = h * np.uint64(1_000_003) ^ column_hash
        return h


def _smooth_cdf(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Knots of a piecewise-linear CDF through ``_CDF_KNOTS`` real quantiles.

    Knots at quantiles (not at every real value) keep the map smooth at the scale of single
    rows: were every training row a knot, training rows would sit at special points of the
    embedding and look closer to other data than fresh rows do. Tied quantiles (a value
    held by many rows) merge into one knot at the middle of their levels.
    """
    if len(values) == 0:
        return np.array([]), np.array([])
    levels = np.linspace(0.0, 1.0, _CDF_KNOTS + 1)
    knots = np.quantile(values, levels)
    unique, inverse = np.unique(knots, return_inverse=True)
    mid_levels = np.bincount(inverse, weights=levels) / np.bincount(inverse)
    return unique, mid_levels


def _quantile_edges(values: np.ndarray, n_bins: int) -> np.ndarray:
    """Interior real-quantile edges, without repeats (so tied values share a bin)."""
    if len(values) == 0:
        return np.array([], dtype=np.float64)
    qs = np.linspace(0.0, 1.0, n_bins + 1)[1:-1]
    edges = np.unique(np.quantile(values, qs, method="lower"))
    return edges[edges > values[0]]  # a bin below the smallest real value holds no real mass
