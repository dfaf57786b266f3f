"""Reading tables and writing files atomically (a temporary file, then a rename)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from tabgan.errors import DataError

__all__ = [
    "read_table",
    "write_table",
    "write_table_chunks",
    "prefetch",
    "atomic_path",
    "atomic_write_text",
    "table_format",
]

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


def read_table(path: str | os.PathLike, *, text: bool = False) -> pd.DataFrame:
    """Read a CSV or Parquet file, chosen by extension. ``text=True`` reads every CSV
    column as strings (nulls as NaN), for a caller that takes the types from a declared
    schema instead of the values (see :mod:`tabgan.table.declared`)."""
    fmt = table_format(path)
    if not Path(path).exists():
        raise DataError(f"no such file: {str(path)!r}.")
    if fmt == "parquet":
        return pd.read_parquet(path)
    try:
        return pd.read_csv(path, dtype=str if text else None)
    except pd.errors.EmptyDataError as exc:
        raise DataError(f"{str(path)!r} is empty; give a CSV file with a header row.") from exc


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only on success.
    The file gets the permissions a plainly created file would (0666 less the umask), not
    the owner-only ones of a temporary file."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o666 & ~_umask())
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def _umask() -> int:
    """The process's umask, read without changing it where the system allows."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)  # elsewhere: set and restore
    os.umask(mask)
    return mask


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def _write_csv_fast(frame: pd.DataFrame, handle, *, header: bool) -> None:
    """CSV through Arrow's multi-threaded writer: several times faster than pandas on large
    tables. Strings are quoted, nulls are empty fields, booleans are true/false; datetime
    columns are written as pandas formats them."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    frame = frame.copy(deep=False)
    frame.columns = [str(c) for c in frame.columns]
    for name in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[name]):
            column = frame[name]
            frame[name] = column.astype(str).where(column.notna(), None)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    options = pacsv.WriteOptions(include_header=header, quoting_style="needed")
    pacsv.write_csv(table, handle, write_options=options)


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


def prefetch(iterable, depth: int = 2):
    """Iterate ``iterable`` in a background thread, ``depth`` items ahead.

    Generating the next chunk (matrix products that release the GIL) then overlaps with
    writing the current one. Exceptions reach the consumer; if the consumer stops early the
    producer stops at its next item."""
    import queue
    import threading

    items: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def produce() -> None:
        try:
            for item in iterable:
                while not stop.is_set():
                    try:
                        items.put((item, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            items.put((done, None))
        except BaseException as exc:  # handed to the consumer
            items.put((done, exc))

    thread = threading.Thread(target=produce, daemon=True)
    thread.start()
    try:
        while True:
            item, error = items.get()
            if error is not None:
                raise error
            if item is done:
                return
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)


def write_table_chunks(chunks, path: str | os.PathLike, *, progress=None) -> int:
    """Write an iterable of DataFrames as one CSV or Parquet file, chunk by chunk, so
    memory stays bounded by a few chunks. The next chunk is produced while the current
    one is written. The file appears only when complete. Returns the number of rows
    written; ``progress(rows)`` is called after each chunk."""
    fmt = table_format(path)
    chunks = prefetch(chunks)
    rows = 0
    with atomic_path(path) as tmp:
        if fmt == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            writer = None
            try:
                for chunk in chunks:
                    table = pa.Table.from_pandas(chunk, preserve_index=False)
                    if writer is None:
                        writer = pq.ParquetWriter(tmp, table.schema)
                    else:
                        table = table.cast(writer.schema)
                    writer.write_table(table)
                    rows += len(chunk)
                    if progress:
                        progress(len(chunk))
            finally:
                if writer is not None:
                    writer.close()
        else:
            compression = _COMPRESSIONS.get(Path(path).suffix.lower())
            if compression is None:
                with open(tmp, "wb") as handle:
                    for i, chunk in enumerate(chunks):
                        _write_csv_fast(chunk, handle, header=i == 0)
                        rows += len(chunk)
                        if progress:
                            progress(len(chunk))
            else:  # appended members of gzip, bz2 and xz streams read back as one file
                for i, chunk in enumerate(chunks):
                    chunk.to_csv(tmp, index=False, header=i == 0, mode="w" if i == 0 else "a",
                                 compression=compression)
                    rows += len(chunk)
                    if progress:
                        progress(len(chunk))
    return rows
