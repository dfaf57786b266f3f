"""Reading tables, and the writers: CSV / Parquet by extension, written atomically.

The pieces live in their own modules: :mod:`tabgan.table.dialect` (CSV separators,
decimal marks and encodings), :mod:`tabgan.table.formats` (formats and compression),
:mod:`tabgan.table.writer` (the one table writer) and :mod:`tabgan.table.atomic` (atomic
writes); this module is where callers find them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from tabgan.errors import DataError
from tabgan.table.atomic import atomic_path, atomic_write_text
from tabgan.table.dialect import read_csv
from tabgan.table.formats import table_format
from tabgan.table.writer import prefetch, write_table, write_table_chunks

__all__ = [
    "read_table",
    "write_table",
    "write_table_chunks",
    "prefetch",
    "atomic_path",
    "atomic_write_text",
    "table_format",
]


def read_table(
    path: str | os.PathLike,
    *,
    sep: str | None = None,
    decimal: str | None = None,
    encoding: str | None = None,
    na_values: Iterable[str] | None = None,
    verbose: bool = False,
) -> pd.DataFrame:
    """Read a CSV or Parquet file, chosen by extension (``.csv.gz`` and the like too).

    For CSV, ``sep`` (``,`` ``;`` tab ``|``), ``decimal`` (``.`` or ``,``) and ``encoding``
    are sniffed when None (see :mod:`tabgan.table.dialect`). ``na_values=None`` reads the
    standard null strings (``NA``, ``N/A``, ``null``, ...) as nulls everywhere and common
    placeholders (``?``, ``-``, ``unknown``, ...) as nulls in columns of numbers or dates; a
    list reads exactly its strings (and empty fields) as nulls, in every column, and in a
    Parquet file's text columns too. Dates in several formats become datetimes. With
    ``verbose``, what was detected is printed to stderr."""
    fmt = table_format(path)
    if not Path(path).exists():
        raise DataError(f"no such file: {str(path)!r}.")
    notes: list[str] = []
    if fmt == "parquet":
        frame = _read_parquet(path, na_values)
    else:
        frame = read_csv(path, sep=sep, decimal=decimal, encoding=encoding,
                         na_values=na_values, notes=notes)
    if verbose:
        for note in notes:
            print(f"tabgan: {note}", file=sys.stderr)
    return frame


def _read_parquet(path: str | os.PathLike, na_values: Iterable[str] | None) -> pd.DataFrame:
    frame = pd.read_parquet(path)
    if na_values is None:
        return frame
    tokens = {na_values} if isinstance(na_values, str) else set(na_values)
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column):
            frame[name] = column.where(~column.isin(tokens), None)
    return frame
