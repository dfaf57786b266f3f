"""Statistics read from the data as it is: the encoder's inputs for a fit without DP."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tabgan.encoding.categorical import count_values
from tabgan.encoding.statistics import ColumnStatistics, numeric_values
from tabgan.table import datetimes
from tabgan.table.columns import ColumnMetadata, to_json_scalar
from tabgan.table.metadata import Metadata

__all__ = ["MAX_LEARNED_DECIMALS", "exact_statistics", "count_decimals"]

# Columns whose values need more digits after the point than this are not rounded.
MAX_LEARNED_DECIMALS = 6


def exact_statistics(
    data: pd.DataFrame,
    metadata: Metadata,
    *,
    rng: np.random.Generator,
    max_rows: int,
    max_categories: int | None = None,
) -> list[ColumnStatistics]:
    """Every non-identifier column's statistics: for a numeric column its range (public
    bounds when declared), null rate, datetime step and a reproducible subsample of at most
    ``max_rows`` values for the mixture; for a categorical column its categories (the
    declared list, else the values in order of appearance) with their counts when
    ``max_categories`` may pool them."""
    stats = []
    for meta in metadata.columns:
        series = data[meta.name]
        if meta.kind == "categorical":
            stats.append(_categorical(meta, series, max_categories))
        elif meta.kind != "id":
            stats.append(_numeric(meta, series, rng, max_rows))
    return stats


def _numeric(meta: ColumnMetadata, series: pd.Series, rng, max_rows: int) -> ColumnStatistics:
    values = numeric_values(series, meta)
    null = np.isnan(values)
    finite = values[~null]
    nullable = bool(meta.nullable) if meta.nullable is not None else bool(null.any())
    bounds = meta.numeric_bounds() or (float(finite.min()), float(finite.max()))
    step = 1
    if meta.kind == "datetime":
        unit = datetimes.column_unit(meta.dtype, meta.datetime_format)
        step = datetimes.step_of(datetimes.to_ticks(series, unit, meta.datetime_format), unit)
    decimals = meta.decimals
    if decimals is None and meta.kind == "continuous":
        decimals = count_decimals(finite)
    if len(finite) > max_rows:
        finite = rng.choice(finite, size=max_rows, replace=False)
    return ColumnStatistics(meta.name, meta.kind, support=finite, bounds=bounds,
                            nullable=nullable, null_count=float(null.sum()), step_ns=step,
                            decimals=decimals)


def count_decimals(values: np.ndarray, limit: int = MAX_LEARNED_DECIMALS) -> int | None:
    """The fewest digits after the decimal point that write every one of ``values`` (up to
    float rounding: 36.69 has 2), or None when more than ``limit`` are needed."""
    if len(values) == 0:
        return None
    for digits in range(limit + 1):
        with np.errstate(over="ignore", invalid="ignore"):
            scaled = values * 10.0**digits
            error = np.abs(scaled - np.round(scaled))
        # A value written with these digits is off a whole number by float rounding only.
        if np.all(error <= 32 * np.finfo(np.float64).eps * np.abs(scaled)):
            return digits
    return None


def _categorical(meta: ColumnMetadata, series: pd.Series,
                 max_categories: int | None) -> ColumnStatistics:
    has_null = bool(series.isna().any())
    if meta.categories is not None:
        categories = list(meta.categories)
        nullable = has_null if meta.nullable is None else meta.nullable
        if nullable and None not in categories:
            categories.append(None)
    else:
        if isinstance(series.dtype, pd.CategoricalDtype):
            values = list(series.dtype.categories)
        else:
            # Not pd.unique: its string hash table cuts strings at "\x00", so "" and "\x00"
            # would become one category.
            values = list(dict.fromkeys(series.dropna().tolist()))
        categories = [to_json_scalar(c) for c in values]
        if has_null or meta.nullable:
            categories.append(None)
    known = sum(c is not None for c in categories)
    counts = None
    if max_categories is not None and known > max_categories:
        counts = count_values(series, categories)
    return ColumnStatistics(meta.name, "categorical", categories=categories, counts=counts)
