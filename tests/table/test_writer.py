"""The one table writer: one CSV dialect whether written at once or streamed, Parquet types
from the metadata, compressed outputs of one well-named stream, and a full disk."""

from __future__ import annotations

import bz2
import errno
import lzma
import threading
import zipfile
import zlib

import numpy as np
import pandas as pd
import pytest

from tabgan import ColumnMetadata, Metadata
from tabgan.errors import OutputError
from tabgan.table import writer
from tabgan.table.io import read_table, write_table, write_table_chunks


@pytest.fixture
def table() -> pd.DataFrame:
    n = 30
    frame = pd.DataFrame({
        "age": np.where(np.arange(n) % 4 == 0, np.nan, 40.0 + np.arange(n)),  # ints, blanks
        "ok": [True, False, True] * 10,
        "name": ["a,b", 'say "hi"', "plain"] * 10,
        "when": pd.date_range("2020-01-01", periods=n, freq="D"),
    })
    return frame


def _chunks(frame: pd.DataFrame, size: int):
    return [frame.iloc[i : i + size].reset_index(drop=True) for i in range(0, len(frame), size)]


def test_written_at_once_or_streamed_the_csv_is_the_same(tmp_path, table):
    whole, streamed = tmp_path / "whole.csv", tmp_path / "streamed.csv"
    write_table(table, whole)
    assert write_table_chunks(_chunks(table, 7), streamed) == len(table)
    assert whole.read_bytes() == streamed.read_bytes()
    lines = whole.read_text().splitlines()
    assert lines[0] == '"age","ok","name","when"'
    assert lines[1] == ',true,"a,b","2020-01-01"'
    assert lines[2] == '41,false,"say ""hi""","2020-01-02"'  # 41, not 41.0
    pd.testing.assert_frame_equal(read_table(whole), table.assign(
        when=table["when"].dt.strftime("%Y-%m-%d")))


def _text_metadata() -> Metadata:
    return Metadata([
        ColumnMetadata("x", "continuous", dtype="float64"),
        ColumnMetadata("note", "categorical", dtype="object", categories=["rare text"]),
        ColumnMetadata("day", "datetime", dtype="object", datetime_format="%Y-%m-%d"),
    ])


def test_parquet_takes_its_types_from_the_metadata_not_the_first_chunk(tmp_path):
    import pyarrow.parquet as pq

    n = 50
    frame = pd.DataFrame({"x": np.arange(n, dtype=float),
                          "note": [None] * (n - 1) + ["rare text"],
                          "day": pd.date_range("2021-01-01", periods=n).strftime("%Y-%m-%d")})
    path = tmp_path / "s.parquet"
    assert write_table_chunks(_chunks(frame, 10), path, metadata=_text_metadata()) == n
    schema = pq.read_schema(path)
    assert str(schema.field("note").type) == "string"
    assert str(schema.field("day").type).startswith("timestamp")
    back = pd.read_parquet(path)
    assert back["note"].iloc[-1] == "rare text" and back["note"].iloc[:-1].isna().all()
    assert (back["day"] == pd.to_datetime(frame["day"])).all()
    plain = tmp_path / "plain.parquet"  # without metadata a column of nulls is text
    write_table_chunks(_chunks(frame, 10), plain)
    assert str(pq.read_schema(plain).field("note").type) == "string"


def _streams(path) -> int:
    """How many compressed streams (gzip members, bz2 or xz streams) the file holds."""
    data, count = path.read_bytes(), 0
    make = {".gz": lambda: zlib.decompressobj(wbits=31), ".bz2": bz2.BZ2Decompressor,
            ".xz": lzma.LZMADecompressor}[path.suffix]
    while data:
        unpack = make()
        unpack.decompress(data)
        data, count = unpack.unused_data, count + 1
    return count


@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".xz", ".zip", ".zst"])
def test_a_compressed_output_holds_one_stream_named_after_the_output(tmp_path, table, suffix):
    path = tmp_path / f"out.csv{suffix}"
    write_table_chunks(_chunks(table, 7), path)
    if suffix == ".zip":
        assert zipfile.ZipFile(path).namelist() == ["out.csv"]
    elif suffix != ".zst":
        assert _streams(path) == 1
    if suffix == ".gz":
        header = path.read_bytes()
        assert header[3] & 0x08 and header[10:18] == b"out.csv\x00"  # FNAME: the output's
    plain = tmp_path / "plain.csv"
    write_table(table, plain)
    assert read_table(path).equals(read_table(plain))


def test_a_full_disk_is_a_clear_error_and_leaves_nothing(tmp_path, table, monkeypatch):
    import pyarrow.csv as pacsv

    target = tmp_path / "out.csv"
    target.write_text("old")
    real = pacsv.write_csv
    calls = []

    def full(*args, **kwargs):
        calls.append(1)
        if len(calls) > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(pacsv, "write_csv", full)
    with pytest.raises(OutputError, match="disk is full") as info:
        write_table_chunks(_chunks(table, 7), target)
    assert isinstance(info.value, OSError)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_a_failed_write_stops_and_waits_for_the_producer(tmp_path, table, monkeypatch):
    produced = []

    def chunks():
        for chunk in _chunks(table, 1):
            produced.append(threading.current_thread())
            yield chunk

    def broken(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(writer, "_write_csv", broken)
    before = threading.active_count()
    with pytest.raises(OutputError):
        write_table_chunks(chunks(), tmp_path / "out.csv")
    assert threading.active_count() == before  # no producer thread left running
    assert len(produced) < len(table)  # it stopped early
