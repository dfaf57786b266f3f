"""Reading tables, and the writers: CSV / Parquet by extension, written atomically.

The pieces live in their own modules: :mod:`tabgan.table.formats` (formats and
compression), :mod:`tabgan.table.writer` (the one table writer) and
:mod:`tabgan.table.atomic` (atomic writes); this module is where callers find them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from tabgan.errors import DataError
from tabgan.table.atomic import atomic_path, atomic_write_text
from tabgan.table.formats import open_read, table_format
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


def read_table(path: str | os.PathLike) -> pd.DataFrame:
    """Read a CSV or Parquet file, chosen by extension."""
    fmt = table_format(path)
    if not Path(path).exists():
        raise DataError(f"no such file: {str(path)!r}.")
    if fmt == "parquet":
        return pd.read_parquet(path)
    try:
        with open_read(path) as handle:  # decompressed as the name says
            return pd.read_csv(handle)
    except pd.errors.EmptyDataError as exc:
        raise DataError(f"{str(path)!r} is empty; give a CSV file with a header row.") from exc
