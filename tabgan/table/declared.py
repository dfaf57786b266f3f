"""Tables read under a declared schema: the types come from the metadata, never the values.

Under differential privacy a column's kind, dtype, date format and nullability must not
depend on any record: one value of 33.5 or one stray word would otherwise turn an integer
column continuous or categorical. A CSV has no schema of its own, so a private fit reads
every field as text (:func:`read_declared`) and converts each column by its declared kind
(:func:`conform`), by rules that do not depend on which record holds a value:

- ``continuous``: a number, or a null for a field that is not one;
- ``integer``: a number rounded to the nearest integer (halves to even), or a null for a
  field that is not a finite number, in the nullable ``Int64`` dtype;
- ``categorical``: the declared category whose text the field is (or whose number it
  reads as); else, for a numeric or boolean ``dtype``, the field read as that type (a
  null when it is not one); else the text itself;
- ``datetime``: the text, parsed at fit time in the declared ``datetime_format`` (a field
  that does not parse is a null);
- ``id``: the text (a number for a numeric ``dtype``).

Empty fields and pandas' usual null tokens (``NA``, ``N/A``, ``null``, ``NaN``, ...) are
nulls. Parquet files carry their own column types and are read as they are.

:func:`draft_metadata` writes a first metadata from the values, for a person to review:
it reads the data, so it must never be applied under DP unreviewed.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np
import pandas as pd

from tabgan.errors import MetadataError
from tabgan.table.checks import is_numeric
from tabgan.table.columns import ColumnMetadata
from tabgan.table.inference import DEFAULT_MAX_DISCRETE_VALUES, infer_column
from tabgan.table.io import read_table, table_format
from tabgan.table.metadata import Metadata, coerce_metadata

__all__ = ["read_declared", "conform", "draft_metadata", "DRAFT_WARNING", "EXAMPLE_METADATA"]

DRAFT_WARNING = (
    "warning: this metadata was drafted from the values of {data}: its kinds, dtypes and "
    "date formats were read off the rows, so they are facts about the data, which no "
    "privacy guarantee covers. Review every column before fitting with --epsilon, and keep "
    "only what the data's definition says (not what the data suggests). Bounds and "
    "category lists are left out: add only public ones (from a data dictionary, a form or "
    "a standard, never from the data). See docs/metadata.md."
)


EXAMPLE_METADATA = """{
  "columns": {
    "age": {"kind": "integer", "bounds": [0, 120]},
    "city": {"kind": "categorical", "categories": ["Lyon", "Paris"]},
    "income": {"kind": "continuous", "bounds": [0, 1000000], "nullable": true},
    "joined": {"kind": "datetime", "datetime_format": "%Y-%m-%d"}
  }
}"""


def read_declared(path: str | os.PathLike, metadata, *, table: str | None = None,
                  query: str | None = None, **reading) -> pd.DataFrame:
    """Read a table for a private fit: a CSV's columns typed by ``metadata`` (required),
    read with ``reading`` (``read_table``'s ``sep``, ``decimal``, ``encoding``,
    ``na_values``); a Parquet file, or a database ``table`` or ``query``, with the types it
    declares itself."""
    if table_format(path) in ("parquet", "sql"):
        return read_table(path, table=table, query=query)
    given = coerce_metadata(metadata)
    if given is None:
        try:
            header = list(pd.read_csv(path, nrows=0).columns)
        except (OSError, ValueError):  # no file, or no header: the example alone
            header = []
        shown = ", ".join(map(str, header[:8])) + (", ..." if len(header) > 8 else "")
        raise MetadataError(
            "under differential privacy the column kinds, dtypes, date formats and "
            f"nullability must come from a declared schema, never from the values of "
            f"{os.fspath(path)!r} (one record could change them). Give --metadata FILE, a "
            "JSON file with one entry for each of its columns"
            + (f" ({shown})" if header else "") + ", for example\n"
            f"{EXAMPLE_METADATA}\n"
            "(kinds: integer, continuous, categorical, datetime, id; see docs/metadata.md). "
            f"`tabgan metadata {os.fspath(path)} -o metadata.json` drafts one from the data: "
            "review it before use."
        )
    return conform(read_table(path, text=True, **reading), given)


def conform(frame: pd.DataFrame, metadata: Metadata) -> pd.DataFrame:
    """``frame`` (text fields) with every column converted by its declared kind (see the
    module docstring). Every column must be declared."""
    missing = [c for c in frame.columns if c not in metadata]
    if missing:
        lines = ",\n".join(f'    "{c}": {{"kind": "..."}}' for c in missing)
        raise MetadataError(
            f"the metadata does not declare column(s) {missing}; under differential privacy "
            "every column of a CSV needs its declared kind (a date column needs kind "
            '"datetime" and its "datetime_format"). Add to its "columns":\n'
            f"{lines}\n"
            "with each kind one of integer, continuous, categorical, datetime or id."
        )
    decimal = frame.attrs.get("decimal", ".")
    out = {}
    for name in frame.columns:
        meta, series = metadata[name], frame[name]
        if decimal != "." and meta.kind in ("continuous", "integer"):
            series = series.str.replace(decimal, ".", regex=False)
        out[name] = _CONVERT[meta.kind](series, meta)
    result = pd.DataFrame(out, index=frame.index)
    result.columns = frame.columns
    return result


def _numbers(series: pd.Series) -> pd.Series:
    """Fields as float64 numbers; NaN for any field that is not one."""
    return pd.to_numeric(series.astype(object).str.strip(), errors="coerce").astype("float64")


def _continuous(series: pd.Series, meta: ColumnMetadata) -> pd.Series:
    return _numbers(series)


def _integer(series: pd.Series, meta: ColumnMetadata) -> pd.Series:
    values = _numbers(series).to_numpy()
    ok = np.isfinite(values) & (np.abs(values) < 2.0**62)
    return pd.Series(np.where(ok, np.round(values), np.nan), index=series.index).astype("Int64")


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _categorical(series: pd.Series, meta: ColumnMetadata) -> pd.Series:
    if meta.categories is not None:
        by_text = {str(c): c for c in meta.categories if c is not None}
        by_number = {float(c): c for c in meta.categories if _is_number(c)}
        text = series.astype(object).str.strip()
        values = text.map(by_text)
        if by_number:
            numbers = _numbers(series).map(by_number)
            values = values.where(values.notna(), numbers)
        # a field that names no declared category keeps its text: it is not released
        return values.where(values.notna(), text).astype(object)
    return _typed(series, meta.dtype)


def _typed(series: pd.Series, dtype_name: str | None) -> pd.Series:
    """Fields read as a numeric or boolean ``dtype``; text for any other dtype."""
    if dtype_name is None:
        return series.astype(object)
    dtype = pd.api.types.pandas_dtype(dtype_name)
    if pd.api.types.is_bool_dtype(dtype):
        words = {"true": True, "1": True, "false": False, "0": False}
        return series.astype(object).str.strip().str.lower().map(words).astype("boolean")
    if pd.api.types.is_integer_dtype(dtype):
        return _integer(series, None)
    if pd.api.types.is_float_dtype(dtype):
        return _numbers(series)
    return series.astype(object)


def _text(series: pd.Series, meta: ColumnMetadata) -> pd.Series:
    return series.astype(object)


def _identifier(series: pd.Series, meta: ColumnMetadata) -> pd.Series:
    return _typed(series, meta.dtype)


_CONVERT: dict[str, Callable[[pd.Series, ColumnMetadata], pd.Series]] = {
    "continuous": _continuous,
    "integer": _integer,
    "categorical": _categorical,
    "datetime": _text,
    "id": _identifier,
}


def draft_metadata(frame: pd.DataFrame,
                   max_discrete_values: int = DEFAULT_MAX_DISCRETE_VALUES) -> Metadata:
    """A first metadata of ``frame`` inferred from its values (kinds, dtypes where they
    matter, date formats; a column with a distinct value in every row as ``id``), without
    bounds, categories or nullability: a draft for a person to review, never to apply
    under DP as it is."""
    columns = []
    for name in frame.columns:
        series = frame[name]
        column = infer_column(name, series, max_discrete_values)
        spec = ColumnMetadata(name, column.kind, datetime_format=column.datetime_format)
        n = int(series.notna().sum())
        if column.kind == "categorical" and n >= 10 and series.nunique() == n == len(series):
            spec = ColumnMetadata(name, "id")
        elif column.kind == "categorical" and (is_numeric(series)
                                               or pd.api.types.is_bool_dtype(series)):
            spec.dtype = str(series.dtype)  # read as numbers or booleans, not as text
        elif column.kind == "datetime" and column.datetime_format is None:
            spec.dtype = str(series.dtype)  # a Parquet datetime64 column
        columns.append(spec)
    return Metadata(columns)
