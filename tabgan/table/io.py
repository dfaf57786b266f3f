"""Reading and writing tables: CSV / Parquet files by extension, written atomically, and
database tables through a SQLAlchemy URL.

The pieces live in their own modules: :mod:`tabgan.table.dialect` (CSV separators,
decimal marks and encodings), :mod:`tabgan.table.formats` (formats and compression),
:mod:`tabgan.table.writer` (the one table writer), :mod:`tabgan.table.atomic` (atomic
writes) and :mod:`tabgan.table.sql` (databases); this module is where callers find them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from tabgan.errors import DataError
from tabgan.table import formats, sql, writer
from tabgan.table.atomic import atomic_path, atomic_write_text
from tabgan.table.dialect import read_csv
from tabgan.table.metadata import Metadata
from tabgan.table.writer import prefetch

__all__ = [
    "read_table",
    "write_table",
    "write_table_chunks",
    "prefetch",
    "atomic_path",
    "atomic_write_text",
    "table_format",
]


def table_format(path: str | os.PathLike) -> str:
    """``"csv"`` or ``"parquet"``, by the file's extension; ``"sql"`` for a database URL."""
    if sql.is_url(path):
        return "sql"
    return formats.table_format(path)


def read_table(
    path: str | os.PathLike,
    *,
    table: str | None = None,
    query: str | None = None,
    sep: str | None = None,
    decimal: str | None = None,
    encoding: str | None = None,
    na_values: Iterable[str] | None = None,
    verbose: bool = False,
    text: bool = False,
) -> pd.DataFrame:
    """Read a CSV or Parquet file, chosen by extension (``.csv.gz`` and the like too), or
    from a database URL a ``table`` or the result of a ``query`` (see
    :func:`tabgan.table.sql.read_sql`).

    For CSV, ``sep`` (``,`` ``;`` tab ``|``), ``decimal`` (``.`` or ``,``) and ``encoding``
    are sniffed when None (see :mod:`tabgan.table.dialect`). ``na_values=None`` reads the
    standard null strings (``NA``, ``N/A``, ``null``, ...) as nulls everywhere and common
    placeholders (``?``, ``-``, ``unknown``, ...) as nulls in columns of numbers or dates; a
    list reads exactly its strings (and empty fields) as nulls, in every column, and in a
    Parquet file's text columns too. Dates in several formats become datetimes. With
    ``verbose``, what was detected is printed to stderr.

    ``text=True`` reads every CSV column as strings, pandas' standard null strings as nulls
    and nothing else read off the values (no placeholders, no dates), for a caller that
    takes the types from a declared schema (see :mod:`tabgan.table.declared`); the decimal
    mark is kept in ``frame.attrs["decimal"]``."""
    if sql.is_url(path):
        return sql.read_sql(path, table=table, query=query)
    _file_only(path, table=table, query=query)
    fmt = table_format(path)
    if not Path(path).exists():
        raise DataError(f"no such file: {str(path)!r}.")
    notes: list[str] = []
    if fmt == "parquet":
        frame = _read_parquet(path, na_values)
    else:
        frame = read_csv(path, sep=sep, decimal=decimal, encoding=encoding,
                         na_values=na_values, notes=notes, text=text)
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


def _file_only(path, **database_options) -> None:
    given = [name for name, value in database_options.items()
             if value is not None and value != "fail"]
    if given:
        named = " and ".join(f"{name}=" for name in given)
        raise DataError(f"{named} only apply to a database URL, and {str(path)!r} is a file; "
                        "give a URL such as sqlite:///data.db, or leave them out.")


def write_table(data: pd.DataFrame, path: str | os.PathLike, *, table: str | None = None,
                if_exists: str = "fail", metadata: Metadata | None = None) -> None:
    """Write a CSV or Parquet file (by extension) atomically, or a database ``table`` in
    one transaction (see :func:`tabgan.table.sql.write_sql`); ``if_exists`` says what
    becomes of a database table that exists: ``"fail"``, ``"replace"`` or ``"append"``.
    ``metadata`` (the model's) gives Parquet columns their types."""
    if sql.is_url(path):
        sql.write_sql(data, path, table=table, if_exists=if_exists)
        return
    _file_only(path, table=table, if_exists=if_exists)
    writer.write_table(data, path, metadata=metadata)


def write_table_chunks(chunks, path: str | os.PathLike, *, progress=None,
                       table: str | None = None, if_exists: str = "fail",
                       metadata: Metadata | None = None) -> int:
    """Write an iterable of DataFrames as one CSV or Parquet file, or one database
    ``table``, chunk by chunk, so memory stays bounded by a few chunks. The next chunk is
    produced while the current one is written. The file appears only when complete (a
    table: in one transaction). Returns the number of rows written; ``progress(rows)`` is
    called after each chunk."""
    if sql.is_url(path):
        return sql.write_sql_chunks(prefetch(chunks), path, table=table, if_exists=if_exists,
                                    progress=progress)
    _file_only(path, table=table, if_exists=if_exists)
    return writer.write_table_chunks(chunks, path, progress=progress, metadata=metadata)
