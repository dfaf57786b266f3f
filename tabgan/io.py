"""Reading tables and writing files atomically (a temporary file, then a rename)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from tabgan.errors import DataError

__all__ = ["read_table", "write_table", "atomic_path", "atomic_write_text", "table_format"]

_FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
_COMPRESSIONS = {".gz": "gzip", ".bz2": "bz2", ".zip": "zip", ".xz": "xz", ".zst": "zstd"}


def table_format(path: str | os.PathLike) -> str:
    """``"csv"`` or ``"parquet"``, by the file's extension."""
    suffixes = [s.lower() for s in Path(path).suffixes]
    for suffix in reversed(suffixes):
        if suffix in _FORMATS:
            return _FORMATS[suffix]
        if suffix not in _COMPRESSIONS:
            break
    raise DataError(f"cannot tell the format of {str(path)!r}; use a .csv or .parquet file name.")


def read_table(path: str | os.PathLike) -> pd.DataFrame:
    """Read a CSV or Parquet file, chosen by extension."""
    fmt = table_format(path)
    if not Path(path).exists():
        raise DataError(f"no such file: {str(path)!r}.")
    if fmt == "parquet":
        return pd.read_parquet(path)
    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError as exc:
        raise DataError(f"{str(path)!r} is empty; give a CSV file with a header row.") from exc


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only on success."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_table(data: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write a CSV or Parquet file (by extension) atomically."""
    fmt = table_format(path)
    with atomic_path(path) as tmp:
        if fmt == "parquet":
            data.to_parquet(tmp, index=False)
        else:
            # The temporary name ends in .tmp: say the compression the target's name asks for.
            compression = _COMPRESSIONS.get(Path(path).suffix.lower())
            data.to_csv(tmp, index=False, compression=compression)
