"""Null tokens, numbers and dates among stray strings, dates in mixed formats, and the
warning for categorical columns with many distinct values."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from tabgan import Metadata, TabGAN
from tabgan.errors import (
    HighCardinalityWarning,
    MixedDateFormatsError,
    StrayValuesError,
)
from tabgan.table.io import read_table

N = 80


@pytest.fixture
def prices() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({
        "price": rng.gamma(2, 20, N).round(2),
        "sign": rng.choice(["+", "-"], N),  # "-" is a value here, not a null
        "when": pd.date_range("2020-01-01", periods=N, freq="D").strftime("%Y-%m-%d"),
    })


def test_placeholders_among_numbers_and_dates_are_read_as_nulls(tmp_path, prices, capsys):
    messy = prices.astype(object)
    messy.loc[[3, 7], "price"] = "?"
    messy.loc[11, "price"] = "N/A"
    messy.loc[12, "price"] = " - "
    messy.loc[[5, 9], "when"] = "unknown"
    path = tmp_path / "messy.csv"
    messy.to_csv(path, index=False)
    got = read_table(path, verbose=True)
    assert got["price"].dtype == np.float64
    assert got["price"].isna().tolist() == [i in (3, 7, 11, 12) for i in range(N)]
    assert got["when"].isna().sum() == 2 and got["when"].dropna().str.len().eq(10).all()
    assert sorted(got["sign"].unique()) == ["+", "-"]  # a text column keeps its "-"
    err = capsys.readouterr().err
    assert "'price'" in err and "'?'" in err and "'when'" in err
    kinds = {c.name: c.kind for c in Metadata.infer(got).columns}
    assert kinds == {"price": "continuous", "sign": "categorical", "when": "datetime"}


def test_given_na_values_are_exactly_the_nulls(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("country,n\nNA,1\nFR,?\n,3\nDE,4\n")
    assert read_table(path)["country"].isna().tolist() == [True, False, True, False]
    got = read_table(path, na_values=[""])  # only empty fields are null
    assert got["country"].tolist()[:2] == ["NA", "FR"] and got["n"].tolist()[1] == "?"
    got = read_table(path, na_values=["?"])
    assert got["n"].tolist()[:2] == [1, None] or np.isnan(got["n"].iloc[1])
    assert got["country"].iloc[0] == "NA"


def test_numbers_with_stray_strings_are_refused_with_their_rows(prices):
    messy = prices.astype({"price": str})  # as a text column of a file reads
    messy.loc[[4, 17], "price"] = "unk."
    messy.loc[22, "price"] = "12 kg"
    with pytest.raises(StrayValuesError) as info:
        Metadata.infer(messy)
    text = str(info.value)
    assert "'price'" in text and "'unk.'" in text and "rows 4, 17" in text and "row 22" in text
    assert "na_values" in text and "discrete_columns=['price']" in text  # Python's advice
    cli = info.value.command_line_message()  # and the command line's
    assert "rows 4, 17" in cli and "--na-values 'unk.,12 kg'" in cli and "--discrete price" in cli
    kinds = {c.name: c.kind for c in Metadata.infer(messy, discrete_columns=["price"]).columns}
    assert kinds["price"] == "categorical"  # declared: the user's choice
    as_text = prices.astype({"price": str})
    with pytest.raises(StrayValuesError, match="pd.to_numeric"):
        Metadata.infer(as_text)


def test_dates_in_mixed_formats_are_parsed_by_the_reader_and_refused_as_strings(tmp_path,
                                                                              prices):
    mixed = prices.copy()
    stamps = pd.to_datetime(prices["when"])
    mixed.loc[::3, "when"] = stamps[::3].dt.strftime("%d/%m/%Y")  # day-first, days up to 31
    with pytest.raises(MixedDateFormatsError, match="%d/%m/%Y"):
        Metadata.infer(mixed)
    path = tmp_path / "dates.csv"
    mixed.to_csv(path, index=False)
    got = read_table(path)
    assert pd.api.types.is_datetime64_any_dtype(got["when"])
    assert (got["when"] == stamps).all()
    broken = mixed.copy()
    broken.loc[[6, 30], "when"] = "2020-02-30"  # not a date
    with pytest.raises(StrayValuesError, match=r"'2020-02-30' \(rows 6, 30\)"):
        Metadata.infer(broken)
    broken.to_csv(path, index=False)
    left = read_table(path)["when"]  # left as text for the fit to refuse
    assert pd.api.types.is_string_dtype(left) and not pd.api.types.is_datetime64_any_dtype(left)


def test_many_distinct_categories_warn_and_few_do_not(tiny_model_params):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"name": [f"person {i % 70}" for i in range(140)],
                          "x": rng.normal(size=140)})
    with pytest.warns(HighCardinalityWarning, match="'name'.*70 distinct.*copies of real"):
        TabGAN(**{**tiny_model_params, "epochs": 1}).fit(frame)
    few = frame.assign(name=rng.choice(["a", "b", "c"], 140))
    with warnings.catch_warnings():
        warnings.simplefilter("error", HighCardinalityWarning)
        TabGAN(**{**tiny_model_params, "epochs": 1}).fit(few)
