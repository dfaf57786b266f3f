"""Checks of a table's values: what no synthesizer can learn from raises a typed error that
names the fix."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from tabgan.errors import (
    AllNullColumnError,
    DuplicateColumnsError,
    EmptyTableError,
    InfiniteValueError,
    MixedTypesError,
    UnsupportedValueError,
)

__all__ = ["check_table", "is_numeric", "is_object_like"]

_SCALAR_TYPES: tuple[type, ...] = (str, bool, int, float, np.bool_, np.integer, np.floating)
_INFERRED_FAMILY = {
    "string": "str",
    "boolean": "bool",
    "integer": "number",
    "floating": "number",
    "mixed-integer-float": "number",
}


def check_table(data: pd.DataFrame, *, allow_all_null: bool = False,
                private: bool = False) -> None:
    """Raise a typed error for input no synthesizer can learn from.

    ``allow_all_null`` accepts columns that hold only nulls: a batch to encode with a
    fitted transformer may have them (one row with a null), a table to learn from may not.

    ``private`` (differential privacy) checks the table's shape alone and reads no value:
    a refusal decided by one record (a column null but for one row, one infinite value,
    one value of another type) would itself reveal that record. The private statistics
    handle such values by rule instead (see :mod:`tabgan.privacy.preprocessing`).
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(data).__name__}.")
    if data.shape[1] == 0:
        raise EmptyTableError("the table has no columns; pass a DataFrame with at least one.")
    if data.shape[0] == 0:
        raise EmptyTableError("the table has no rows; pass a DataFrame with at least one row.")
    if not data.columns.is_unique:
        dupes = sorted({repr(c) for c in data.columns[data.columns.duplicated()]})
        raise DuplicateColumnsError(
            f"column name(s) {', '.join(dupes)} appear more than once; rename them so every "
            "column has its own name."
        )
    if private:
        return
    for name in data.columns:
        series = data[name]
        if series.isna().all():
            if allow_all_null:
                continue
            raise AllNullColumnError(
                f"column {name!r} is entirely null, so there is nothing to learn from it; "
                f"drop it (df.drop(columns=[{name!r}]))."
            )
        if is_numeric(series):
            values = series.to_numpy(dtype="float64", na_value=np.nan)
            if np.isinf(values).any():
                raise InfiniteValueError(
                    f"column {name!r} holds +inf or -inf; replace them with finite values or "
                    "nulls (df.replace([np.inf, -np.inf], np.nan))."
                )
        elif isinstance(series.dtype, pd.CategoricalDtype):
            _check_object_values(name, pd.Series(series.dtype.categories, dtype=object))
        elif is_object_like(series):
            _check_object_values(name, series)


def _check_object_values(name: Any, series: pd.Series) -> None:
    inferred = pd.api.types.infer_dtype(series, skipna=True)
    if inferred in _INFERRED_FAMILY:
        if inferred in ("floating", "mixed-integer-float"):
            if np.isinf(series.to_numpy(dtype="float64", na_value=np.nan)).any():
                raise InfiniteValueError(
                    f"column {name!r} holds +inf or -inf; replace them with finite values or "
                    "nulls first."
                )
        return
    # The slow path, only to name the problem precisely.
    types = {type(v) for v in series.dropna()}
    bad = [t for t in types if not issubclass(t, _SCALAR_TYPES)]
    if bad:
        raise UnsupportedValueError(
            f"column {name!r} holds values of type {', '.join(sorted(t.__name__ for t in bad))}, "
            "which tabgan cannot model; convert them to strings (df[col].astype(str)), numbers "
            "or dates (pd.to_datetime) first."
        )
    families = sorted({_type_family(t) for t in types})
    if len(families) <= 1:
        return
    raise MixedTypesError(
        f"column {name!r} mixes value types ({', '.join(families)}); convert it to one type "
        f"first, e.g. df[{name!r}] = df[{name!r}].astype(str)."
    )


def is_numeric(series: pd.Series) -> bool:
    """A numeric dtype that is not bool."""
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def is_object_like(series: pd.Series) -> bool:
    """An object or string column (not a pandas category)."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return False
    return pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)


def _type_family(t: type) -> str:
    if issubclass(t, bool | np.bool_):
        return "bool"
    if issubclass(t, int | float | np.integer | np.floating):
        return "number"
    return "str"
