"""Each column's kind, from its values or from its dtype alone.

``infer_column`` reads the values (how many distinct ones, whether floats are whole, whether
strings are dates in one format). ``schema_column`` reads only the dtype: the
differentially private mode uses it, so that no single record can change a column's kind.
``check_declared`` and ``check_declared_schema`` test a declared kind against the column.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from tabgan.errors import IdentifierColumnError, MetadataError
from tabgan.table.checks import is_numeric, is_object_like
from tabgan.table.columns import ColumnMetadata

__all__ = [
    "DEFAULT_MAX_DISCRETE_VALUES",
    "MIN_ROWS_FOR_IDENTIFIER",
    "infer_column",
    "schema_column",
    "complete",
    "check_declared",
    "check_declared_schema",
    "string_datetime_format",
]

# A numeric column with at most this many distinct values is treated as categorical.
DEFAULT_MAX_DISCRETE_VALUES = 10
# A categorical column needs at least this many rows before "all distinct" means "identifier".
MIN_ROWS_FOR_IDENTIFIER = 10


def infer_column(name: Any, series: pd.Series, max_discrete_values: int) -> ColumnMetadata:
    """The kind of an undeclared column, read off its values."""
    dtype = str(series.dtype)
    if pd.api.types.is_bool_dtype(series) or isinstance(series.dtype, pd.CategoricalDtype):
        return complete(ColumnMetadata(name, "categorical"), series)
    if pd.api.types.is_datetime64_any_dtype(series):
        return ColumnMetadata(name, "datetime", dtype=dtype)
    if is_numeric(series):
        values = series.dropna().to_numpy(dtype="float64")
        n_distinct = len(np.unique(values))
        # Few distinct values make a category, unless every row has its own value: then
        # a categorical column would be an identifier, and a numeric one is not.
        if n_distinct <= max_discrete_values and not _looks_like_identifier(series, n_distinct):
            return complete(ColumnMetadata(name, "categorical"), series)
        if pd.api.types.is_integer_dtype(series) or np.all(values == np.round(values)):
            return ColumnMetadata(name, "integer", dtype=dtype)
        return ColumnMetadata(name, "continuous", dtype=dtype)
    fmt = string_datetime_format(series)
    if fmt is not None:
        return ColumnMetadata(name, "datetime", dtype=dtype, datetime_format=fmt)
    return complete(ColumnMetadata(name, "categorical"), series)


def schema_column(name: Any, series: pd.Series) -> ColumnMetadata:
    """The kind of an undeclared column from its dtype alone: bool, category and string
    columns are categorical, integer dtypes integer, float dtypes continuous, datetime64
    datetime."""
    dtype = str(series.dtype)
    if pd.api.types.is_datetime64_any_dtype(series):
        return ColumnMetadata(name, "datetime", dtype=dtype)
    if is_numeric(series):
        kind = "integer" if pd.api.types.is_integer_dtype(series) else "continuous"
        return ColumnMetadata(name, kind, dtype=dtype)
    column = ColumnMetadata(name, "categorical", dtype=dtype)
    if isinstance(series.dtype, pd.CategoricalDtype):
        column.ordered = bool(series.dtype.ordered)
    return column


def complete(column: ColumnMetadata, series: pd.Series, *,
             schema_only: bool = False) -> ColumnMetadata:
    """Fill in the dtype (and the date format) a declared column is restored with. With
    ``schema_only`` (differential privacy) nothing is read from the values: a datetime
    column of strings keeps the format the metadata declares, or none (and is refused)."""
    if column.dtype is None:
        column.dtype = str(series.dtype)
    if column.kind == "categorical" and isinstance(series.dtype, pd.CategoricalDtype):
        column.ordered = bool(series.dtype.ordered)
    if (
        not schema_only
        and column.kind == "datetime"
        and column.datetime_format is None
        and not pd.api.types.is_datetime64_any_dtype(series)
    ):
        column.datetime_format = string_datetime_format(series)
    return column


def check_declared(column: ColumnMetadata, series: pd.Series) -> None:
    """Raise if a declared (or inferred) kind does not fit the column's values."""
    name = column.name
    if column.kind in ("continuous", "integer") and not is_numeric(series):
        raise MetadataError(
            f"column {name!r} is declared {column.kind} but holds {series.dtype} values; "
            "declare it categorical, or convert it with pd.to_numeric."
        )
    if column.kind == "datetime" and column.datetime_format is None:
        if not pd.api.types.is_datetime64_any_dtype(series):
            raise MetadataError(
                f"column {name!r} is declared datetime but is neither datetime64 nor strings in "
                "one date format; convert it with pd.to_datetime, or give a datetime_format."
            )
    if column.kind == "categorical":
        n_distinct = series.nunique(dropna=True)
        if column.categories is None and _looks_like_identifier(series, n_distinct):
            raise IdentifierColumnError(
                f"column {name!r} has a distinct value in every row, like an identifier, and "
                "would be one-hot encoded into as many columns as rows. Drop it "
                f"(df.drop(columns=[{name!r}])), or declare it with kind 'id' in the metadata "
                "to generate fresh unique values."
            )


def check_declared_schema(column: ColumnMetadata, series: pd.Series) -> None:
    """The checks of a declared kind that read no values."""
    numeric = is_numeric(series) or pd.api.types.is_datetime64_any_dtype(series)
    if column.kind in ("continuous", "integer") and not is_numeric(series):
        raise MetadataError(
            f"column {column.name!r} is declared {column.kind} but holds {series.dtype} values; "
            "declare it categorical, or convert it with pd.to_numeric."
        )
    if column.kind == "datetime" and not numeric and column.datetime_format is None:
        raise MetadataError(
            f"column {column.name!r} is declared datetime but holds {series.dtype} values, "
            "not datetime64; under differential privacy its format is not guessed from the "
            "values: give its datetime_format in the metadata (e.g. "
            f'"{column.name}": {{"kind": "datetime", "datetime_format": "%Y-%m-%d"}}), or '
            "convert it with pd.to_datetime. A value that does not parse in the declared "
            "format is then read as a null."
        )


def _looks_like_identifier(series: pd.Series, n_distinct: int) -> bool:
    n = int(series.notna().sum())
    return n >= MIN_ROWS_FOR_IDENTIFIER and n_distinct == n == len(series)


def string_datetime_format(series: pd.Series) -> str | None:
    """The one strftime format every string in ``series`` is written in, if there is one."""
    if not is_object_like(series):
        return None
    values = series.dropna()
    if len(values) == 0 or not all(isinstance(v, str) for v in values.iloc[:100]):
        return None
    first = values.iloc[0]
    if len(first) < 6 or sum(ch.isdigit() for ch in first) < 4:
        return None
    from pandas.tseries.api import guess_datetime_format

    fmt = guess_datetime_format(first)
    if fmt is None:
        return None
    strings = values.astype(str)
    parsed = pd.to_datetime(strings, format=fmt, errors="coerce")
    if parsed.isna().any():
        return None
    if not (parsed.dt.strftime(fmt) == strings).all():
        return None
    return fmt
