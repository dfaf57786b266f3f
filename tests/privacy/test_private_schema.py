"""Under DP the schema is declared, never read off the values, and no single record can make
a fit refuse: all-null columns, infinities, dates that do not parse are handled by rule."""

import warnings

import numpy as np
import pandas as pd
import pytest

from tabgan import TabGAN
from tabgan.errors import MetadataError
from tabgan.table.metadata import Metadata

TINY = dict(epochs=1, batch_size=100, embedding_dim=8, generator_dims=(8,), critic_dims=(8,),
            verbose=False, random_state=0)


def _fit(frame, metadata=None, epsilon=3.0, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the coarse-range advice
        return TabGAN(epsilon=epsilon, **{**TINY, **params}).fit(frame, metadata=metadata)


def _frame(n=600, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"x": rng.normal(0, 1, n), "c": rng.choice(["a", "b"], n)})


# ------------------------------------------------------------------ item 6: no refusal by one row
def test_a_column_null_but_for_one_row_fits_with_and_without_that_row():
    frame = _frame()
    frame["rare"] = np.nan
    frame.loc[3, "rare"] = 1.5
    for table in (frame, frame.drop(index=3)):  # before: the second raised AllNullColumnError
        out = _fit(table).sample(2000)
        assert out["rare"].dtype == "float64" and out["rare"].isna().any()


def test_a_single_infinity_is_read_as_a_null():
    frame = _frame()
    frame.loc[7, "x"] = np.inf  # before: InfiniteValueError
    out = _fit(frame).sample(50)
    assert np.isfinite(out["x"].dropna()).all()


def test_a_categorical_column_with_nothing_released_is_generated_as_null():
    frame = _frame()
    frame["mostly_null"] = None
    frame.loc[:2, "mostly_null"] = ["p", "q", "r"]
    with pytest.warns(UserWarning, match="'mostly_null' was frequent enough"):
        model = TabGAN(epsilon=3.0, **TINY).fit(frame)
    assert model.sample(30)["mostly_null"].isna().all()
    assert any("mostly_null" in note for note in model.privacy_ledger_.notes)


def test_values_no_category_holds_are_not_released():
    frame = _frame()
    frame["c"] = frame["c"].astype(object)
    frame.at[5, "c"] = ["a", "list"]  # before: UnsupportedValueError, decided by this row
    frame.at[6, "c"] = 17  # before: MixedTypesError
    out = _fit(frame).sample(40)
    assert set(out["c"].dropna()) <= {"a", "b"}


# ------------------------------------------------------------------ item 4: datetime formats
def test_a_declared_datetime_without_a_format_is_refused_before_any_value_is_read(monkeypatch):
    frame = _frame()
    frame["d"] = pd.date_range("2020-01-01", periods=len(frame), freq="D").strftime("%Y-%m-%d")
    import tabgan.table.inference as inference

    def no_guessing(series):
        raise AssertionError("a datetime format was guessed from the values")

    monkeypatch.setattr(inference, "string_datetime_format", no_guessing)
    with pytest.raises(MetadataError, match="datetime_format"):
        _fit(frame, {"columns": {"d": {"kind": "datetime"}}})


def test_one_date_in_another_format_is_read_as_a_null():
    frame = _frame()
    frame["d"] = pd.date_range("2020-01-01", periods=len(frame), freq="D").strftime("%Y-%m-%d")
    frame.loc[10, "d"] = "05/01/2020"  # before: the fit refused at encoding
    declared = {"columns": {"d": {"kind": "datetime", "datetime_format": "%Y-%m-%d"}}}
    out = _fit(frame, declared).sample(30)
    parsed = pd.to_datetime(out["d"].dropna(), format="%Y-%m-%d")
    assert len(parsed) > 0


# ------------------------------------------------------------------ item 2: typed by the metadata
META = Metadata.from_dict({"columns": {
    "age": {"kind": "integer"},
    "income": {"kind": "continuous"},
    "city": {"kind": "categorical"},
    "grade": {"kind": "categorical", "categories": [1, 2, 3]},
    "joined": {"kind": "datetime", "datetime_format": "%Y-%m-%d"},
}})


def _text(n=300, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "age": rng.integers(18, 90, n).astype(str),
        "income": rng.gamma(2, 100, n).round(2).astype(str),
        "city": rng.choice(["Lyon", "Paris"], n),
        "grade": rng.choice(["1", "2", "3"], n),
        "joined": pd.Series(pd.date_range("2020-01-01", periods=n)).dt.strftime("%Y-%m-%d"),
    }, dtype=object)


@pytest.mark.parametrize("odd", ["33.5", None, "oops", "1e400"])
def test_one_odd_field_changes_no_column_type(odd):
    from tabgan.table.declared import conform

    clean = conform(_text(), META)
    messy = _text()
    messy.loc[4, "age"] = odd
    typed = conform(messy, META)
    assert typed.dtypes.equals(clean.dtypes)
    assert str(typed["age"].dtype) == "Int64" and typed["grade"].tolist()[:3] == \
        clean["grade"].tolist()[:3]
    expected = {"33.5": 34, None: pd.NA, "oops": pd.NA, "1e400": pd.NA}[odd]
    assert (typed.loc[4, "age"] is pd.NA) if expected is pd.NA else typed.loc[4, "age"] == 34
    schema = Metadata.infer(typed, metadata=META.to_dict(), schema_only=True)
    assert [c.kind for c in schema.columns] == ["integer", "continuous", "categorical",
                                               "categorical", "datetime"]


def test_every_column_of_a_csv_must_be_declared():
    from tabgan.table.declared import conform

    frame = _text()
    frame["zip"] = "75001"
    with pytest.raises(MetadataError, match='"zip": {"kind": "..."}'):
        conform(frame, META)


def test_a_draft_declares_kinds_and_formats_but_no_public_facts():
    from tabgan.table.declared import draft_metadata

    frame = pd.DataFrame({
        "age": np.arange(40) % 30 + 18, "flag": [True, False] * 20,
        "id": [f"u{i}" for i in range(40)],
        "day": pd.Series(pd.date_range("2021-01-01", periods=40)).dt.strftime("%Y/%m/%d"),
    })
    draft = draft_metadata(frame)
    assert [c.kind for c in draft.columns] == ["integer", "categorical", "id", "datetime"]
    assert draft["day"].datetime_format == "%Y/%m/%d"
    assert all(c.bounds is None and c.categories is None and c.nullable is None
               for c in draft.columns)
