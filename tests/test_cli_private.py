"""The command line under --epsilon: a CSV's schema comes from --metadata, never from its
values; `tabgan metadata` drafts one; the recipe and the ledger speak for themselves."""

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from tabgan import TabGAN
from tabgan.cli import main

FAST = ["--epochs", "1", "--seed", "0", "--quiet"]
META = {"columns": {
    "age": {"kind": "integer"},
    "income": {"kind": "continuous", "bounds": [0, 5000], "nullable": False},
    "city": {"kind": "categorical", "categories": ["Lyon", "Paris", "Nice"]},
    "joined": {"kind": "datetime", "datetime_format": "%Y-%m-%d"},
}}


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def csv(tmp_path):
    rng = np.random.default_rng(0)
    n = 1500
    frame = pd.DataFrame({
        "age": rng.integers(18, 90, n).astype(object),
        "income": rng.gamma(2, 300, n).round(2),
        "city": rng.choice(["Lyon", "Paris", "Nice"], n),
        "joined": (pd.Timestamp("2020-01-01")
                   + pd.to_timedelta(rng.integers(0, 700, n), unit="D")).strftime("%Y-%m-%d"),
    })
    frame.loc[3, "age"] = "33.5"  # one record that would turn the column continuous...
    frame.loc[4, "age"] = "unknown"  # ... or categorical, and make the fit fail
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture
def meta(tmp_path):
    path = tmp_path / "meta.json"
    path.write_text(json.dumps(META))
    return path


def test_epsilon_without_metadata_refuses_and_shows_how_to_write_one(tmp_path, csv):
    out = tmp_path / "m.tabgan"
    result = _run("fit", csv, "-o", out, "--epsilon", "1", *FAST)
    assert result.exit_code == 1
    assert '"columns"' in result.output and '"datetime_format"' in result.output
    assert "age, income, city, joined" in result.output
    assert "tabgan metadata" in result.output and not out.exists()


def test_the_metadata_command_drafts_with_a_warning(tmp_path, csv):
    out = tmp_path / "draft.json"
    result = CliRunner().invoke(main, ["metadata", str(csv), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "drafted from the values" in result.output and "--epsilon" in result.output
    draft = json.loads(out.read_text())
    kinds = {c["name"]: c["kind"] for c in draft["columns"]}
    assert kinds["joined"] == "datetime" and kinds["income"] == "continuous"
    assert not any("bounds" in c or "categories" in c for c in draft["columns"])


def test_a_private_fit_takes_the_types_from_the_metadata(tmp_path, csv, meta):
    out = tmp_path / "m.tabgan"
    result = _run("fit", csv, "-o", out, "--epsilon", "3", "--metadata", meta, *FAST)
    assert result.exit_code == 0, result.output
    model = TabGAN.load(out)
    assert [c.kind for c in model.metadata_.columns] == ["integer", "continuous",
                                                         "categorical", "datetime"]
    sample = model.sample(300)
    assert str(sample["age"].dtype) == "Int64"
    assert sample["income"].notna().all()  # declared non-null stays non-null
    info = _run("info", out).output
    assert "noisy count" in info and "recipe" in info and "critic loss" not in info


def test_an_undeclared_date_column_gets_an_error_that_names_the_fix(tmp_path, csv):
    partial = {"columns": {k: v for k, v in META["columns"].items() if k != "joined"}}
    path = tmp_path / "partial.json"
    path.write_text(json.dumps(partial))
    result = _run("fit", csv, "-o", tmp_path / "m.tabgan", "--epsilon", "3", "--metadata",
                  path, *FAST)
    assert result.exit_code == 1
    assert "'joined'" in result.output and '"datetime_format"' in result.output
    assert "list its categories" not in result.output


def test_synth_writes_the_released_number_of_rows(tmp_path, csv, meta):
    out = tmp_path / "s.csv"
    result = _run("synth", csv, "-o", out, "--epsilon", "3", "--metadata", meta,
                  "--save-model", tmp_path / "m.tabgan", *FAST)
    assert result.exit_code == 0, result.output
    rows = len(pd.read_csv(out))
    assert rows == TabGAN.load(tmp_path / "m.tabgan").privacy_ledger_.n_rows
