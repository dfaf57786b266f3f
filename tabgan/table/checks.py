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
    TooFewRowsError,
    UnsupportedValueError,
)

__all__ = ["MIN_FIT_ROWS", "check_fit_rows", "check_table", "is_numeric", "is_object_like"]

# The fewest rows a model is fitted on. Below it a model can only copy the rows: the
# critic scores rows in packs of 10 (the default pac), so every pack would repeat rows; a
# numeric column's range and modes would be its few values; and a column of distinct
# values cannot be told from an identifier (inference.MIN_ROWS_FOR_IDENTIFIER is 10 too).
MIN_FIT_ROWS = 10

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
            problem = f"column {name!r} is entirely null, so there is nothing to learn from it"
            raise AllNullColumnError(
                f"{problem}; drop it (df.drop(columns=[{name!r}])).",
                cli=f"{problem}; remove the column from the input file.",
            )
        if is_numeric(series):
            values = series.to_numpy(dtype="float64", na_value=np.nan)
            if np.isinf(values).any():
                raise InfiniteValueError(
                    f"column {name!r} holds +inf or -inf; replace them with finite values or "
                    "nulls (df.replace([np.inf, -np.inf], np.nan)).",
                    cli=_INFINITE_CLI.format(name=name),
                )
        elif isinstance(series.dtype, pd.CategoricalDtype):
            _check_object_values(name, pd.Series(series.dtype.categories, dtype=object))
        elif is_object_like(series):
            _check_object_values(name, series)


_INFINITE_CLI = ("column {name!r} holds +inf or -inf; replace them with finite values or empty "
                 "fields in the input file.")


def check_fit_rows(n_rows: int) -> None:
    """Raise :class:`~tabgan.errors.TooFewRowsError` for a table too small to learn from
    (fewer than ``MIN_FIT_ROWS`` rows): its synthetic rows would be copies of its rows."""
    if 0 < n_rows < MIN_FIT_ROWS:
        raise TooFewRowsError(
            f"the table has {n_rows} row{'' if n_rows == 1 else 's'}; tabgan needs at least "
            f"{MIN_FIT_ROWS} to learn from. With fewer, a model can only copy the rows, so "
            f"its synthetic rows would be the real ones. Give a table of {MIN_FIT_ROWS} rows "
            "or more."
        )


def _check_object_values(name: Any, series: pd.Series) -> None:
    inferred = pd.api.types.infer_dtype(series, skipna=True)
    if inferred in _INFERRED_FAMILY:
        if inferred in ("floating", "mixed-integer-float"):
            if np.isinf(series.to_numpy(dtype="float64", na_value=np.nan)).any():
                raise InfiniteValueError(
                    f"column {name!r} holds +inf or -inf; replace them with finite values or "
                    "nulls first.",
                    cli=_INFINITE_CLI.format(name=name),
                )
        return
    # The slow path, only to name the problem precisely.
    types = {type(v) for v in series.dropna()}
    bad = [t for t in types if not issubclass(t, _SCALAR_TYPES)]
    if bad:
        problem = (f"column {name!r} holds values of type "
                   f"{', '.join(sorted(t.__name__ for t in bad))}, which tabgan cannot model")
        raise UnsupportedValueError(
            f"{problem}; convert them to strings (df[col].astype(str)), numbers or dates "
            "(pd.to_datetime) first.",
            cli=f"{problem}; store the column as text, numbers or dates in the input file.",
        )
    families = sorted({_type_family(t) for t in types})
    if len(families) <= 1:
        return
    problem = f"column {name!r} mixes value types ({', '.join(families)})"
    raise MixedTypesError(
        f"{problem}; convert it to one type first, e.g. df[{name!r}] = df[{name!r}].astype(str).",
        cli=f"{problem}; store the column as one type (all text, or all numbers) in the input "
            "file.",
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
