"""The command line on real files: CSV dialects and null tokens on every reading command,
one writer for synth and sample, streamed Parquet, compressed outputs, a full disk and a
damaged model file."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from tabgan.cli import main
from tabgan.table.io import read_table

FAST = ["--epochs", "1", "--batch-size", "40", "--seed", "0", "--quiet"]
READING = {"sep", "decimal", "encoding", "na_values"}
ROOT = Path(__file__).resolve().parents[1]


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def messy(tmp_path_factory) -> Path:
    """A ';'-separated latin-1 file with decimal commas, '?' among prices, an integer
    column with blanks, booleans and a text column that is almost always empty."""
    rng = np.random.default_rng(0)
    n = 300
    frame = pd.DataFrame({
        "price": rng.gamma(2, 20, n).round(2),
        "age": np.where(rng.random(n) < 0.15, np.nan, rng.integers(18, 90, n)),
        "ok": rng.random(n) < 0.4,
        "city": rng.choice(["Zürich", "Genève", "Besançon"], n),
        "note": [None] * (n - 1) + ["rare"],
        "day": pd.date_range("2020-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
    })
    frame["price"] = frame["price"].map(lambda v: f"{v:.2f}".replace(".", ","))
    frame.loc[[5, 50, 150], "price"] = "?"
    path = tmp_path_factory.mktemp("messy") / "messy.csv"
    frame.to_csv(path, index=False, sep=";", decimal=",", encoding="latin-1")
    return path


@pytest.fixture(scope="module")
def fitted(messy, tmp_path_factory) -> tuple[Path, Path]:
    """``synth`` of the messy file: the synthetic CSV and the saved model."""
    folder = tmp_path_factory.mktemp("fitted")
    out, model = folder / "synth.csv", folder / "m.tabgan"
    result = _run("synth", messy, "-o", out, "--save-model", model, *FAST)
    assert result.exit_code == 0, result.output
    return out, model


@pytest.mark.parametrize("command", ["fit", "synth", "augment", "evaluate", "audit"])
def test_every_reading_command_takes_the_reading_options_with_read_tables_defaults(command):
    params = {p.name: p for p in main.commands[command].params}
    assert READING <= set(params)
    defaults = inspect.signature(read_table).parameters
    for name in READING - {"na_values"}:
        assert params[name].default == defaults[name].default, name
        assert params[name].help, name
    assert params["na_values"].multiple and defaults["na_values"].default is None


def test_synth_reads_a_messy_file_into_numbers_and_writes_its_precision(fitted, messy):
    out, _ = fitted
    real, synthetic = read_table(messy), pd.read_csv(out)
    assert real["price"].dtype == np.float64 and real["price"].isna().sum() == 3
    assert real["city"].str.contains("ü").any()
    assert synthetic["price"].dtype == np.float64  # not categorical: no '?' copied out
    assert not synthetic["price"].astype(str).eq("?").any()
    assert synthetic["price"].dropna().map(lambda v: round(v, 2) == v).all()
    lo, hi = real["price"].min(), real["price"].max()
    assert synthetic["price"].dropna().between(lo, hi).all()


def test_synth_and_sample_write_one_dialect(fitted, tmp_path):
    out, model = fitted
    sampled = tmp_path / "sampled.csv"
    result = _run("sample", model, "-n", 300, "-o", sampled, "--batch-size", 70, "--quiet")
    assert result.exit_code == 0, result.output
    a, b = out.read_text().splitlines(), sampled.read_text().splitlines()
    assert a[0] == b[0] == '"price","age","ok","city","note","day"'
    for lines in (a, b):
        rows = [line.split(",") for line in lines[1:]]
        ages = [r[1] for r in rows if r[1]]
        assert ages and all(age.isdigit() for age in ages)  # 46, never 46.0
        assert {r[2] for r in rows} <= {"true", "false"}
        assert all(r[3].startswith('"') for r in rows)


def test_sample_streams_parquet_with_a_mostly_null_text_column(fitted, tmp_path):
    import pyarrow.parquet as pq

    _, model = fitted
    out = tmp_path / "s.parquet"
    result = _run("sample", model, "-n", 2000, "-o", out, "--batch-size", 50, "--seed", 1,
                  "--quiet")
    assert result.exit_code == 0, result.output
    schema = pq.read_schema(out)
    assert str(schema.field("note").type) == "string"
    assert str(schema.field("day").type).startswith("timestamp")  # dates stay dates
    assert len(pd.read_parquet(out)) == 2000


def test_a_zipped_output_holds_one_member_named_after_it(fitted, tmp_path):
    _, model = fitted
    out = tmp_path / "out.csv.zip"
    assert _run("sample", model, "-n", 500, "-o", out, "--batch-size", 100,
                "--quiet").exit_code == 0
    assert zipfile.ZipFile(out).namelist() == ["out.csv"]
    assert len(read_table(out)) == 500


FULL_DISK = """
import errno, sys
import pyarrow.csv as pacsv
real = pacsv.write_csv
calls = []
def full(*args, **kwargs):
    calls.append(1)
    if len(calls) > 2:
        raise OSError(errno.ENOSPC, "No space left on device")
    return real(*args, **kwargs)
pacsv.write_csv = full
from tabgan.cli import main
main(sys.argv[1:])
"""


def test_a_full_disk_exits_with_a_message_and_code_1_never_an_abort(fitted, tmp_path):
    _, model = fitted
    out = tmp_path / "out.csv"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", FULL_DISK, "sample", str(model), "-n", "20000", "-o", str(out),
         "--batch-size", "100", "--quiet"],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert proc.returncode == 1, proc.stderr
    assert "Error: cannot write" in proc.stderr and "disk is full" in proc.stderr
    assert "Traceback" not in proc.stderr and "terminate" not in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_damaged_model_file_is_refused_by_sample(fitted, tmp_path):
    _, model = fitted
    raw = bytearray(model.read_bytes())
    middle = len(raw) // 2
    for i in range(middle, middle + 64):
        raw[i] ^= 0x55
    damaged = tmp_path / "damaged.tabgan"
    damaged.write_bytes(bytes(raw))
    out = tmp_path / "s.csv"
    result = _run("sample", damaged, "-n", 10, "-o", out)
    assert result.exit_code == 1 and ("damaged" in result.output
                                      or "truncated or corrupted" in result.output)
    assert not out.exists()


def test_given_reading_options_reach_every_command(tmp_path):
    rng = np.random.default_rng(0)
    n = 120
    frame = pd.DataFrame({"x": rng.normal(50, 10, n).round(1), "c": rng.choice(["a", "b"], n)})
    frame["x"] = frame["x"].map(lambda v: f"{v:.1f}".replace(".", ","))
    frame.loc[::10, "x"] = "n.k."  # not a common token: only --na-values makes it a null
    paths = {}
    for name, part in {"real": frame[:80], "synth": frame[80:100], "hold": frame[100:]}.items():
        paths[name] = tmp_path / f"{name}.csv"
        part.to_csv(paths[name], index=False, sep="|", decimal=",", encoding="cp1252")
    given = ["--sep", "|", "--decimal", ",", "--encoding", "cp1252", "--na-values", "n.k."]
    refused = _run("fit", paths["real"], "-o", tmp_path / "m.tabgan", *FAST)
    assert refused.exit_code == 1 and "'n.k.'" in refused.output and "--na-values" in refused.output
    assert _run("fit", paths["real"], "-o", tmp_path / "m.tabgan", *FAST, *given).exit_code == 0
    assert _run("synth", paths["real"], "-o", tmp_path / "s.csv", *FAST, *given).exit_code == 0
    assert _run("augment", paths["real"], "--target", "c", "--balance", "-o",
                tmp_path / "a.csv", *FAST, *given).exit_code == 0
    result = _run("evaluate", paths["real"], paths["synth"], "--holdout", paths["hold"],
                  "--quiet", *given)
    assert result.exit_code == 0, result.output
    result = _run("audit", paths["real"], paths["synth"], "--holdout", paths["hold"], "-o",
                  tmp_path / "r.html", "--quiet", *given)
    assert result.exit_code == 0, result.output
    assert pd.read_csv(tmp_path / "s.csv")["x"].dtype == np.float64
