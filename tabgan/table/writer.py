"""The one table writer: every command that writes a table writes it here, in one dialect.

CSV goes through Arrow's multi-threaded writer (several times faster than pandas on large
tables): comma-separated, UTF-8, a ``.`` decimal mark, numbers in their shortest exact form
(a whole float is ``46``, never ``46.0``), booleans ``true``/``false``, strings in double
quotes, nulls as empty fields, datetimes as pandas formats them. A table written at once and
one streamed chunk by chunk give the same bytes. Compressed outputs hold one stream named
after the output (see :mod:`tabgan.table.formats`).

Parquet columns take their types from the table's metadata when it is given (the model's,
for sampled rows), not from the first chunk, so a text column that happens to be all null in
the first chunk is still text; date strings (a ``datetime_format``) are written as
timestamps.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator

import numpy as np
import pandas as pd

from tabgan.table import datetimes
from tabgan.table.atomic import atomic_path
from tabgan.table.columns import ColumnMetadata
from tabgan.table.formats import open_write, table_format
from tabgan.table.metadata import Metadata

__all__ = ["write_table", "write_table_chunks", "write_frames", "prefetch", "arrow_schema"]


def write_table(data: pd.DataFrame, path: str | os.PathLike, *,
                metadata: Metadata | None = None) -> None:
    """Write a CSV or Parquet file (by extension) atomically. ``metadata`` (the model's, for
    a synthetic table) gives Parquet its column types."""
    write_frames([data], path, metadata=metadata)


def write_table_chunks(chunks: Iterable[pd.DataFrame], path: str | os.PathLike, *,
                       progress: Callable[[int], object] | None = None,
                       metadata: Metadata | None = None) -> int:
    """Write an iterable of DataFrames as one CSV or Parquet file, chunk by chunk, so memory
    stays bounded by a few chunks. The next chunk is produced while the current one is
    written. The file appears only when complete. Returns the number of rows written;
    ``progress(rows)`` is called after each chunk."""
    with contextlib.closing(prefetch(chunks)) as stream:
        return write_frames(stream, path, progress=progress, metadata=metadata)


def write_frames(chunks: Iterable[pd.DataFrame], path: str | os.PathLike, *,
                 progress: Callable[[int], object] | None = None,
                 metadata: Metadata | None = None) -> int:
    """Write ``chunks`` (in the caller's thread) as one file; the number of rows."""
    fmt = table_format(path)
    with atomic_path(path) as tmp:
        if fmt == "parquet":
            return _write_parquet(chunks, tmp, metadata, progress)
        with open_write(tmp, path) as handle:
            return _write_csv(chunks, handle, progress)


def _write_csv(chunks, handle, progress) -> int:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rows = 0
    for i, chunk in enumerate(chunks):
        frame = chunk.copy(deep=False)
        frame.columns = [str(c) for c in frame.columns]
        for name in frame.columns:
            column = frame[name]
            if pd.api.types.is_datetime64_any_dtype(column):
                frame[name] = column.astype(str).where(column.notna(), None)
            elif isinstance(column.dtype, pd.CategoricalDtype):
                frame[name] = column.astype(object).where(column.notna(), None)
        table = pa.Table.from_pandas(frame, preserve_index=False)
        options = pacsv.WriteOptions(include_header=i == 0, quoting_style="needed")
        pacsv.write_csv(table, handle, write_options=options)
        rows += len(chunk)
        if progress:
            progress(len(chunk))
    return rows


def _write_parquet(chunks, tmp, metadata: Metadata | None, progress) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer = schema = None
    rows = 0
    try:
        for chunk in chunks:
            frame = _as_parquet_frame(chunk, metadata)
            if schema is None:
                schema = arrow_schema(metadata, frame)
            table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema)
            writer.write_table(table)
            rows += len(chunk)
            if progress:
                progress(len(chunk))
        if writer is None:  # no chunk at all: an empty file of the right columns
            frame = pd.DataFrame({c.name: pd.Series(dtype=object) for c in metadata.columns}
                                 if metadata is not None else {})
            schema = arrow_schema(metadata, frame)
            pq.write_table(pa.Table.from_pandas(frame, schema=schema, preserve_index=False),
                           tmp)
    finally:
        if writer is not None:
            writer.close()
    return rows


def _as_parquet_frame(chunk: pd.DataFrame, metadata: Metadata | None) -> pd.DataFrame:
    """Date strings (columns with a ``datetime_format``) as datetimes."""
    frame = chunk.copy(deep=False)
    frame.columns = [str(c) for c in frame.columns]
    for column in _columns(metadata):
        if column.kind == "datetime" and column.datetime_format is not None:
            name = str(column.name)
            if name in frame.columns and not pd.api.types.is_datetime64_any_dtype(frame[name]):
                frame[name] = datetimes.parse(frame[name], column.datetime_format,
                                              errors="coerce")
    return frame


def _columns(metadata: Metadata | None) -> list[ColumnMetadata]:
    return [] if metadata is None else list(metadata.columns)


def arrow_schema(metadata: Metadata | None, frame: pd.DataFrame):
    """The Arrow schema of ``frame``'s columns: from ``metadata`` where it tells the type,
    else from ``frame`` itself (a column with no value there is text)."""
    import pyarrow as pa

    by_name = {str(c.name): c for c in _columns(metadata)}
    inferred = pa.Schema.from_pandas(frame, preserve_index=False)
    fields = []
    for field in inferred:
        column = by_name.get(field.name)
        kind = _arrow_type(column) if column is not None else None
        if kind is None:
            text = pa.types.is_null(field.type) or pa.types.is_large_string(field.type)
            kind = pa.string() if text else field.type  # pandas 3's str: the same type
        fields.append(pa.field(field.name, kind))
    return pa.schema(fields, metadata=inferred.metadata)


def _arrow_type(column: ColumnMetadata):
    """The Arrow type of a column as tabgan restores it, or None when unknown."""
    import pyarrow as pa

    if column.kind == "datetime" and column.datetime_format is not None:
        return pa.timestamp(datetimes.column_unit(column.dtype, column.datetime_format))
    dtype = _pandas_dtype(column.dtype)
    if column.kind == "categorical" and (dtype is None or dtype == np.dtype(object)
                                         or isinstance(dtype, pd.CategoricalDtype)
                                         or isinstance(dtype, pd.StringDtype)):
        if isinstance(dtype, pd.StringDtype):
            return pa.string()
        value = _value_type(column.categories)
        if isinstance(dtype, pd.CategoricalDtype):
            return None if value is None else pa.dictionary(pa.int32(), value,
                                                            ordered=column.ordered)
        return value
    if dtype is None:
        return None
    if isinstance(dtype, pd.DatetimeTZDtype):
        return pa.timestamp(dtype.unit, tz=str(dtype.tz))
    if isinstance(dtype, pd.BooleanDtype):
        return pa.bool_()
    if isinstance(dtype, pd.StringDtype):
        return pa.string()
    numpy_dtype = getattr(dtype, "numpy_dtype", dtype)
    if isinstance(numpy_dtype, np.dtype) and numpy_dtype.kind in "iufbM":
        return pa.from_numpy_dtype(numpy_dtype)
    if isinstance(numpy_dtype, np.dtype) and numpy_dtype == np.dtype(object):
        return pa.string() if column.kind == "id" else None
    return None


def _pandas_dtype(name: str | None):
    if name is None:
        return None
    try:
        return pd.api.types.pandas_dtype(name)
    except TypeError:
        return None


def _value_type(categories: list | None):
    """The one Arrow type of a categorical column's values, or None if they do not say."""
    import pyarrow as pa

    values = [v for v in categories or [] if v is not None]
    if not values:
        return None
    types = {type(v) for v in values}
    if types <= {str}:
        return pa.string()
    if types <= {bool}:
        return pa.bool_()
    if types <= {int}:
        return pa.int64()
    if types <= {int, float}:
        return pa.float64()
    return None


def prefetch(iterable: Iterable, depth: int = 2) -> Iterator:
    """Iterate ``iterable`` in a background thread, ``depth`` items ahead.

    Generating the next chunk (matrix products that release the GIL) then overlaps with
    writing the current one. Exceptions reach the consumer. When the consumer stops early
    (or fails), closing this generator stops the producer at its next item and waits for
    it, so no thread is left running native code when the interpreter exits."""
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
        while thread.is_alive():  # drain so that a producer blocked on put sees the stop
            with contextlib.suppress(queue.Empty):
                items.get(timeout=0.1)
        thread.join()
