"""The command line with database URLs for inputs and outputs: a real SQLite file, and a
real PostgreSQL server where one can be started."""

from __future__ import annotations

import inspect
import sqlite3

import numpy as np
import sqlalchemy as sa
from click.testing import CliRunner

from tabgan.cli import main
from tabgan.table.io import read_table, write_table

FAST = ["--epochs", "1", "--batch-size", "40", "--seed", "0", "--quiet"]
N = 120


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def _clinic(path) -> str:
    """A patients table of 120 rows with INTEGER, REAL, DATE, BOOLEAN and TEXT columns,
    NULLs in some; and a small patients_test table of the same columns."""
    rng = np.random.default_rng(0)
    with sqlite3.connect(path) as conn:
        for table, n in (("patients", N), ("patients_test", 40)):
            conn.execute(f"CREATE TABLE {table} (age INTEGER, height REAL, born DATE, "
                         "smoker BOOLEAN, city TEXT, visits INTEGER)")
            conn.executemany(f"INSERT INTO {table} VALUES (?, ?, ?, ?, ?, ?)", [
                (None if i % 9 == 0 else int(rng.integers(18, 90)), float(rng.normal(1.7, 0.1)),
                 str(np.datetime64("1940-01-01") + int(rng.integers(0, 25_000))),
                 bool(rng.random() < 0.3), ["Paris", "Lyon", "Nice", None][i % 4],
                 int(rng.integers(0, 400))) for i in range(n)])
    return f"sqlite:///{path}"


def _types(url: str, table: str) -> dict:
    engine = sa.create_engine(url)
    try:
        return {c["name"]: str(c["type"]) for c in sa.inspect(engine).get_columns(table)}
    finally:
        engine.dispose()


def test_synth_from_a_database_into_another(tmp_path):
    source, target = _clinic(tmp_path / "clinic.db"), f"sqlite:///{tmp_path / 'synthetic.db'}"
    result = _run("synth", source, "--table", "patients", "-o", target, *FAST)
    assert result.exit_code == 0, result.output
    synthetic, real = read_table(target, table="patients"), read_table(source, table="patients")
    assert len(synthetic) == N and synthetic.columns.tolist() == real.columns.tolist()
    assert synthetic.dtypes.astype(str).tolist()[2:4] == ["datetime64[s]", "bool"]
    assert _types(target, "patients") == {"age": "INTEGER", "height": "DOUBLE",
                                          "born": "DATE", "smoker": "BOOLEAN",
                                          "city": "TEXT", "visits": "INTEGER"}
    assert synthetic["age"].isna().any() and synthetic["city"].isna().any()  # NULLs stay

    again = _run("synth", source, "--table", "patients", "-o", target, "--epochs", "50")
    assert again.exit_code == 1 and "already exists" in again.output
    assert "--if-exists" in again.output and "trained" not in again.output  # before training
    appended = _run("synth", source, "--table", "patients", "-o", target, "-n", 10,
                    "--if-exists", "append", *FAST)
    assert appended.exit_code == 0, appended.output
    assert len(read_table(target, table="patients")) == N + 10
    replaced = _run("synth", source, "--query", "SELECT age, city FROM patients", "-o", target,
                    "-n", 7, "--if-exists", "replace", *FAST[:-1])  # with its messages
    assert replaced.exit_code == 0, replaced.output
    assert "wrote 7 rows to table 'synthetic' of sqlite:///" in replaced.output
    assert read_table(target, table="synthetic").columns.tolist() == ["age", "city"]
    assert len(read_table(target, table="patients")) == N + 10  # the other table untouched


def test_fit_from_a_query_then_sample_into_a_database(tmp_path):
    source = _clinic(tmp_path / "clinic.db")
    model = tmp_path / "m.tabgan"
    result = _run("fit", source, "--query", "SELECT age, born, smoker FROM patients", "-o",
                  model, *FAST)
    assert result.exit_code == 0, result.output
    target = f"sqlite:///{tmp_path / 'out.db'}"
    result = _run("sample", model, "-n", 95, "-o", target, "--output-table", "people",
                  "--batch-size", 20, "--quiet")
    assert result.exit_code == 0, result.output
    people = read_table(target, table="people")
    assert len(people) == 95 and str(people["born"].dtype) == "datetime64[s]"
    default = _run("sample", model, "-n", 5, "-o", target, "--quiet")
    assert default.exit_code == 0 and len(read_table(target, table="synthetic")) == 5


def test_evaluate_and_audit_read_databases(tmp_path):
    source = _clinic(tmp_path / "clinic.db")
    write_table(read_table(source, table="patients_test"), f"sqlite:///{tmp_path / 's.db'}",
                table="patients")
    synthetic = f"sqlite:///{tmp_path / 's.db'}"
    result = _run("evaluate", source, synthetic, "--table", "patients", "--holdout", source,
                  "--holdout-table", "patients_test", "--quiet")
    assert result.exit_code == 0, result.output
    assert "fidelity" in result.output.lower()
    page = tmp_path / "report.html"
    result = _run("audit", source, synthetic, "--table", "patients", "--holdout", source,
                  "--holdout-table", "patients_test", "-o", page, "--quiet")
    assert result.exit_code == 0, result.output
    assert page.exists()
    named = _run("evaluate", source, synthetic, "--table", "patients_test",
                 "--synthetic-table", "nosuch", "--quiet")
    assert named.exit_code == 1 and "no table 'nosuch'" in named.output


def test_database_options_need_a_database(tmp_path, mixed_frame):
    csv = tmp_path / "d.csv"
    mixed_frame.to_csv(csv, index=False)
    source = _clinic(tmp_path / "clinic.db")
    result = _run("fit", csv, "--table", "t", "-o", tmp_path / "m.tabgan", *FAST)
    assert result.exit_code == 2 and "--table and --query go with a database URL" in result.output
    result = _run("synth", csv, "-o", tmp_path / "s.csv", "--if-exists", "append", *FAST)
    assert result.exit_code == 2 and "--output-table and --if-exists" in result.output
    result = _run("synth", source, "-o", tmp_path / "s.csv", *FAST)
    assert result.exit_code == 1 and "a table name or a query" in result.output
    result = _run("evaluate", source, csv, "--table", "patients", "--synthetic-table", "x")
    assert result.exit_code == 2 and "--synthetic-table and --synthetic-query" in result.output
    result = _run("fit", "sqlite:///" + str(tmp_path / "none.db"), "--table", "t", "-o",
                  tmp_path / "m.tabgan")
    assert result.exit_code == 1 and "no such SQLite database file" in result.output
    assert not (tmp_path / "none.db").exists() and not (tmp_path / "s.csv").exists()


def test_database_options_are_the_apis_arguments_with_their_defaults():
    reading = inspect.signature(read_table).parameters
    writing = inspect.signature(write_table).parameters
    for command in ("fit", "synth", "augment", "evaluate", "audit"):
        params = {p.name: p for p in main.commands[command].params}
        assert params["table"].default is reading["table"].default is None
        assert params["query"].default is reading["query"].default is None
    for command in ("synth", "sample", "augment", "demo"):
        params = {p.name: p for p in main.commands[command].params}
        assert params["if_exists"].default == writing["if_exists"].default == "fail"
        assert params["output_table"].default is None


def test_synth_with_postgresql(postgres_url, tmp_path):
    sqlite_source = _clinic(tmp_path / "clinic.db")
    write_table(read_table(sqlite_source, table="patients"), postgres_url, table="patients")
    result = _run("synth", postgres_url, "--table", "patients", "-o", postgres_url,
                  "--output-table", "synthetic", *FAST)
    assert result.exit_code == 0, result.output
    synthetic = read_table(postgres_url, table="synthetic")
    assert len(synthetic) == N and str(synthetic["born"].dtype) == "datetime64[s]"
    types = _types(postgres_url, "synthetic")
    assert types["born"] == "DATE" and types["smoker"] == "BOOLEAN"
    assert types["age"] == "BIGINT"  # read as int64 from SQLite's 64-bit INTEGER
