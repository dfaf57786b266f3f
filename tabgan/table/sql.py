"""Database tables as sources and sinks, through SQLAlchemy: any database URL it knows.

``read_sql(url, table=...)`` or ``read_sql(url, query=...)`` reads rows a chunk at a time
into typed arrays, so that a large table sits in memory once (see
:mod:`tabgan.table.sql_types`). A table's column types come from the database schema:
integers stay integers (nullable ``Int64`` where there are NULLs), DATE and TIMESTAMP
columns become datetime64, BOOLEAN stays bool, NULLs stay nulls. A query's columns have no
declared type and take theirs from their values.

``write_sql_chunks(chunks, url, table=...)`` creates the table with the types of the first
chunk and inserts every chunk inside one transaction: a failed write, at any chunk, leaves
the database as it was. A table that exists is refused unless ``if_exists`` is
``"replace"`` (dropped and created anew, in the same transaction) or ``"append"``.

SQLite is built into Python and needs nothing installed; other databases need their
driver (PostgreSQL: ``pip install 'tabgan[postgresql]'``, URLs ``postgresql+psycopg://``).

>>> is_url("sqlite:///clinic.db"), is_url("clinic.csv"), is_url("https://host/t.csv")
(True, False, False)
"""

from __future__ import annotations

import contextlib
import os
import re
import warnings
from collections.abc import Iterable, Iterator
from typing import Any

import pandas as pd

from tabgan.errors import ColumnMismatchError, DataError, DuplicateColumnsError

__all__ = [
    "DEFAULT_CHUNK_ROWS",
    "IF_EXISTS",
    "is_url",
    "read_sql",
    "write_sql",
    "write_sql_chunks",
    "check_target",
    "shown",
]

DEFAULT_CHUNK_ROWS = 10_000  # rows fetched, converted or inserted at a time
IF_EXISTS = ("fail", "replace", "append")
_URL = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)(\+[A-Za-z0-9_]+)?://")
# Dialects whose REPEATABLE READ keeps one snapshot for a count and the read after it
# (SQLite's transactions always do).
_SNAPSHOT_DIALECTS = {"postgresql", "mysql", "mariadb"}
# Schemes of URLs that name files, not databases.
_FILE_SCHEMES = {"http", "https", "ftp", "file", "s3", "s3a", "gs", "gcs", "az", "abfs", "abfss",
                 "adl", "hdfs", "memory"}


def is_url(source: Any) -> bool:
    """Whether ``source`` is a database URL (``dialect[+driver]://...``) rather than a
    file."""
    if not isinstance(source, str):
        return False
    match = _URL.match(source)
    return match is not None and match.group(1).lower() not in _FILE_SCHEMES


def shown(url: str) -> str:
    """``url`` as messages show it: the password hidden."""
    return _parse(url)[1]


# ---------------------------------------------------------------------- connections
def _sqlite_file(url) -> str | None:
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):  # a URI filename: SQLite resolves it
        return None
    return database


def _parse(url: str):
    """The parsed URL and its printable form (the password hidden)."""
    import sqlalchemy as sa

    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise DataError(f"{url!r} is not a database URL ({exc}); write it as "
                        "dialect+driver://user:password@host/database.") from exc
    return parsed, parsed.render_as_string(hide_password=True)


@contextlib.contextmanager
def _engine(url: str, *, reading: bool) -> Iterator:
    """An engine for ``url``, disposed of at the end. SQLite's transactions are made to
    cover DDL too. Reading, a SQLite file must exist (connecting would create it);
    writing, a SQLite file that the failed write created is removed."""
    import sqlalchemy as sa

    parsed, shown = _parse(url)
    path = _sqlite_file(parsed)
    if reading and path is not None and not os.path.isfile(path):
        raise DataError(f"no such SQLite database file: {path!r} (from {shown}).")
    existed = path is not None and os.path.exists(path)
    try:
        engine = sa.create_engine(parsed)
    except (sa.exc.NoSuchModuleError, ImportError) as exc:
        extra = " (pip install 'tabgan[postgresql]')" if parsed.get_backend_name() in (
            "postgresql", "postgres") else ""
        raise DataError(f"no driver for {parsed.drivername!r}: {exc}; install the "
                        f"database's Python driver{extra}.") from exc
    if engine.dialect.name == "sqlite" and engine.dialect.driver == "pysqlite":
        # pysqlite leaves DDL outside transactions; SQLAlchemy's recipe brings it in.
        sa.event.listen(engine, "connect", _sqlite_autocommit_off)
        sa.event.listen(engine, "begin", _sqlite_begin)
    try:
        with _refusals(shown):
            yield engine, shown
    except BaseException:
        engine.dispose()
        if not reading and path is not None and not existed:
            for suffix in ("", "-journal", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.remove(path + suffix)
        raise
    engine.dispose()


def _sqlite_autocommit_off(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None


def _sqlite_begin(connection) -> None:
    connection.exec_driver_sql("BEGIN")


@contextlib.contextmanager
def _refusals(shown: str) -> Iterator[None]:
    """What the database refuses (a wrong password, a missing table, bad SQL) is the
    user's to fix: a DataError with the database's own message."""
    import sqlalchemy as sa

    try:
        yield
    except sa.exc.DBAPIError as exc:
        reason = " ".join(str(exc.orig if exc.orig is not None else exc).split())
        raise DataError(f"the database at {shown} refused: {reason}") from exc


def _table(conn, name: str, shown: str):
    import sqlalchemy as sa

    inspector = sa.inspect(conn)
    if not inspector.has_table(name):
        names = sorted(inspector.get_table_names() + inspector.get_view_names())
        listed = ", ".join(map(repr, names[:20])) + (", ..." if len(names) > 20 else "")
        raise DataError(f"no table {name!r} in {shown}; it has {listed or 'no tables'}.")
    with warnings.catch_warnings():  # an unknown SQLite type name: read by its values
        warnings.filterwarnings("ignore", message="Did not recognize type",
                                category=sa.exc.SAWarning)
        return sa.Table(name, sa.MetaData(), autoload_with=conn)


# ---------------------------------------------------------------------- reading
def read_sql(url: str, *, table: str | None = None, query: str | None = None,
             chunksize: int = DEFAULT_CHUNK_ROWS) -> pd.DataFrame:
    """Read a whole table, or the result of a query, from the database at ``url``.

    Rows are fetched ``chunksize`` at a time (a server-side cursor where the driver has
    one) and each chunk is turned into typed arrays at once. A table's rows are counted
    first, so each column is one array filled in place; a query's result is joined from
    its chunks at the end, a column at a time."""
    import sqlalchemy as sa

    from tabgan.table.sql_types import ColumnReader, reader_for

    if (table is None) == (query is None):
        raise DataError("a database source needs a table name or a query, not both: "
                        "table='patients' or query='SELECT ...' (--table or --query).")
    with _engine(url, reading=True) as (engine, shown), engine.connect() as conn:
        if engine.dialect.name in _SNAPSHOT_DIALECTS:  # the count and the rows agree
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        if table is not None:
            source = _table(conn, table, shown)
            rows = conn.execute(sa.select(sa.func.count()).select_from(source)).scalar_one()
            readers = [reader_for(c.name, c.type, engine.dialect, rows) for c in source.columns]
            statement = sa.select(source)
        elif engine.dialect.name == "sqlite" and (view := _typed_view(conn, query)) is not None:
            readers = [reader_for(c.name, c.type, engine.dialect) for c in view.columns]
            statement = sa.select(view)
        else:
            statement, readers = sa.text(query), None
        result = conn.execution_options(stream_results=True, yield_per=chunksize).execute(
            statement)
        names = list(result.keys())
        if len(set(names)) != len(names):
            twice = sorted({n for n in names if names.count(n) > 1})
            raise DuplicateColumnsError(f"the query gives the column(s) {twice} more than "
                                        "once; name each column once (SELECT a AS a2, ...).")
        readers = readers or [ColumnReader(name, None) for name in names]
        for rows in result.partitions():
            for reader, values in zip(readers, zip(*rows, strict=True), strict=True):
                reader.add(values)
        columns = {}
        for name, reader in zip(names, readers, strict=True):
            columns[name] = reader.finish()
    return pd.DataFrame(columns, columns=names, copy=False)


def _typed_view(conn, query: str):
    """SQLite hands over a query's values without their columns' declared types (dates as
    text, booleans as 0 and 1). A temporary view of the query, on this connection only,
    has them: a column taken straight from a table keeps its type. None where the query
    cannot be a view; it then runs as it is."""
    import uuid

    import sqlalchemy as sa

    name = f"tabgan_query_{uuid.uuid4().hex}"
    try:
        conn.exec_driver_sql(f'CREATE TEMP VIEW "{name}" AS {query.strip().rstrip(";")}')
    except sa.exc.DBAPIError:
        return None
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Did not recognize type",
                                category=sa.exc.SAWarning)
        return sa.Table(name, sa.MetaData(), autoload_with=conn, schema="temp")


# ---------------------------------------------------------------------- writing
def _check_arguments(table: Any, if_exists: str) -> None:
    if not isinstance(table, str) or not table:
        raise DataError("a database target needs a table name: table='synthetic' "
                        "(--output-table on the command line).")
    if if_exists not in IF_EXISTS:
        raise DataError(f"if_exists must be one of {', '.join(IF_EXISTS)}, got {if_exists!r}.")


def _refuse_existing(table: str, shown: str) -> None:
    raise DataError(f"table {table!r} already exists in {shown}; pass if_exists='replace' to "
                    "overwrite it or 'append' to add rows (--if-exists), or choose another "
                    "name.")


def check_target(url: str, *, table: str, if_exists: str = "fail") -> None:
    """Fail now, before any work, where writing ``table`` later would fail: a bad URL or
    driver, an unreachable database, or a table that exists under ``if_exists='fail'``."""
    import sqlalchemy as sa

    _check_arguments(table, if_exists)
    path = _sqlite_file(_parse(url)[0])
    if path is not None and not os.path.exists(path):
        return  # a new SQLite file: nothing in it yet, and connecting would create it
    with _engine(url, reading=True) as (engine, shown), engine.connect() as conn:
        if if_exists == "fail" and sa.inspect(conn).has_table(table):
            _refuse_existing(table, shown)


def _names(frame: pd.DataFrame) -> list[str]:
    names = [str(c) for c in frame.columns]
    if len(set(names)) != len(names):
        raise DuplicateColumnsError("two columns have the same name; rename one first.")
    return names


def _prepare(conn, chunk: pd.DataFrame, table: str, if_exists: str, shown: str):
    """The table to insert into (created, replaced or reflected) and each column's
    target."""
    import sqlalchemy as sa

    from tabgan.table.sql_targets import target_for, target_of_column

    names = _names(chunk)
    exists = sa.inspect(conn).has_table(table)
    if exists and if_exists == "fail":
        _refuse_existing(table, shown)
    if exists and if_exists == "append":
        existing = _table(conn, table, shown)
        have = [c.name for c in existing.columns]
        if sorted(have) != sorted(names):
            raise ColumnMismatchError(
                f"table {table!r} has the columns {have}, the rows to append have {names}; "
                "append rows with the same columns, or write a new table.")
        targets = [target_of_column(name, existing.columns[name].type, conn.dialect)
                   for name in names]
        return existing, targets
    if exists:
        _table(conn, table, shown).drop(conn)
    targets = [target_for(column, chunk[column]) for column in chunk.columns]
    created = sa.Table(table, sa.MetaData(),
                       *[sa.Column(n, t.sql_type) for n, t in zip(names, targets, strict=True)])
    created.create(conn)
    return created, targets


def write_sql_chunks(chunks: Iterable[pd.DataFrame], url: str, *, table: str,
                     if_exists: str = "fail", progress=None) -> int:
    """Write DataFrames as one database table, chunk by chunk, in one transaction.

    The first chunk's dtypes give the new table's column types (bool: BOOLEAN, integers:
    SMALLINT / INTEGER / BIGINT by width, floats: REAL or DOUBLE PRECISION, datetime64:
    TIMESTAMP, with a time zone where the column has one, datetime64[s] at midnight: DATE,
    text: TEXT). Returns the number of rows written; ``progress(rows)`` is called after
    each chunk."""
    from tabgan.table.sql_targets import python_values

    _check_arguments(table, if_exists)
    rows = 0
    with _engine(url, reading=False) as (engine, shown), engine.begin() as conn:
        target = first = None
        for chunk in chunks:
            if target is None:
                target, first = _prepare(conn, chunk, table, if_exists, shown), _names(chunk)
            into, targets = target
            names = _names(chunk)
            if names != first:
                raise ColumnMismatchError(f"a chunk has the columns {names}, the first one had "
                                          f"{first}; every chunk needs the same columns.")
            if len(chunk) == 0:
                continue
            columns = [python_values(c, chunk[c], t)
                       for c, t in zip(chunk.columns, targets, strict=True)]
            records = [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]
            del columns
            conn.execute(into.insert(), records)
            rows += len(chunk)
            if progress:
                progress(len(chunk))
    return rows


def write_sql(data: pd.DataFrame, url: str, *, table: str, if_exists: str = "fail",
              chunksize: int = DEFAULT_CHUNK_ROWS) -> int:
    """Write a DataFrame as a database table in one transaction, ``chunksize`` rows at a
    time (so the driver's Python copy of the rows stays small)."""
    slices = (data.iloc[start:start + chunksize] for start in range(0, max(len(data), 1),
                                                                      chunksize))
    return write_sql_chunks(slices, url, table=table, if_exists=if_exists)
