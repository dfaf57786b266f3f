"""SQL column types and pandas dtypes, both ways, for :mod:`tabgan.table.sql`.

Reading, a column's values arrive from the driver as Python objects, a chunk at a time. A
``ColumnReader`` turns each chunk into a compact typed piece at once (int64 values and a null
mask, float64, datetime64, an object array of the same strings) and joins the pieces at the
end, so a table is held once as arrays, never as Python rows and again as a frame. Its kind
comes from the column's SQL type; a query's columns carry no type, and take theirs from their
first values.

Writing, ``target_for`` picks a pandas column's SQL type, and ``python_values`` turns a chunk
of it into the Python values a driver binds (None for every null).
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from tabgan.errors import ColumnTypeMismatchError, DataError

__all__ = ["ColumnReader", "reader_for", "Target", "target_for", "target_of_column",
           "python_values"]

_NONE = type(None)
# The Python types a driver hands over for each kind of column.
_ACCEPTS = {
    "int": (int,),
    "float": (int, float, decimal.Decimal),
    "bool": (bool,),
    "date": (dt.date,),
    "datetime": (dt.datetime,),
    "string": (str, uuid.UUID),
}
_DEFAULT_DTYPE = {"int": "int64", "float": "float64", "bool": "bool"}
_TEXT_FIX = ("leave it out, or CAST it, with a query (query=\"SELECT ...\", --query on the "
             "command line)")


def _fits(kind: str, types: set) -> bool:
    if kind in ("int", "float") and bool in types:  # bool is a subclass of int
        return False
    return all(issubclass(t, _ACCEPTS[kind]) for t in types)


def _kind_of_values(name: str, types: set) -> str:
    """The kind of an untyped column, from the Python types of its values."""
    for kind in ("bool", "int", "float", "datetime", "date", "string"):
        if _fits(kind, types):
            return kind
    shown = ", ".join(sorted(t.__name__ for t in types))
    raise DataError(
        f"column {name!r} holds values of type {shown}; tabgan reads numbers, text, booleans, "
        f"dates and timestamps, one type a column: {_TEXT_FIX}."
    )


def _utc_naive(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:  # a naive value in a time-zone column: taken as UTC
        return value
    return value.astimezone(dt.UTC).replace(tzinfo=None)


_UNIT = {"date": "datetime64[s]", "datetime": "datetime64[us]"}


@dataclass
class ColumnReader:
    """One column of a result, gathered chunk by chunk into typed arrays.

    With ``rows`` (the table's row count, when known) the column is one array of that
    length, allocated once and filled in place: no piece is ever joined. Without it, or for
    rows beyond it, chunks are kept as pieces and joined at the end."""

    name: str
    kind: str | None  # None: decided by the first values (a query's column, an untyped one)
    dtype: str | None = None  # int and float columns: the numpy dtype
    tz: bool = False  # datetime: values in UTC, restored as datetime64[us, UTC]
    sql_type: str | None = None  # the declared type, for messages; None when untyped
    rows: int | None = None
    pieces: list = field(default_factory=list)  # typed chunks, or a count of nulls only
    filled: int = 0  # rows held in the buffer
    buffer: Any = None

    def __post_init__(self) -> None:
        if self.kind is not None:
            self._allocate()

    def _allocate(self) -> None:
        if self.rows is not None:
            self.buffer = self._nulls(self.rows)  # rows not filled stay null

    def add(self, values: tuple) -> None:
        n = len(values)
        into_buffer = self.rows is not None and self.filled + n <= self.rows and not self.pieces
        types = set(map(type, values)) - {_NONE}
        if not types:  # nulls only: the buffer already holds them
            if into_buffer:
                self.filled += n
            else:
                self.pieces.append(n)
            return
        if self.kind is None:
            self._decide(types, values)
        elif not _fits(self.kind, types):
            if self.sql_type is None and self.kind == "int" and _fits("float", types):
                self._promote_to_float()
            else:
                self._refuse(types, values)
        piece = self._convert(values)
        if into_buffer:
            if isinstance(piece, tuple):
                self.buffer[0][self.filled:self.filled + n] = piece[0]
                self.buffer[1][self.filled:self.filled + n] = piece[1]
            else:
                self.buffer[self.filled:self.filled + n] = piece
            self.filled += n
        else:
            self.pieces.append(piece)

    def _decide(self, types: set, values: tuple) -> None:
        self.kind = _kind_of_values(self.name, types)
        self.dtype = _DEFAULT_DTYPE.get(self.kind)
        if self.kind == "datetime":
            self.tz = any(v is not None and v.tzinfo is not None for v in values)
        self._allocate()

    def _promote_to_float(self) -> None:
        """Integers then fractions in an untyped column: floats, as pandas reads them."""
        def as_float(part):
            if isinstance(part, int):
                return part
            return np.where(part[1], np.nan, part[0].astype("float64"))

        self.kind, self.dtype = "float", "float64"
        self.pieces = [as_float(p) for p in self.pieces]
        if self.buffer is not None:
            self.buffer = as_float(self.buffer)

    def _refuse(self, types: set, values: tuple) -> None:
        bad = next(v for v in values if v is not None and not _fits(self.kind, {type(v)}))
        if self.sql_type is None:
            raise DataError(
                f"column {self.name!r} holds {self.kind} values and also {bad!r} "
                f"({type(bad).__name__}); {_TEXT_FIX}."
            )
        raise DataError(
            f"column {self.name!r} is declared {self.sql_type} but holds {bad!r} "
            f"({type(bad).__name__}); fix the value in the database, or {_TEXT_FIX}."
        )

    def _convert(self, values: tuple):
        kind = self.kind
        if kind in ("int", "bool"):
            mask = np.fromiter((v is None for v in values), dtype=bool, count=len(values))
            fill = 0 if kind == "int" else False
            try:
                data = np.array([fill if v is None else v for v in values], dtype=self.dtype)
            except OverflowError as exc:
                raise DataError(
                    f"column {self.name!r} holds an integer outside the range of "
                    f"{self.dtype}; {_TEXT_FIX}."
                ) from exc
            return data, mask
        if kind == "float":
            return np.array([np.nan if v is None else float(v) for v in values], dtype=self.dtype)
        if kind == "date":
            return np.array(values, dtype="datetime64[s]")
        if kind == "datetime":
            return np.array([None if v is None else _utc_naive(v) for v in values],
                            dtype="datetime64[us]")
        return np.array([v if v is None or isinstance(v, str) else str(v) for v in values],
                        dtype=object)

    def _nulls(self, n: int):
        kind = self.kind
        if kind in ("int", "bool"):
            return np.zeros(n, dtype=self.dtype), np.ones(n, dtype=bool)
        if kind == "float":
            return np.full(n, np.nan, dtype=self.dtype)
        if kind in ("date", "datetime"):
            return np.full(n, np.datetime64("NaT"), dtype=_UNIT[kind])
        return np.full(n, None, dtype=object)

    def finish(self):
        """The whole column as one array; the pieces are let go."""
        pieces, self.pieces = self.pieces, []
        buffer, self.buffer = self.buffer, None
        if self.kind is None:  # no value at all: a column of nulls
            return np.full(self.filled + sum(pieces), None, dtype=object)
        parts = [self._nulls(p) if isinstance(p, int) else p for p in pieces]
        if buffer is not None:
            short = self.filled < len(buffer[0] if isinstance(buffer, tuple) else buffer)
            if short:  # fewer rows than counted
                buffer = tuple(b[:self.filled] for b in buffer) if isinstance(
                    buffer, tuple) else buffer[:self.filled]
            parts.insert(0, buffer)
        parts = parts or [self._nulls(0)]
        if self.kind in ("int", "bool"):
            data, mask = (parts[0] if len(parts) == 1 else
                          tuple(np.concatenate(side) for side in zip(*parts, strict=True)))
            del parts
            if not mask.any():
                return data
            if self.kind == "int":
                return pd.arrays.IntegerArray(data, mask)
            return pd.arrays.BooleanArray(data, mask)
        data = parts[0] if len(parts) == 1 else np.concatenate(parts)
        del parts
        if self.kind == "datetime" and self.tz:
            return pd.array(data).tz_localize("UTC")
        return data




def _type_label(sql_type, dialect) -> str:
    try:
        return str(sql_type.compile(dialect=dialect))
    except Exception:  # a type the dialect cannot render
        return type(sql_type).__name__


def _kind_of_type(name: str, sql_type: sa.types.TypeEngine, dialect) -> tuple:
    """(kind, dtype, time zone) of a column of ``sql_type``; a DataError for types tabgan
    cannot model."""
    sqlite = dialect.name == "sqlite"
    if isinstance(sql_type, sa.types.NullType):
        return None, None, False
    if isinstance(sql_type, sa.Boolean):
        return "bool", "bool", False
    if isinstance(sql_type, sa.Integer):
        if isinstance(sql_type, sa.SmallInteger):
            dtype = "int16"
        elif isinstance(sql_type, sa.BigInteger) or sqlite:  # SQLite's INTEGER has 64 bits
            dtype = "int64"
        else:
            dtype = "int32"
        return "int", dtype, False
    if isinstance(sql_type, sa.Float):
        dtype = "float32" if isinstance(sql_type, sa.REAL) and not sqlite else "float64"
        return "float", dtype, False
    if isinstance(sql_type, sa.Numeric):  # NUMERIC / DECIMAL: read as floats
        return "float", "float64", False
    if isinstance(sql_type, sa.DateTime):
        return "datetime", None, bool(sql_type.timezone)
    if isinstance(sql_type, sa.Date):
        return "date", None, False
    if isinstance(sql_type, sa.String | sa.Enum | sa.Uuid):
        return "string", None, False
    raise DataError(
        f"column {name!r} has the SQL type {_type_label(sql_type, dialect)}, which tabgan "
        f"cannot model (it reads numbers, text, booleans, dates and timestamps); {_TEXT_FIX}."
    )


def reader_for(name: str, sql_type: sa.types.TypeEngine, dialect,
               rows: int | None = None) -> ColumnReader:
    """The reader of a column of ``sql_type`` (``rows`` long, when known)."""
    kind, dtype, tz = _kind_of_type(name, sql_type, dialect)
    label = None if kind is None else _type_label(sql_type, dialect)
    return ColumnReader(name, kind, dtype, tz=tz, sql_type=label, rows=rows)


# ---------------------------------------------------------------------- writing
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
    kind, _, tz = _kind_of_type(name, sql_type, dialect)
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
        values = series.to_numpy(dtype=object)
    values[null] = None
    return _plain(values)
