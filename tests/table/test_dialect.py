"""CSV dialects and encodings: sniffed or given, and clear errors for files that cannot be
read."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tabgan.errors import DataError, DecodingError
from tabgan.table.dialect import sniff_dialect
from tabgan.table.io import read_table


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 60
    return pd.DataFrame({
        "price": rng.gamma(2, 20, n).round(2),
        "age": rng.integers(18, 90, n),
        "city": rng.choice(["Zürich", "Genève", "Besançon"], n),
        "when": pd.date_range("2020-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
    })


def test_a_semicolon_file_with_decimal_commas_reads_as_numbers(tmp_path, frame, capsys):
    path = tmp_path / "semi.csv"
    frame.to_csv(path, index=False, sep=";", decimal=",")
    assert ";" in path.read_text() and "," in path.read_text()
    got = read_table(path, verbose=True)
    pd.testing.assert_frame_equal(got, frame)
    err = capsys.readouterr().err
    assert "separator ';'" in err and "decimal ','" in err and "detected" in err


def test_a_latin_1_file_reads_with_its_accents(tmp_path, frame, capsys):
    path = tmp_path / "latin.csv"
    frame.to_csv(path, index=False, encoding="latin-1")
    with pytest.raises(UnicodeDecodeError):
        path.read_text(encoding="utf-8")
    got = read_table(path, verbose=True)
    pd.testing.assert_frame_equal(got, frame)
    assert "encoding cp1252" in capsys.readouterr().err
    assert read_table(path, encoding="latin-1")["city"].tolist() == frame["city"].tolist()


@pytest.mark.parametrize(("sep", "decimal", "encoding"), [
    ("\t", ".", "utf-8"), ("|", ",", "utf-8"), (",", ".", "utf-8-sig"), (";", ".", "utf-16"),
])
def test_other_dialects_are_sniffed(tmp_path, frame, sep, decimal, encoding):
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False, sep=sep, decimal=decimal, encoding=encoding)
    pd.testing.assert_frame_equal(read_table(path), frame)


def test_given_settings_are_used_and_not_sniffed(tmp_path, frame):
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False, sep=";", decimal=",")
    dialect = sniff_dialect(path, sep=";", decimal=",", encoding="utf-8")
    assert dialect.sniffed == ()
    assert sniff_dialect(path, sep="\\t").sep == "\t"  # as typed in a shell
    pd.testing.assert_frame_equal(read_table(path, sep=";", decimal=","), frame)
    one_column = read_table(path, sep=",", decimal=".")  # wrong, but what was asked
    assert one_column.shape != frame.shape


def test_a_compressed_file_is_sniffed_after_decompression(tmp_path, frame):
    path = tmp_path / "t.csv.gz"
    frame.to_csv(path, index=False, sep=";", decimal=",", encoding="latin-1")
    pd.testing.assert_frame_equal(read_table(path), frame)


def test_a_file_that_is_not_in_the_given_encoding_names_the_fix(tmp_path, frame):
    path = tmp_path / "latin.csv"
    frame.to_csv(path, index=False, encoding="latin-1")
    with pytest.raises(DecodingError, match="--encoding latin-1") as info:
        read_table(path, encoding="utf-8")
    assert "utf-8" in str(info.value) and "codec" not in str(info.value)


def test_a_file_that_turns_non_utf8_after_the_sniffed_bytes_is_read_again(tmp_path):
    from tabgan.table.dialect import SNIFF_BYTES

    rows = ["name,n"] + [f"plain{i},{i}" for i in range(SNIFF_BYTES // 8)] + ["Besançon,1"]
    path = tmp_path / "late.csv"
    path.write_bytes("\n".join(rows).encode("latin-1"))
    got = read_table(path)
    assert got["name"].iloc[-1] == "Besançon"


def test_binary_files_bad_options_and_ragged_rows_get_typed_errors(tmp_path):
    binary = tmp_path / "model.csv"
    binary.write_bytes(b"PK\x03\x04\x00\x00binary")
    with pytest.raises(DecodingError, match="not look like a CSV text file"):
        read_table(binary)
    plain = tmp_path / "t.csv"
    plain.write_text("a,b\n1,2\n")
    with pytest.raises(DataError, match="unknown encoding"):
        read_table(plain, encoding="no-such-codec")
    with pytest.raises(DataError, match="one character"):
        read_table(plain, sep=";;")
    with pytest.raises(DataError, match="decimal mark"):
        read_table(plain, decimal="x")
    with pytest.raises(DataError, match="both ','"):
        read_table(plain, sep=",", decimal=",")
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("a,b\n1,2\n3,4,5,6\n")
    with pytest.raises(DataError, match="well-formed.*--sep"):
        read_table(ragged)
