"""Hypothesis strategies for DataFrames of every column kind tabgan handles.

``tables()`` draws a :class:`GeneratedTable`: a DataFrame, the metadata dict that declares
some of its columns, and for each column the generator that made it (so a test knows which
kinds inference may give it). Every column can hold nulls (never only nulls), be constant,
and have an odd, unicode or integer name; a table can have a single row.

Import from tests with ``from tests.strategies import tables``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import strategies as st

__all__ = [
    "GENERATORS",
    "GeneratedColumn",
    "GeneratedTable",
    "column_names",
    "columns",
    "tables",
]

# Which kinds a column from each generator may end up with (declared or inferred).
GENERATORS: dict[str, tuple[str, ...]] = {
    "float": ("continuous", "integer", "categorical"),
    "int": ("integer", "categorical"),
    "whole_float": ("integer", "categorical"),
    "bool": ("categorical",),
    "string": ("categorical",),
    "category": ("categorical",),
    "datetime": ("datetime",),
    "date_string": ("datetime",),
}

# Date string formats whose first value tells the format unambiguously.
DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M")

_DAY = 86_400
# Seconds since the epoch: 1900-01-01 to 2200-01-01 (inside the nanosecond range).
_NS_RANGE = (-2_208_988_800, 7_258_118_400)
# 0001-01-02 to 9999-12-31, for datetime64[s] columns.
_S_RANGE = (-62_135_510_400, 253_402_214_400)

# Text without digits (so no string looks like a date) and without surrogates.
_TEXT = st.text(
    alphabet=st.characters(exclude_categories=("N", "Cs")),
    max_size=6,
)


@dataclass
class GeneratedColumn:
    name: Any
    values: pd.Series
    generator: str
    declared_kind: str | None = None  # put into the metadata when not None
    datetime_format: str | None = None  # date strings: the format they are written in


@dataclass
class GeneratedTable:
    frame: pd.DataFrame
    columns: list[GeneratedColumn] = field(default_factory=list)

    @property
    def metadata(self) -> dict:
        """``{"columns": {name: {"kind": ...}}}`` for the declared columns only."""
        return {
            "columns": {
                c.name: {"kind": c.declared_kind}
                for c in self.columns
                if c.declared_kind is not None
            }
        }

    def column(self, name: Any) -> GeneratedColumn:
        return next(c for c in self.columns if c.name == name)


def column_names(min_size: int = 1, max_size: int = 5) -> st.SearchStrategy[list]:
    """Distinct column names: unicode and odd strings ("", spaces, quotes) and integers."""
    name = st.one_of(
        st.text(max_size=8).filter(lambda s: "\x00" not in s),
        st.sampled_from(["", " ", "a b", "x.y", "名前", "ümlaut", "'q'", "0", "None"]),
        st.integers(-3, 10**6),
    )
    return st.lists(name, min_size=min_size, max_size=max_size, unique_by=lambda v: (type(v), v))


@st.composite
def _null_mask(draw, n: int, allowed: bool = True) -> np.ndarray:
    """A boolean mask of nulls that leaves at least one value."""
    if not allowed or n == 1 or not draw(st.booleans()):
        return np.zeros(n, dtype=bool)
    mask = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    if mask.all():
        mask[draw(st.integers(0, n - 1))] = False
    return mask


@st.composite
def _pool_values(draw, n: int, element: st.SearchStrategy) -> list:
    """``n`` values drawn from a pool of 1 to 4 distinct values (1: a constant column)."""
    pool = draw(st.lists(element, min_size=1, max_size=4, unique=True))
    return [pool[i] for i in draw(st.lists(st.integers(0, len(pool) - 1), min_size=n, max_size=n))]


@st.composite
def _numbers(draw, n: int, element: st.SearchStrategy) -> list:
    """``n`` numbers: free, from a small pool, or constant."""
    shape = draw(st.sampled_from(["free", "pool", "constant"]))
    if shape == "free":
        return draw(st.lists(element, min_size=n, max_size=n))
    if shape == "constant":
        return [draw(element)] * n
    return draw(_pool_values(n, element))


@st.composite
def _float_column(draw, n: int) -> tuple[pd.Series, str | None]:
    width = draw(st.sampled_from([64, 32]))
    bound = 1e100 if width == 64 else 2.0**100
    element = st.floats(
        -bound, bound, allow_nan=False, allow_infinity=False, allow_subnormal=False, width=width
    )
    values = np.array(draw(_numbers(n, element)), dtype=f"float{width}")
    values[draw(_null_mask(n))] = np.nan
    declared = draw(st.sampled_from([None, "continuous"]))
    return pd.Series(values), declared


@st.composite
def _int_column(draw, n: int) -> tuple[pd.Series, str | None]:
    dtype = draw(st.sampled_from(["int64", "int32", "uint16", "Int64"]))
    info = np.iinfo(dtype.lower())
    values = draw(_numbers(n, st.integers(int(info.min), int(info.max))))
    if dtype == "Int64":
        mask = draw(_null_mask(n))
        series = pd.Series(
            pd.array([None if m else v for v, m in zip(values, mask, strict=True)], "Int64")
        )
    else:
        series = pd.Series(np.array(values, dtype=dtype))
    declared = draw(st.sampled_from([None, "integer"]))
    return series, declared


@st.composite
def _whole_float_column(draw, n: int) -> tuple[pd.Series, str | None]:
    values = np.array(draw(_numbers(n, st.integers(-(2**53), 2**53))), dtype="float64")
    values[draw(_null_mask(n))] = np.nan
    declared = draw(st.sampled_from([None, "integer"]))
    return pd.Series(values), declared


@st.composite
def _bool_column(draw, n: int) -> tuple[pd.Series, str | None]:
    values = draw(_numbers(n, st.booleans()))
    mask = draw(_null_mask(n))
    if not mask.any():
        return pd.Series(np.array(values, dtype=bool)), None
    with_nulls = [None if m else v for v, m in zip(values, mask, strict=True)]
    dtype = draw(st.sampled_from(["object", "boolean"]))
    return pd.Series(with_nulls, dtype=dtype), None


@st.composite
def _string_column(draw, n: int) -> tuple[pd.Series, str | None]:
    values = draw(_pool_values(n, _TEXT))
    mask = draw(_null_mask(n))
    null = draw(st.sampled_from([None, np.nan]))
    dtype = draw(st.sampled_from(["object", "string"]))
    return pd.Series(
        [null if m else v for v, m in zip(values, mask, strict=True)], dtype=dtype
    ), None


@st.composite
def _category_column(draw, n: int) -> tuple[pd.Series, str | None]:
    element = draw(st.sampled_from([_TEXT, st.integers(-1000, 1000)]))
    values = draw(_pool_values(n, element))
    extra = draw(st.lists(element, max_size=2))  # categories no row uses
    categories = list(dict.fromkeys([*values, *extra]))
    if draw(st.booleans()):
        categories = categories[::-1]
    mask = draw(_null_mask(n))
    cat = pd.Categorical(
        [None if m else v for v, m in zip(values, mask, strict=True)],
        categories=categories,
        ordered=draw(st.booleans()),
    )
    return pd.Series(cat), None


@st.composite
def _seconds(draw, n: int, low: int, high: int) -> list[int]:
    """Whole seconds since the epoch, sometimes at day or minute resolution."""
    step = draw(st.sampled_from([1, 60, _DAY]))
    element = st.integers(low // step + 1, high // step - 1).map(lambda v: v * step)
    return draw(_numbers(n, element))


@st.composite
def _datetime_column(draw, n: int) -> tuple[pd.Series, str | None]:
    unit = draw(st.sampled_from(["ns", "us", "s"]))
    low, high = _S_RANGE if unit == "s" else _NS_RANGE
    seconds = np.array(draw(_seconds(n, low, high)), dtype=np.int64)
    stamps = seconds.astype("datetime64[s]").astype(f"datetime64[{unit}]")
    stamps[draw(_null_mask(n))] = np.datetime64("NaT")
    series = pd.Series(stamps)
    tz = draw(st.sampled_from([None, "UTC", "Asia/Kolkata"]))
    if tz is not None:
        series = series.dt.tz_localize("UTC").dt.tz_convert(tz)
    return series, None


@st.composite
def _date_string_column(draw, n: int) -> tuple[pd.Series, str | None, str]:
    fmt = draw(st.sampled_from(DATE_FORMATS))
    # Inside the nanosecond range, which pandas parses date strings into.
    seconds = draw(_seconds(n, *_NS_RANGE))
    if fmt == "%Y-%m-%d":
        seconds = [s - s % _DAY for s in seconds]
    elif fmt == "%Y/%m/%d %H:%M":
        seconds = [s - s % 60 for s in seconds]
    text = pd.Series(pd.to_datetime(seconds, unit="s")).dt.strftime(fmt).astype(object)
    text[draw(_null_mask(n))] = None
    return text, None, fmt


_COLUMN_STRATEGIES = {
    "float": _float_column,
    "int": _int_column,
    "whole_float": _whole_float_column,
    "bool": _bool_column,
    "string": _string_column,
    "category": _category_column,
    "datetime": _datetime_column,
    "date_string": _date_string_column,
}


@st.composite
def columns(draw, name: Any, n: int, generators=tuple(GENERATORS)) -> GeneratedColumn:
    """One column of ``n`` rows from one of ``generators``."""
    generator = draw(st.sampled_from(list(generators)))
    drawn = draw(_COLUMN_STRATEGIES[generator](n))
    fmt = drawn[2] if len(drawn) == 3 else None
    return GeneratedColumn(name, drawn[0], generator, drawn[1], fmt)


@st.composite
def tables(
    draw,
    *,
    min_rows: int = 1,
    max_rows: int = 30,
    max_columns: int = 5,
    generators=tuple(GENERATORS),
) -> GeneratedTable:
    """A table of 1 to ``max_columns`` columns drawn from ``generators``."""
    n = draw(st.integers(min_rows, max_rows))
    names = draw(column_names(1, max_columns))
    cols = [draw(columns(name, n, generators)) for name in names]
    frame = pd.DataFrame({i: c.values for i, c in enumerate(cols)})
    frame.columns = pd.Index([c.name for c in cols], tupleize_cols=False)
    return GeneratedTable(frame, cols)
