"""Writing a frame to a database, for :mod:`tabgan.table.sql`: ``target_for`` picks a
pandas column's SQL type, and ``python_values`` turns a chunk of it into the Python values a
driver binds (None for every null)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from tabgan.errors import ColumnTypeMismatchError, DataError
from tabgan.table.sql_types import kind_of_type

__all__ = ["Target", "target_for", "target_of_column", "python_values"]


@dataclass(frozen=True)
class Target:
    """What a column becomes in the database: a kind, and the SQL type a new table gets."""

    kind: str
    sql_type: Any
    tz: bool = False


def _integer_type(dtype) -> Any:
    size = np.dtype(dtype.numpy_dtype if hasattr(dtype, "numpy_dtype") else dtype).itemsize
    signed = pd.api.types.is_signed_integer_dtype(dtype)
    if size == 1 or (size == 2 and signed):
        wide = sa.SmallInteger()
    elif size == 2 or (size == 4 and signed):
        wide = sa.Integer()
    else:
        wide = sa.BigInteger()
    return wide.with_variant(sa.Integer(), "sqlite")  # SQLite's INTEGER has 64 bits


def _at_midnight(series: pd.Series) -> bool:
    values = series.dropna()
    return bool((values == values.dt.normalize()).all())


_INFERRED = {"string": "string", "empty": "string", "boolean": "bool", "integer": "int",
             "floating": "float", "mixed-integer-float": "float", "decimal": "float",
             "date": "date", "datetime": "datetime"}


def target_for(name: Any, series: pd.Series) -> Target:
    """The kind and SQL type of a pandas column in a new table."""
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return target_for(name, pd.Series(dtype.categories, dtype=dtype.categories.dtype))
    if pd.api.types.is_bool_dtype(dtype):
        return Target("bool", sa.Boolean())
    if pd.api.types.is_integer_dtype(dtype):
        return Target("int", _integer_type(dtype))
    if pd.api.types.is_float_dtype(dtype):
        single = np.dtype(getattr(dtype, "numpy_dtype", dtype)) == np.float32
        return Target("float", sa.REAL() if single else sa.Double())
    if isinstance(dtype, pd.DatetimeTZDtype):
        return Target("datetime", sa.TIMESTAMP(timezone=True), tz=True)
    if pd.api.types.is_datetime64_dtype(dtype):
        # DATE columns are read as datetime64[s] at midnight: those go back as DATE.
        if np.datetime_data(dtype)[0] == "s" and _at_midnight(series):
            return Target("date", sa.Date())
        return Target("datetime", sa.TIMESTAMP())
    if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
        kind = _INFERRED.get(pd.api.types.infer_dtype(series, skipna=True))
        if kind is not None:
            types = {"string": sa.Text(), "bool": sa.Boolean(), "int": sa.BigInteger(),
                     "float": sa.Double(), "date": sa.Date(), "datetime": sa.TIMESTAMP()}
            return Target(kind, types[kind])
        raise DataError(
            f"column {name!r} mixes values of several types; a database column holds one: "
            "convert it first (df[column].astype(str), pd.to_numeric).",
            cli=f"column {name!r} mixes values of several types; a database column holds "
                "one: write the table to a CSV or Parquet file instead, or make the column "
                "one type in its source.",
        )
    raise DataError(
        f"column {name!r} has the dtype {dtype}, which has no SQL type here; convert it to "
        "numbers, text, booleans or datetime64 first."
    )


def target_of_column(name: str, sql_type: sa.types.TypeEngine, dialect) -> Target | None:
    """The target of an existing column (None: an untyped one, which takes any kind)."""
    kind, _, tz = kind_of_type(name, sql_type, dialect)
    return None if kind is None else Target(kind, sql_type, tz=tz)


# Which kinds of pandas column each kind of database column takes.
_TAKES = {"int": {"int"}, "float": {"int", "float"}, "bool": {"bool"},
          "date": {"date", "datetime"}, "datetime": {"date", "datetime"},
          "string": {"string"}}


def _plain(values: np.ndarray) -> list:
    return [v.item() if isinstance(v, np.generic) else v for v in values]


def python_values(name: Any, series: pd.Series, target: Target | None) -> list:
    """The column's values as the Python objects a driver binds, nulls as None. ``target``
    is the database column's (None: an untyped column, which takes any kind)."""
    source = target_for(name, series)
    if target is None:
        target = source
    if source.kind not in _TAKES[target.kind] or (target.kind == "datetime"
                                                  and source.tz != target.tz):
        have = f"{series.dtype}" + (" with a time zone" if source.tz else "")
        raise ColumnTypeMismatchError(
            f"column {name!r} is {target.kind}{' with a time zone' if target.tz else ''} in "
            f"the database table but {have} here; write to a new table (another name, or "
            "if_exists='replace'), or convert the column first."
        )
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(object)
    null = series.isna().to_numpy()
    if target.kind in ("date", "datetime") and pd.api.types.is_datetime64_any_dtype(series):
        if source.tz:
            series = series.dt.tz_convert("UTC").dt.tz_localize(None)
        if target.kind == "date" and not _at_midnight(series):
            raise ColumnTypeMismatchError(
                f"column {name!r} is a DATE in the database table but has times of day here; "
                "writing it would lose them: write to a new table, or floor the column with "
                "series.dt.normalize() first."
            )
        unit = "datetime64[D]" if target.kind == "date" else "datetime64[us]"
        values = series.to_numpy(dtype=unit).astype(object)
        if target.tz:
            values = [None if v is None else v.replace(tzinfo=dt.UTC) for v in values]
        return list(values)
    if target.kind == "float":
        values = series.to_numpy(dtype="float64", na_value=np.nan).astype(object)
    else:
        values = series.to_numpy(dtype=object, copy=True)
    values[null] = None
    return _plain(values)
