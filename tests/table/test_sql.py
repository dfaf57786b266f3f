"""Database sources and sinks against a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

import datetime as dt
import decimal
import sqlite3

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tabgan.errors import ColumnMismatchError, ColumnTypeMismatchError, DataError
from tabgan.table.io import read_table, table_format, write_table, write_table_chunks
from tabgan.table.sql import check_target, is_url, read_sql, write_sql, write_sql_chunks

PATIENTS_DDL = """CREATE TABLE patients (
    id INTEGER PRIMARY KEY, age INTEGER, height REAL, born DATE, seen TIMESTAMP,
    smoker BOOLEAN, name VARCHAR(20), cost NUMERIC(10, 2), visits BIGINT)"""
PATIENTS = [
    {"id": 1, "age": 30, "height": 1.75, "born": dt.date(1990, 1, 2),
     "seen": dt.datetime(2020, 1, 1, 10, 0), "smoker": True, "name": "ann",
     "cost": decimal.Decimal("10.25"), "visits": 3},
    {"id": 2, "age": None, "height": None, "born": None, "seen": None, "smoker": None,
     "name": None, "cost": None, "visits": 4},
    {"id": 3, "age": 41, "height": 1.6, "born": dt.date(1980, 5, 6),
     "seen": dt.datetime(2021, 2, 3, 4, 5, 6, 123456), "smoker": False, "name": "bob",
     "cost": decimal.Decimal("3.00"), "visits": 5},
]


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path) -> str:
    """An empty database: a new SQLite file, or a new database on the PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    return request.getfixturevalue("postgres_url")


def _create(url: str, ddl: str, rows: list[dict]) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(ddl)
        table = sa.Table(ddl.split()[2], sa.MetaData(), autoload_with=conn)
        if rows:
            conn.execute(table.insert(), rows)
    engine.dispose()


def _tables(url: str) -> list[str]:
    engine = sa.create_engine(url)
    try:
        return sorted(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


TEXT = str(pd.Series(["text"]).dtype)  # pandas' own text dtype: object on 2.x, str on 3.x


def _listed(series: pd.Series) -> list:
    """The values, nulls as None (pandas 3's str dtype holds them as NaN)."""
    return [None if pd.isna(v) else v for v in series.tolist()]


def _assert_same(back: pd.DataFrame, expected: pd.DataFrame, *, text: tuple) -> None:
    """Equal frames; the ``text`` columns in pandas' own text dtype, whichever it is."""
    for name in text:
        assert _listed(back[name]) == _listed(expected[name]), name
        assert back[name].isna().all() or str(back[name].dtype) == TEXT, name
    pd.testing.assert_frame_equal(back.drop(columns=list(text)),
                                  expected.drop(columns=list(text)))


def _column_types(url: str, table: str) -> dict[str, str]:
    engine = sa.create_engine(url)
    try:
        columns = sa.inspect(engine).get_columns(table)
        return {c["name"]: str(c["type"].compile(dialect=engine.dialect)) for c in columns}
    finally:
        engine.dispose()


# ---------------------------------------------------------------------- reading
def test_column_types_come_from_the_schema(url):
    _create(url, PATIENTS_DDL, PATIENTS)
    frame = read_table(url, table="patients")
    assert frame.columns.tolist() == list(PATIENTS[0])
    dtypes = {name: str(dtype) for name, dtype in frame.dtypes.items()}
    integer = "int64" if url.startswith("sqlite") else "int32"  # PostgreSQL's INTEGER: 32 bits
    assert dtypes == {"id": integer, "age": integer.capitalize(),  # NULLs: nullable Int
                      "height": "float64" if url.startswith("sqlite") else "float32",
                      "born": "datetime64[s]", "seen": "datetime64[us]", "smoker": "boolean",
                      "name": TEXT, "cost": "float64", "visits": "int64"}
    assert frame["age"].tolist()[0] == 30 and frame["age"].isna().tolist() == [False, True, False]
    assert frame["born"].tolist()[0] == pd.Timestamp("1990-01-02")
    assert frame["seen"].tolist()[2] == pd.Timestamp("2021-02-03 04:05:06.123456")
    assert frame["smoker"].tolist()[0] is True and frame["smoker"].isna()[1]
    assert _listed(frame["name"]) == ["ann", None, "bob"]
    assert frame["cost"].tolist()[0] == 10.25 and np.isnan(frame["cost"][1])


@pytest.mark.parametrize("chunksize", [1, 2, 3, 1000])
def test_reading_in_chunks_gives_the_same_frame(url, chunksize):
    _create(url, PATIENTS_DDL, PATIENTS)
    whole = read_sql(url, table="patients", chunksize=1000)
    pd.testing.assert_frame_equal(read_sql(url, table="patients", chunksize=chunksize), whole)


def test_a_chunk_of_nulls_only_takes_the_column_type(url):
    rows = [{"id": i, "age": None if i < 4 else i, "height": None, "born": None, "seen": None,
             "smoker": None if i < 4 else True, "name": None, "cost": None, "visits": i}
            for i in range(6)]
    _create(url, PATIENTS_DDL, rows)
    frame = read_sql(url, table="patients", chunksize=2)
    assert frame["age"].isna().sum() == 4 and frame["age"].dropna().tolist() == [4, 5]
    assert frame["smoker"].dtype == "boolean"
    assert frame["name"].isna().all() and frame["born"].dtype == "datetime64[s]"


def test_a_query(url):
    _create(url, PATIENTS_DDL, PATIENTS)
    frame = read_table(url, query="SELECT name, born, smoker, age + 1 AS older FROM patients "
                                  "WHERE id <> 2 ORDER BY id;")
    assert frame["name"].tolist() == ["ann", "bob"]
    assert frame["born"].dtype == "datetime64[s]"  # SQLite too: the table's declared type
    assert frame["smoker"].tolist() == [True, False]
    assert frame["older"].tolist() == [31, 42]
    assert pd.api.types.is_integer_dtype(frame["older"])


def test_an_untyped_column_takes_its_type_from_its_values(tmp_path):
    path = tmp_path / "t.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (a, b, c)")
        conn.executemany("INSERT INTO t VALUES (?, ?, ?)",
                         [(1, "x", None), (None, "y", None), (2.5, None, None)])
    frame = read_sql(f"sqlite:///{path}", table="t", chunksize=1)
    assert frame["a"].dtype == "float64" and frame["a"].isna().tolist() == [False, True, False]
    assert _listed(frame["b"]) == ["x", "y", None]
    assert frame["c"].isna().all()


def test_values_against_their_declared_type_are_an_error(tmp_path):
    path = tmp_path / "t.db"
    with sqlite3.connect(path) as conn:  # SQLite keeps whatever is inserted
        conn.execute("CREATE TABLE t (n INTEGER, m)")
        conn.executemany("INSERT INTO t VALUES (?, ?)", [(1, 1), (2.5, "x")])
    with pytest.raises(DataError, match=r"'n' is declared INTEGER but holds 2\.5.*CAST"):
        read_sql(f"sqlite:///{path}", table="t")
    with pytest.raises(DataError, match=r"'m' holds values of type int, str.*CAST"):
        read_sql(f"sqlite:///{path}", query="SELECT m FROM t")
    with pytest.raises(DataError, match=r"'m' holds int values and also 'x'"):
        read_sql(f"sqlite:///{path}", query="SELECT m FROM t", chunksize=1)


def test_a_type_tabgan_cannot_model_is_named(tmp_path):
    path = tmp_path / "t.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (n INTEGER, picture BLOB)")
    with pytest.raises(DataError, match="'picture' has the SQL type BLOB.*--query"):
        read_sql(f"sqlite:///{path}", table="t")


def test_reading_errors_name_the_fix(tmp_path, url):
    missing = tmp_path / "missing.db"
    with pytest.raises(DataError, match="no such SQLite database file"):
        read_table(f"sqlite:///{missing}", table="t")
    assert not missing.exists()  # reading never creates a database
    _create(url, PATIENTS_DDL, PATIENTS)
    with pytest.raises(DataError, match="no table 'patient' in .* it has 'patients'"):
        read_table(url, table="patient")
    with pytest.raises(DataError, match="a table name or a query, not both"):
        read_table(url, table="patients", query="SELECT 1")
    with pytest.raises(DataError, match="a table name or a query"):
        read_table(url)
    with pytest.raises(DataError, match="refused: .*nosuch"):
        read_table(url, query="SELECT nosuch FROM patients")
    if url.startswith("postgresql"):  # SQLite renames the second one
        with pytest.raises(DataError, match="more than once"):
            read_table(url, query="SELECT age, age FROM patients")


def test_urls_and_drivers():
    assert is_url("sqlite:///clinic.db") and is_url("postgresql+psycopg://u:p@h:5432/db")
    assert not is_url("clinic.csv") and not is_url("s3://bucket/t.csv")
    assert not is_url("C:\\data\\t.csv") and table_format("sqlite://") == "sql"
    with pytest.raises(DataError, match="no driver for 'nosuchdb'"):
        read_table("nosuchdb://host/db", table="t")
    with pytest.raises(DataError, match="refused") as info:
        read_table("postgresql+psycopg://someone:secret@127.0.0.1:1/db", table="t")
    assert "secret" not in str(info.value)  # the password is never shown


def test_database_options_with_a_file_are_an_error(tmp_path):
    path = tmp_path / "t.csv"
    pd.DataFrame({"a": [1]}).to_csv(path, index=False)
    with pytest.raises(DataError, match="table= only apply to a database URL"):
        read_table(path, table="t")
    with pytest.raises(DataError, match="if_exists= only apply"):
        write_table(pd.DataFrame({"a": [1]}), path, if_exists="replace")


# ---------------------------------------------------------------------- writing
def _typed_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "n": np.array([1, -2, 3], dtype="int64"),
        "small": np.array([1, 2, 3], dtype="int16"),
        "maybe": pd.array([1, None, 3], dtype="Int64"),
        "x": [0.5, np.nan, -1e300],
        "flag": [True, False, True],
        "nullable_flag": pd.array([True, None, False], dtype="boolean"),
        "day": pd.to_datetime(["2020-01-01", None, "1700-12-31"]).astype("datetime64[s]"),
        "at": pd.Series([pd.Timestamp("2020-01-01 10:00:00.25"), None,
                         pd.Timestamp("2021-06-01")], dtype="datetime64[us]"),
        "at_utc": pd.Series([pd.Timestamp("2020-01-01 10:00"), None,
                             pd.Timestamp("2021-06-01")]).dt.tz_localize("UTC"),
        "text": ["a", None, "ü ' \" ;"],
        "size": pd.Categorical(["S", "M", None]),
    })


def test_write_then_read_keeps_types_and_nulls(url):
    frame = _typed_frame()
    assert write_table(frame, url, table="synthetic") is None
    back = read_table(url, table="synthetic")
    sqlite = url.startswith("sqlite")
    expected = frame.assign(
        small=frame["small"].astype("int64" if sqlite else "int16"),
        # SQLite has no time zones: stored in UTC, read back naive.
        at_utc=frame["at_utc"].astype("datetime64[us, UTC]").dt.tz_localize(None) if sqlite
        else frame["at_utc"].astype("datetime64[us, UTC]"),
        size=frame["size"].astype(object).where(frame["size"].notna(), None),
    )
    _assert_same(back, expected, text=("text", "size"))
    types = _column_types(url, "synthetic")
    assert types["day"] == "DATE" and types["flag"] == "BOOLEAN" and types["text"] == "TEXT"
    assert types["at"].startswith("TIMESTAMP") and types["n"] in ("INTEGER", "BIGINT")


def test_a_read_table_is_written_back_with_its_types(url):
    _create(url, PATIENTS_DDL, PATIENTS)
    frame = read_table(url, table="patients")
    write_table(frame, url, table="copy")
    pd.testing.assert_frame_equal(read_table(url, table="copy"), frame)
    original, copy = _column_types(url, "patients"), _column_types(url, "copy")
    for name in ("id", "age", "born", "seen", "smoker"):
        assert original[name] == copy[name], name


_ROW = st.fixed_dictionaries({
    "i": st.none() | st.integers(-2**63, 2**63 - 1),
    "f": st.none() | st.floats(allow_nan=False, allow_infinity=False, width=64),
    "b": st.none() | st.booleans(),
    "d": st.none() | st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)),
    "t": st.none() | st.datetimes(dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31)),
    "s": st.none() | st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=8),
})


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(_ROW, min_size=1, max_size=12), chunksize=st.integers(1, 5))
def test_round_trip_through_sqlite_is_exact(tmp_path, rows, chunksize):
    frame = pd.DataFrame({
        "i": pd.array([r["i"] for r in rows], dtype="Int64"),
        "f": [np.nan if r["f"] is None else r["f"] for r in rows],
        "b": pd.array([r["b"] for r in rows], dtype="boolean"),
        "d": np.array([r["d"] for r in rows], dtype="datetime64[s]"),
        "t": np.array([r["t"] for r in rows], dtype="datetime64[us]"),
        "s": pd.Series([r["s"] for r in rows], dtype=object),
    })
    url = f"sqlite:///{tmp_path / 'property.db'}"
    write_sql(frame, url, table="t", if_exists="replace", chunksize=chunksize)
    back = read_sql(url, table="t", chunksize=chunksize)
    # Without NULLs a column comes back in the plain dtype; values are the same.
    expected = frame.copy()
    for name in ("i", "b"):
        if not frame[name].isna().any():
            expected[name] = frame[name].astype("int64" if name == "i" else "bool")
    _assert_same(back, expected, text=("s",))


def test_an_existing_table_is_refused_unless_replace_or_append(url):
    first = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    write_table(first, url, table="t")
    with pytest.raises(DataError, match="'t' already exists.*if_exists='replace'.*'append'"):
        write_table(first, url, table="t")
    with pytest.raises(DataError, match="already exists"):
        check_target(url, table="t")
    check_target(url, table="t", if_exists="append")
    write_table(first.iloc[:1], url, table="t", if_exists="append")
    assert read_table(url, table="t")["a"].tolist() == [1, 2, 1]
    write_table(pd.DataFrame({"c": [1.5]}), url, table="t", if_exists="replace")
    assert read_table(url, table="t").columns.tolist() == ["c"]
    with pytest.raises(DataError, match="if_exists must be one of fail, replace, append"):
        write_table(first, url, table="t", if_exists="overwrite")


def test_append_checks_the_columns_and_their_types(url):
    write_table(pd.DataFrame({"a": [1], "day": pd.to_datetime(["2020-01-02"]).astype(
        "datetime64[s]")}), url, table="t")
    with pytest.raises(ColumnMismatchError, match=r"has the columns \['a', 'day'\]"):
        write_table(pd.DataFrame({"a": [1]}), url, table="t", if_exists="append")
    with pytest.raises(ColumnTypeMismatchError, match="'a' is int in the database table"):
        write_table(pd.DataFrame({"a": ["x"], "day": pd.to_datetime(["2020-01-01"])}), url,
                    table="t", if_exists="append")
    with pytest.raises(ColumnTypeMismatchError, match="'day' is a DATE.*times of day"):
        write_table(pd.DataFrame({"day": pd.to_datetime(["2020-01-01 10:00"]), "a": [2]}), url,
                    table="t", if_exists="append")
    write_table(pd.DataFrame({"day": pd.to_datetime(["2021-01-01"]), "a": [2]}), url,
                table="t", if_exists="append")  # columns in another order, ns at midnight
    assert read_table(url, table="t")["day"].tolist() == [pd.Timestamp("2020-01-02"),
                                                         pd.Timestamp("2021-01-01")]


def _chunks_then_failure(n_chunks: int):
    for i in range(n_chunks):
        yield pd.DataFrame({"a": [i, i + 100], "b": ["new", "new"]})
    raise DataError("the third chunk could not be made")


@pytest.mark.parametrize("if_exists", ["replace", "append"])
def test_a_failed_write_leaves_the_database_as_it_was(url, if_exists):
    before = pd.DataFrame({"a": [7], "b": ["old"]})
    write_table(before, url, table="t")
    with pytest.raises(DataError, match="third chunk"):
        write_table_chunks(_chunks_then_failure(2), url, table="t", if_exists=if_exists)
    pd.testing.assert_frame_equal(read_table(url, table="t"), before)
    with pytest.raises(DataError, match="third chunk"):
        write_sql_chunks(_chunks_then_failure(2), url, table="fresh")
    assert _tables(url) == ["t"]  # the new table was never created


def test_a_failed_write_to_a_new_sqlite_file_leaves_no_file(tmp_path):
    path = tmp_path / "new.db"
    with pytest.raises(DataError, match="third chunk"):
        write_table_chunks(_chunks_then_failure(2), f"sqlite:///{path}", table="t")
    assert list(tmp_path.iterdir()) == []
    check_target(f"sqlite:///{path}", table="t")  # a new file: nothing to refuse
    assert not path.exists()  # and checking created nothing


def test_chunks_go_into_the_database_as_they_come(url):
    seen = []

    def chunks():
        for i in range(5):
            yield pd.DataFrame({"a": np.arange(3 * i, 3 * i + 3), "b": [f"r{i}"] * 3})

    rows = write_table_chunks(chunks(), url, table="t", progress=seen.append)
    assert rows == 15 and seen == [3] * 5
    frame = read_sql(url, table="t", chunksize=4)
    assert frame["a"].tolist() == list(range(15)) and frame["b"].iloc[-1] == "r4"


def test_sample_chunks_go_straight_into_the_database(url, mixed_frame, tiny_model_params):
    from tabgan import TabGAN

    model = TabGAN(**tiny_model_params).fit(mixed_frame)
    rows = write_table_chunks(model.iter_sample(50, random_state=3, batch_size=7), url,
                              table="synthetic")
    assert rows == 50
    back = read_table(url, table="synthetic")
    expected = model.sample(50, random_state=3, batch_size=7)
    assert back.columns.tolist() == expected.columns.tolist()
    pd.testing.assert_frame_equal(back[["amount", "count", "score"]],
                                  expected[["amount", "count", "score"]])
    assert _listed(back["group"]) == _listed(expected["group"].astype(object))
    assert back["flag"].tolist() == expected["flag"].tolist()
    assert (back["when"] == expected["when"]).all()
    assert back["size"].tolist() == expected["size"].astype(object).tolist()


def test_postgres_specific_types(postgres_url):
    ddl = ("CREATE TABLE p (u UUID, stamp TIMESTAMPTZ, r REAL, s SMALLINT, v VARCHAR(5), "
           "e NUMERIC)")
    import uuid

    rows = [{"u": uuid.UUID(int=1), "stamp": dt.datetime(2020, 1, 1, 12, tzinfo=dt.timezone(
        dt.timedelta(hours=2))), "r": 0.5, "s": 7, "v": "x", "e": decimal.Decimal("1.5")},
            {"u": None, "stamp": None, "r": None, "s": None, "v": None, "e": None}]
    _create(postgres_url, ddl, rows)
    frame = read_sql(postgres_url, table="p", chunksize=1)  # a server-side cursor
    assert _listed(frame["u"]) == [str(uuid.UUID(int=1)), None]
    assert str(frame["stamp"].dtype) == "datetime64[us, UTC]"
    assert frame["stamp"][0] == pd.Timestamp("2020-01-01 10:00", tz="UTC")
    assert str(frame["r"].dtype) == "float32" and str(frame["s"].dtype) == "Int16"
    write_table(frame, postgres_url, table="q")
    types = _column_types(postgres_url, "q")
    assert types["stamp"] == "TIMESTAMP WITH TIME ZONE" and types["r"] == "REAL"
    assert types["s"] == "SMALLINT"
    pd.testing.assert_frame_equal(read_table(postgres_url, table="q"), frame)


@pytest.mark.parametrize("counted", [None, 2, 5, 9])
def test_a_reader_gives_the_rows_it_got_whatever_was_counted(counted):
    from tabgan.table.sql_types import ColumnReader

    chunks = [(None, None), (1, 2), (None, 4), (5,)]
    typed = ColumnReader("n", "int", "int64", sql_type="INTEGER", rows=counted)
    untyped = ColumnReader("m", None, rows=counted)
    for values in chunks:
        typed.add(values)
        untyped.add(tuple(None if v is None else v + 0.5 if v == 4 else v for v in values))
    assert pd.array(typed.finish()).tolist() == [pd.NA, pd.NA, 1, 2, pd.NA, 4, 5]
    floats = untyped.finish()  # integers, then a fraction: floats
    assert floats.dtype == "float64"
    assert np.array_equal(floats, [np.nan, np.nan, 1, 2, np.nan, 4.5, 5], equal_nan=True)


def test_every_chunk_needs_the_same_columns(url):
    chunks = [pd.DataFrame({"a": [1], "b": ["x"]}), pd.DataFrame({"a": [2], "c": ["y"]})]
    with pytest.raises(ColumnMismatchError, match="every chunk needs the same columns"):
        write_table_chunks(iter(chunks), url, table="t")
    assert _tables(url) == []
