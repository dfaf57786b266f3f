"""A constraint's view of a frame's values: numbers (datetimes in epoch seconds), objects
with None for nulls, and the index of each row's combination of values."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tabgan.table import datetimes
from tabgan.table.columns import to_json_scalar

__all__ = ["numbers", "objects", "combination_codes", "data_combinations"]


def numbers(series: pd.Series, column) -> np.ndarray:
    """A column's values as float64 (datetimes in epoch seconds), NaN for nulls and for
    anything that is not a number."""
    if column.kind == "datetime":
        return datetimes.to_seconds(series, column.datetime_format, errors="coerce")
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return series.to_numpy(dtype="float64", na_value=np.nan)
    return pd.to_numeric(series.astype(object), errors="coerce").to_numpy(
        dtype="float64", na_value=np.nan)


def objects(series: pd.Series) -> np.ndarray:
    """A column's values as an object array, None for nulls."""
    return np.asarray(series.astype(object).where(series.notna(), None), dtype=object)


def combination_codes(frame: pd.DataFrame, columns: tuple, combinations) -> np.ndarray:
    """The index of each row's combination of ``columns`` among ``combinations`` (-1 for
    a combination the list lacks). Values match as the one-hot codes match them: by
    equality, a null only a null."""
    per_column, per_combo = [], []
    for j, name in enumerate(columns):
        values = [c[j] for c in combinations]
        domain = pd.Index(_null_keyed(list(dict.fromkeys(values))), dtype=object)
        per_column.append(domain.get_indexer(_null_keyed(objects(frame[name]))))
        per_combo.append(domain.get_indexer(_null_keyed(values)))
    known = pd.MultiIndex.from_arrays(per_combo)
    return np.asarray(known.get_indexer(pd.MultiIndex.from_arrays(per_column)), dtype=np.int64)


_NULL = object()  # a null's key: the index lookups of every pandas match it only to itself


def _null_keyed(values) -> np.ndarray:
    keyed = np.empty(len(values), dtype=object)
    keyed[:] = [_NULL if v is None else v for v in values]
    return keyed


def data_combinations(frame: pd.DataFrame, columns: tuple) -> tuple:
    """The combinations of ``columns`` that ``frame`` holds, in the order they first
    appear, as tuples of JSON scalars."""
    codes, uniques = [], []
    for name in columns:
        code, values = pd.factorize(objects(frame[name]), use_na_sentinel=False)
        codes.append(code)
        uniques.append([to_json_scalar(v) for v in values])
    rows = pd.MultiIndex.from_arrays(codes).unique()
    return tuple(tuple(uniques[j][c] for j, c in enumerate(row)) for row in rows)
