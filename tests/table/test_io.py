"""Reading and writing tables, and atomic writes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tabgan.errors import DataError
from tabgan.table.io import atomic_path, atomic_write_text, read_table, table_format, write_table


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("t.csv", "csv"),
        ("T.CSV", "csv"),
        ("t.csv.gz", "csv"),
        ("dir.v2/t.parquet", "parquet"),
        ("t.pq", "parquet"),
    ],
)
def test_table_format_by_extension(name, fmt):
    assert table_format(name) == fmt


@pytest.mark.parametrize("name", ["t.xlsx", "t", "t.gz", "t.csv.txt"])
def test_unknown_format(name):
    with pytest.raises(DataError, match=repr(name)):
        table_format(name)


@pytest.fixture
def table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "x": [1.5, np.nan, -2.25],
            "n": [1, 2, 3],
            "s": ["a", "b", "ü"],
        }
    )


@pytest.mark.parametrize("name", ["t.csv", "t.csv.gz", "t.parquet"])
def test_write_then_read(tmp_path, table, name):
    path = tmp_path / "sub" / name  # the folder is created
    write_table(table, path)
    pd.testing.assert_frame_equal(read_table(path), table)
    assert [p.name for p in path.parent.iterdir()] == [name]  # no temporary file left
    if name.endswith(".gz"):
        assert path.read_bytes()[:2] == b"\x1f\x8b"  # really gzip, as the name says


def test_read_missing_file(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        read_table(tmp_path / "absent.csv")


def test_read_empty_csv(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(DataError, match="empty"):
        read_table(path)


def test_atomic_path_keeps_the_old_file_on_failure(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half written")
            raise RuntimeError("crash mid-write")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_atomic_write_text(tmp_path):
    target = tmp_path / "a" / "b.json"
    atomic_write_text(target, "{}\n")
    atomic_write_text(target, '{"k": "é"}\n')
    assert target.read_text(encoding="utf-8") == '{"k": "é"}\n'


def test_atomic_writes_get_the_permissions_of_a_plainly_created_file(tmp_path):
    import os
    import stat

    from tabgan.table.io import atomic_write_text

    old = os.umask(0o027)
    try:
        atomic_write_text(tmp_path / "out.txt", "x")
        plain = tmp_path / "plain.txt"
        plain.write_text("x")
    finally:
        os.umask(old)
    mode = stat.S_IMODE((tmp_path / "out.txt").stat().st_mode)
    assert mode == stat.S_IMODE(plain.stat().st_mode) == 0o640
