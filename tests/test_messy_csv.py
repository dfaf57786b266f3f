"""Random messy CSV files through every command that reads one: each run either succeeds with
the input's columns, types and ranges, or fails with one of tabgan's typed errors (a one-line
message, exit code 1) and leaves no output file behind."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tabgan import TabGAN
from tabgan.cli import main
from tabgan.cli import train as train_commands
from tabgan.errors import TabGANError
from tabgan.table.io import read_table

NULLS = ["", "NA", "N/A", "?", "-", "null", "unknown", "n.k."]  # the last is a stray
TEXT = ["Zürich", "Genève", "Besançon", "a;b", "x,y", 'say "hi"', "plain", "-"]
FAST = ["--epochs", "1", "--batch-size", "10", "--seed", "0", "--quiet"]


@st.composite
def messy_tables(draw):
    """(columns as lists of cell strings, sep, decimal, encoding)."""
    n = draw(st.integers(12, 30))
    sep = draw(st.sampled_from([",", ";", "\t", "|"]))
    decimal = draw(st.sampled_from([".", ","])) if sep != "," else "."
    encoding = draw(st.sampled_from(["utf-8", "latin-1", "utf-8-sig"]))
    kinds = draw(st.lists(st.sampled_from(["number", "integer", "text", "date", "bool"]),
                          min_size=2, max_size=4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    columns = {}
    for i, kind in enumerate(kinds):
        if kind == "number":
            digits = draw(st.integers(0, 3))
            values = [f"{v:.{digits}f}".replace(".", decimal)
                      for v in rng.normal(50, 20, n).round(digits)]
            if draw(st.booleans()):
                values[int(rng.integers(n))] = "1000000000"  # an outlier
        elif kind == "integer":
            values = [str(v) for v in rng.integers(-5, 500, n)]
        elif kind == "text":
            values = list(rng.choice(TEXT, n))
        elif kind == "date":
            days = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, n), "D")
            formats = draw(st.sampled_from([["%Y-%m-%d"], ["%Y-%m-%d", "%d/%m/%Y"]]))
            values = [d.strftime(formats[j % len(formats)]) for j, d in enumerate(days)]
        else:
            values = list(rng.choice(["True", "False"], n))
        for row in draw(st.lists(st.integers(0, n - 1), max_size=3)):
            values[row] = draw(st.sampled_from(NULLS))  # a null token, or a stray value
        columns[f"{kind}{i}"] = values
    return columns, sep, decimal, encoding


def _write(path: Path, columns: dict, rows: slice, sep: str, encoding: str) -> None:
    buffer = io.StringIO()
    out = csv.writer(buffer, delimiter=sep, lineterminator="\n")
    out.writerow(list(columns))
    for cells in list(zip(*columns.values(), strict=True))[rows]:
        out.writerow(cells)
    path.write_bytes(buffer.getvalue().encode(encoding))


def _tiny(params: dict) -> TabGAN:
    return TabGAN(**params, embedding_dim=8, generator_dims=(16,), critic_dims=(16,))


def _check_output(command: str, out: Path, real: pd.DataFrame) -> None:
    if command == "fit":
        TabGAN.load(out)
        return
    if command in ("evaluate", "audit"):
        assert out.stat().st_size > 0
        return
    got = read_table(out)
    assert list(got.columns) == list(real.columns)
    if command == "augment":
        assert len(got) >= len(real)
    for name in real.columns:
        column = real[name]
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            assert pd.api.types.is_numeric_dtype(got[name]), name
            values = got[name].dropna()
            assert values.between(column.min(), column.max()).all(), name


@given(messy_tables(), st.sampled_from(["fit", "synth", "augment", "evaluate", "audit"]))
@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
def test_every_reading_command_succeeds_in_range_or_fails_typed_leaving_nothing(table, command):
    columns, sep, decimal, encoding = table
    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as patch:
        patch.setattr(train_commands, "build_model", _tiny)
        folder = Path(folder)
        data = folder / "data.csv"
        n = len(next(iter(columns.values())))
        _write(data, columns, slice(None), sep, encoding)
        try:
            real = read_table(data)
        except TabGANError:
            real = None
        target = next(iter(columns))
        if command in ("evaluate", "audit"):
            cut = (n // 3, 2 * n // 3)
            for name, rows in {"r.csv": slice(0, cut[0]), "s.csv": slice(cut[0], cut[1]),
                               "h.csv": slice(cut[1], None)}.items():
                _write(folder / name, columns, rows, sep, encoding)
            out = folder / ("e.json" if command == "evaluate" else "report.html")
            flag = "--json" if command == "evaluate" else "-o"
            args = [command, folder / "r.csv", folder / "s.csv", "--holdout", folder / "h.csv",
                    flag, out, "--quiet"]
        else:
            out = folder / ("m.tabgan" if command == "fit" else "out.csv")
            args = [command, data, "-o", out, *FAST]
            if command == "augment":
                args += ["--target", target, "--balance"]
        before = {p.name for p in folder.iterdir()}
        result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
        after = {p.name for p in folder.iterdir()}
        assert result.exit_code in (0, 1), result.output
        event(f"{command}: exit {result.exit_code}")
        if result.exit_code == 1:
            event("error: " + result.output.split("Error: ")[-1][:70])
        assert not [name for name in after if name.endswith(".tmp")]  # no temporary file
        if result.exit_code == 1:
            assert "Error: " in result.output and "Traceback" not in result.output
            assert after == before, result.output  # no output file
        else:
            assert real is not None  # what reads in a command reads in read_table
            _check_output(command, out, real)
