"""SQL column types and pandas dtypes, both ways, for :mod:`tabgan.table.sql`.

Reading, a column's values arrive from the driver as Python objects, a chunk at a time. A
``ColumnReader`` turns each chunk into a compact typed piece at once (int64 values and a null
mask, float64, datetime64, an object array of the same strings) and joins the pieces at the
end, so a table is held once as arrays, never as Python rows and again as a frame. Its kind
comes from the column's SQL type; a query's columns carry no type, and take theirs from their
first values.

Writing is :mod:`tabgan.table.sql_targets`.
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

from tabgan.errors import DataError

__all__ = ["ColumnReader", "reader_for", "kind_of_type"]

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


def _arrow_text() -> bool:
    """Whether pandas keeps text in Arrow (its str dtype, the default from pandas 3): text
    chunks are then turned into Arrow arrays as they come, never held as Python strings."""
    dtype = pd.Series(["text"]).dtype
    return str(dtype) == "str" and getattr(dtype, "storage", None) == "pyarrow"


_ARROW_TEXT = _arrow_text()


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
        if self.rows is not None and not (self.kind == "string" and _ARROW_TEXT):
            self.buffer = self._nulls(self.rows)  # rows not filled stay null

    def add(self, values: tuple) -> None:
        n = len(values)
        into_buffer = self.buffer is not None and self.filled + n <= self.rows and not self.pieces
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
        text = [v if v is None or isinstance(v, str) else str(v) for v in values]
        if _ARROW_TEXT:
            import pyarrow as pa

            return pa.array(text, type=pa.large_string())
        return np.array(text, dtype=object)

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
        if self.kind == "string" and _ARROW_TEXT:
            import pyarrow as pa

            parts = [pa.nulls(p, pa.large_string()) if isinstance(p, int) else p
                     for p in pieces]
            return pd.array(pa.chunked_array(parts, type=pa.large_string()), dtype="str")
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


def kind_of_type(name: str, sql_type: sa.types.TypeEngine, dialect) -> tuple:
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
    kind, dtype, tz = kind_of_type(name, sql_type, dialect)
    label = None if kind is None else _type_label(sql_type, dialect)
    return ColumnReader(name, kind, dtype, tz=tz, sql_type=label, rows=rows)
