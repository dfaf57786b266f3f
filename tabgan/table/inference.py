"""Each column's kind, from its values or from its dtype alone.

``infer_column`` reads the values (how many distinct ones, whether floats are whole, whether
strings are dates in one format). ``schema_column`` reads only the dtype: the
differentially private mode uses it, so that no single record can change a column's kind.
``check_declared`` and ``check_declared_schema`` test a declared kind against the column.
"""

from __future__ import annotations

import shlex
import warnings
from typing import Any

import numpy as np
import pandas as pd

from tabgan.errors import (
    HighCardinalityWarning,
    IdentifierColumnError,
    MetadataError,
    MixedDateFormatsError,
    StrayValuesError,
)
from tabgan.table.checks import is_numeric, is_object_like
from tabgan.table.columns import ColumnMetadata
from tabgan.table.date_formats import detect_formats
from tabgan.table.tokens import as_numbers, text_values

__all__ = [
    "DEFAULT_MAX_DISCRETE_VALUES",
    "MIN_ROWS_FOR_IDENTIFIER",
    "infer_column",
    "schema_column",
    "complete",
    "check_declared",
    "check_declared_schema",
    "string_datetime_format",
    "MANY_CATEGORIES",
    "check_text_column",
    "warn_if_many_categories",
]

# A numeric column with at most this many distinct values is treated as categorical.
DEFAULT_MAX_DISCRETE_VALUES = 10
# A categorical column needs at least this many rows before "all distinct" means "identifier".
MIN_ROWS_FOR_IDENTIFIER = 10
# A categorical column with more distinct values than this (or with more than
# DEFAULT_MAX_DISCRETE_VALUES that are over half its rows) gets a HighCardinalityWarning.
MANY_CATEGORIES = 50
# A text column whose values are numbers or dates except for at most this many distinct
# strings (or this share of its distinct values) has stray values, not categories.
_MAX_STRAYS, _STRAY_SHARE = 3, 0.02


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
    check_text_column(name, series, max_discrete_values)
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
    if column.kind == "datetime" and pd.api.types.is_datetime64_any_dtype(series):
        column.datetime_format = None  # a format says how date strings read; datetime64 stays
    elif not schema_only and column.kind == "datetime" and column.datetime_format is None:
        column.datetime_format = string_datetime_format(series)
    return column


def check_declared(column: ColumnMetadata, series: pd.Series) -> None:
    """Raise if a declared (or inferred) kind does not fit the column's values."""
    name = column.name
    if column.kind in ("continuous", "integer") and not is_numeric(series):
        raise _not_numeric(column, series)
    if column.kind == "datetime" and column.datetime_format is None:
        if not pd.api.types.is_datetime64_any_dtype(series):
            problem = (f"column {name!r} is declared datetime but is neither datetime64 nor "
                       "strings in one date format")
            raise MetadataError(
                f"{problem}; convert it with pd.to_datetime, or give a datetime_format.",
                cli=f"{problem}; give its datetime_format in the --metadata file (e.g. "
                    '"datetime_format": "%Y-%m-%d"), or write its dates in one format.',
            )
    if column.kind == "categorical":
        n_distinct = series.nunique(dropna=True)
        if column.categories is None and _looks_like_identifier(series, n_distinct):
            problem = (f"column {name!r} has a distinct value in every row, like an "
                       "identifier, and would be one-hot encoded into as many columns as rows")
            raise IdentifierColumnError(
                f"{problem}. Drop it (df.drop(columns=[{name!r}])), or declare it with kind "
                "'id' in the metadata to generate fresh unique values.",
                cli=f"{problem}. Remove it from the input file, or declare it in the "
                    f'--metadata file as {{"columns": {{"{name}": {{"kind": "id"}}}}}} to '
                    "generate fresh unique values.",
            )


def check_declared_schema(column: ColumnMetadata, series: pd.Series) -> None:
    """The checks of a declared kind that read no values."""
    numeric = is_numeric(series) or pd.api.types.is_datetime64_any_dtype(series)
    if column.kind in ("continuous", "integer") and not is_numeric(series):
        raise _not_numeric(column, series)
    if column.kind == "datetime" and not numeric and column.datetime_format is None:
        problem = (f"column {column.name!r} is declared datetime but is not datetime64; under "
                   "differential privacy its format is not read from the data")
        raise MetadataError(
            f"{problem}: give its datetime_format in the metadata (e.g. "
            f'"{column.name}": {{"kind": "datetime", "datetime_format": "%Y-%m-%d"}}), or '
            "convert it with pd.to_datetime. A value that does not parse in the declared "
            "format is then read as a null.",
            cli=f"{problem}: give its datetime_format in the --metadata file (e.g. "
                '"datetime_format": "%Y-%m-%d").',
        )


def _not_numeric(column: ColumnMetadata, series: pd.Series) -> MetadataError:
    problem = (f"column {column.name!r} is declared {column.kind} but holds {series.dtype} "
               "values")
    return MetadataError(
        f"{problem}; declare it categorical, or convert it with pd.to_numeric.",
        cli=f"{problem}; declare it categorical in the --metadata file, or make its values "
            "numbers in the input file.",
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


def check_text_column(name: Any, series: pd.Series, max_discrete_values: int) -> None:
    """Raise if a text column with many distinct values is really numbers or dates: with a
    few stray strings (``StrayValuesError``, naming them and their rows), all numbers
    written as text, or dates in several formats (``MixedDateFormatsError``). Such a column
    would otherwise become categorical and be copied value for value."""
    values = text_values(series)
    if values is None:
        return
    distinct = pd.Series(pd.unique(values.to_numpy()), dtype=object)
    if len(distinct) <= max_discrete_values:
        return
    allowed = max(_MAX_STRAYS, int(_STRAY_SHARE * len(distinct)))
    numbers = as_numbers(distinct).notna().to_numpy()
    if numbers.sum() <= max_discrete_values:  # numbers with a decimal comma, as files have
        numbers = as_numbers(distinct, ",").notna().to_numpy()
    if numbers.sum() > max_discrete_values and (~numbers).sum() <= allowed:
        strays = list(distinct[~numbers])
        if not strays:
            raise StrayValuesError(
                f"column {name!r} holds numbers written as text; convert it with "
                f"pd.to_numeric(df[{name!r}]) (read from a file: check its decimal mark, "
                "--decimal), or declare it categorical to keep it as text.",
                cli=f"column {name!r} holds numbers written as text: check the file's "
                    f"decimal mark (--decimal), or declare it categorical (--discrete "
                    f"{name}) to keep it as text.",
            )
        message, cli = _stray_messages(name, series, strays, "numbers")
        raise StrayValuesError(message, cli=cli)
    formats, unparsed = detect_formats(distinct)
    dates = ~unparsed
    if not formats or dates.sum() <= max_discrete_values or unparsed.sum() > allowed:
        return
    if unparsed.any():
        message, cli = _stray_messages(name, series, list(distinct[unparsed]), "dates")
        raise StrayValuesError(message, cli=cli)
    raise MixedDateFormatsError(
        f"column {name!r} holds dates in {len(formats)} formats ({', '.join(formats)}), so "
        "no one format writes them back. Convert it to datetimes first, e.g. with "
        f"pd.to_datetime(df[{name!r}], format='mixed'), or read the file with "
        "tabgan.table.io.read_table (the command line does), which parses such columns.",
        cli=f"column {name!r} holds dates in {len(formats)} formats ({', '.join(formats)}); "
            "write them in one format, or declare the column categorical (--discrete "
            f"{name}) to keep them as text."
    )


def _stray_messages(name: Any, series: pd.Series, strays: list, what: str) -> tuple[str, str]:
    """The error's message for Python callers, and its ``cli`` message."""
    shown = []
    for value in strays[:5]:
        rows = series.index[(series == value).to_numpy()]
        listed = ", ".join(str(r) for r in rows[:5]) + (", ..." if len(rows) > 5 else "")
        shown.append(f"{value!r} (row{'s' if len(rows) > 1 else ''} {listed})")
    more = f" and {len(strays) - 5} more" if len(strays) > 5 else ""
    tokens = ", ".join(repr(v) for v in strays[:5])
    found = (f"column {name!r} holds {what} except for {', '.join(shown)}{more} (rows counted "
             "from 0, the first data row).")
    return (
        f"{found} Read them as nulls (read_table(na_values=[...]) or "
        f"df.replace([{tokens}], None)), correct them, or declare the column categorical "
        f"(discrete_columns=[{name!r}]) to keep them as categories.",
        f"{found} Read them as nulls (--na-values {shlex.quote(','.join(map(str, strays[:5])))}"
        "), "
        f"correct them, or declare the column categorical (--discrete {name}) to keep them "
        "as categories.",
    )


def warn_if_many_categories(column: ColumnMetadata, series: pd.Series) -> None:
    """Warn when a categorical column without declared categories has many distinct
    values: its synthetic values are copies of real ones, rare ones included."""
    if column.kind != "categorical" or column.categories is not None:
        return
    n_distinct = int(series.nunique(dropna=True))
    n = int(series.notna().sum())
    if n_distinct <= MANY_CATEGORIES and not (n_distinct > DEFAULT_MAX_DISCRETE_VALUES
                                              and 2 * n_distinct > n):
        return
    once = int((series.value_counts(dropna=True) == 1).sum())
    warnings.warn(
        f"column {column.name!r} is treated as categorical with {n_distinct} distinct values "
        f"({once} of them in one row only): its synthetic values are copies of real ones. If "
        "it holds numbers or dates, convert it; if it is an identifier, declare it kind 'id'; "
        "or pool the rare values with max_categories (--max-categories).",
        HighCardinalityWarning,
        stacklevel=5,  # the caller of TabGAN.fit
    )
