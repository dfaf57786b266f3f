"""The Adult table that ships with tabgan."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tabgan import TableTransformer
from tabgan.datasets import ADULT_TARGET, load_adult

SHARED_COPY = Path(__file__).resolve().parents[2] / "shared" / "data" / "adult.csv"
COLUMNS = [
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education-num",
    "marital-status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital-gain",
    "capital-loss",
    "hours-per-week",
    "native-country",
    "income",
]


@pytest.fixture(scope="module")
def adult() -> pd.DataFrame:
    return load_adult()


def test_shape_and_columns(adult):
    assert adult.shape == (32561, 15)
    assert adult.columns.tolist() == COLUMNS
    assert ADULT_TARGET in adult.columns


def test_question_marks_are_nulls(adult):
    for name in ("workclass", "occupation", "native-country"):
        assert adult[name].isna().sum() > 0
        assert not adult[name].eq("?").any()
    numeric = adult.select_dtypes("number")
    assert numeric.columns.tolist() == [
        "age",
        "fnlwgt",
        "education-num",
        "capital-gain",
        "capital-loss",
        "hours-per-week",
    ]
    assert numeric.notna().all().all()
    assert (numeric.dtypes == "int64").all()


def test_leading_spaces_are_skipped(adult):
    for name in _text_columns(adult):
        values = adult[name].dropna()
        assert not values.str.startswith(" ").any(), name
    assert sorted(adult["income"].unique()) == ["<=50K", ">50K"]
    assert set(adult["sex"]) == {"Female", "Male"}


def test_the_shipped_copy_is_the_shared_table(adult):
    if not SHARED_COPY.exists():
        pytest.skip(f"{SHARED_COPY} is not on this machine")
    raw = pd.read_csv(SHARED_COPY, skipinitialspace=True, na_values=["?"])
    pd.testing.assert_frame_equal(adult, raw)


def test_adult_round_trips_through_the_transformer(adult):
    sample = adult.sample(2000, random_state=0).reset_index(drop=True)
    tt = TableTransformer(random_state=0).fit(sample)
    back = tt.inverse_transform(tt.transform(sample))
    assert back.dtypes.tolist() == sample.dtypes.tolist()
    for name in _text_columns(sample):
        pd.testing.assert_series_equal(back[name].isna(), sample[name].isna())
        assert back[name].dropna().tolist() == sample[name].dropna().tolist()
    for name in sample.select_dtypes("number").columns:
        assert back[name].between(sample[name].min(), sample[name].max()).all()


def _text_columns(frame: pd.DataFrame) -> list:
    """The text columns: object under pandas 2, str under pandas 3."""
    return [c for c in frame.columns if _is_text(frame[c])]


def _is_text(series: pd.Series) -> bool:
    """A text column: object under pandas 2, str (a StringDtype) under pandas 3."""
    return series.dtype == object or isinstance(series.dtype, pd.StringDtype)
