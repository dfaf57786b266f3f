"""Metadata: kind inference, overrides, the JSON format, and public bounds and categories."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from tabgan import ColumnMetadata, Metadata, TableTransformer
from tabgan.errors import (
    ColumnMismatchError,
    IdentifierColumnError,
    MetadataError,
    UnseenCategoryError,
)
from tabgan.table.inference import DEFAULT_MAX_DISCRETE_VALUES, MIN_ROWS_FOR_IDENTIFIER

N = 40


def kinds(df: pd.DataFrame, **kwargs) -> dict:
    return {c.name: c.kind for c in Metadata.infer(df, **kwargs).columns}


@pytest.fixture
def mixed() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "height": rng.normal(170, 10, N),
            "age": rng.integers(18, 90, N),
            "count": pd.array(list(rng.integers(0, 1000, N - 1)) + [None], dtype="Int64"),
            "score": (np.arange(N) % 20) * 2.0,  # floats, all whole
            "city": ["Paris", "Lyon", "Nice", "Lille"] * (N // 4),
            "member": [True, False] * (N // 2),
            "grade": pd.Categorical(["a", "b"] * (N // 2), categories=list("cba"), ordered=True),
            "seen": pd.date_range("2021-01-01", periods=N, freq="h"),
            "day": [f"2020-03-{d:02d}" for d in range(1, 21)] * 2,
            "stars": rng.integers(1, 6, N),  # five distinct numbers
        }
    )


# ---------------------------------------------------------------------- inference
def test_each_kind_is_inferred(mixed):
    assert kinds(mixed) == {
        "height": "continuous",
        "age": "integer",
        "count": "integer",
        "score": "integer",
        "city": "categorical",
        "member": "categorical",
        "grade": "categorical",
        "seen": "datetime",
        "day": "datetime",
        "stars": "categorical",
    }


def test_inferred_dtypes_and_formats_are_recorded(mixed):
    meta = Metadata.infer(mixed)
    assert meta["score"].dtype == "float64"  # restored as whole floats, not as int64
    assert meta["count"].dtype == "Int64"
    assert meta["seen"].dtype == str(mixed["seen"].dtype)  # [ns] on pandas 2, [us] on 3
    assert meta["day"].datetime_format == "%Y-%m-%d"
    assert meta["grade"].ordered is True
    assert meta["city"].ordered is False


def test_few_distinct_numbers_make_a_category():
    limit = DEFAULT_MAX_DISCRETE_VALUES
    few = np.arange(3 * N) % limit
    many = np.arange(3 * N) % (limit + 1)
    df = pd.DataFrame({"few": few, "many": many, "few_f": few + 0.5, "many_f": many + 0.5})
    assert kinds(df) == {
        "few": "categorical",
        "many": "integer",
        "few_f": "categorical",
        "many_f": "continuous",
    }
    assert kinds(df, max_discrete_values=limit + 1)["many"] == "categorical"


def test_numbers_distinct_in_every_row_are_numeric_not_an_identifier():
    df = pd.DataFrame({"v": np.arange(MIN_ROWS_FOR_IDENTIFIER) * 7})
    assert kinds(df) == {"v": "integer"}


def test_strings_in_mixed_date_formats_are_categorical():
    df = pd.DataFrame({"d": ["2020-01-01", "01/02/2020"] * 10})
    meta = Metadata.infer(df)
    assert meta["d"].kind == "categorical"
    assert meta["d"].datetime_format is None


def test_short_unique_string_column_is_not_an_identifier():
    # Under MIN_ROWS_FOR_IDENTIFIER rows, every value being distinct says nothing.
    df = pd.DataFrame({"name": [f"n{i}" for i in range(MIN_ROWS_FOR_IDENTIFIER - 1)]})
    assert kinds(df) == {"name": "categorical"}


def test_identifier_error_names_the_fixes():
    df = pd.DataFrame({"email": [f"p{i}@example.org" for i in range(N)]})
    with pytest.raises(IdentifierColumnError) as info:
        Metadata.infer(df)
    message = str(info.value)
    assert "'email'" in message and "drop" in message and "'id'" in message


# ---------------------------------------------------------------------- overrides
def test_discrete_columns_override(mixed):
    inferred = kinds(mixed, discrete_columns=["age", "score"])
    assert inferred["age"] == "categorical"
    assert inferred["score"] == "categorical"
    assert inferred["height"] == "continuous"


def test_discrete_column_with_a_value_per_row_is_an_identifier(mixed):
    with pytest.raises(IdentifierColumnError, match="'height'"):
        Metadata.infer(mixed, discrete_columns=["height"])


def test_discrete_columns_must_exist(mixed):
    with pytest.raises(ColumnMismatchError, match="'nope'"):
        Metadata.infer(mixed, discrete_columns=["nope"])


def test_metadata_declares_some_columns_and_the_rest_is_inferred(mixed):
    metadata = {"columns": {"stars": {"kind": "integer"}, "age": {"kind": "continuous"}}}
    inferred = kinds(mixed, metadata=metadata)
    assert inferred["stars"] == "integer"
    assert inferred["age"] == "continuous"
    assert inferred["height"] == "continuous"
    assert inferred["city"] == "categorical"


def test_declared_kind_must_fit_the_values(mixed):
    with pytest.raises(MetadataError, match="'city'"):
        Metadata.infer(mixed, metadata={"columns": {"city": {"kind": "continuous"}}})
    with pytest.raises(MetadataError, match="'city'"):
        Metadata.infer(mixed, metadata={"columns": {"city": {"kind": "datetime"}}})


def test_metadata_naming_a_missing_column(mixed):
    with pytest.raises(ColumnMismatchError, match="'ghost'"):
        Metadata.infer(mixed, metadata={"columns": {"ghost": {"kind": "integer"}}})


def test_transformer_takes_discrete_columns():
    df = pd.DataFrame({"code": np.arange(N) % 20})
    tt = TableTransformer().fit(df, discrete_columns=["code"])
    assert [c.name for c in tt.layout_.discrete] == ["code"]
    assert tt.layout_.dim == 20
    assert tt.inverse_transform(tt.transform(df))["code"].tolist() == df["code"].tolist()


# ---------------------------------------------------------------------- JSON
def test_metadata_json_round_trip(mixed, tmp_path):
    meta = Metadata.infer(mixed)
    assert Metadata.from_json(meta.to_json()) == meta
    path = tmp_path / "metadata.json"
    meta.to_json(path)
    assert Metadata.from_json(path) == meta
    assert Metadata.from_json(str(path)) == meta
    assert Metadata.from_dict(json.loads(path.read_text(encoding="utf-8"))) == meta


def test_list_and_dict_forms_of_columns_agree():
    as_list = {
        "columns": [
            {"name": "age", "kind": "integer", "bounds": [0, 120]},
            {"name": "sex", "kind": "categorical", "categories": ["F", "M"]},
        ]
    }
    as_dict = {
        "columns": {
            "age": {"kind": "integer", "bounds": [0, 120]},
            "sex": {"kind": "categorical", "categories": ["F", "M"]},
        }
    }
    assert Metadata.from_dict(as_list) == Metadata.from_dict(as_dict)
    assert Metadata.from_dict(as_list).names == ["age", "sex"]
    assert Metadata.from_dict(as_list)["age"].bounds == (0, 120)


def test_unicode_and_integer_names_survive_json():
    meta = Metadata(
        [
            ColumnMetadata("名前", "categorical", categories=["é", "ß", None]),
            ColumnMetadata(7, "continuous", bounds=(-1.5, 2.5)),
            ColumnMetadata("when", "datetime", bounds=("2020-01-01", "2020-12-31")),
        ]
    )
    text = meta.to_json()
    assert "名前" in text  # written as UTF-8, not \\u escapes
    back = Metadata.from_json(text)
    assert back == meta
    assert back.names == ["名前", 7, "when"]


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"columns": [{"name": "a", "kind": "text"}]}, "'a'"),
        ({"columns": [{"name": "a"}]}, "'a'"),
        ({"columns": [{"name": "a", "kind": "integer", "colour": "red"}]}, "colour"),
        ({"columns": [{"name": "a", "kind": "integer", "categories": [1, 2]}]}, "'a'"),
        ({"columns": [{"name": "a", "kind": "categorical", "bounds": [0, 1]}]}, "'a'"),
        ({"columns": [{"name": "a", "kind": "integer", "bounds": [5, 1]}]}, "'a'"),
        ({"columns": [{"name": "a", "kind": "categorical", "categories": []}]}, "'a'"),
        ({"columns": [{"name": "a", "kind": "categorical", "categories": [1, 1]}]}, "'a'"),
        ({"columns": [{"name": "a", "kind": "integer"}] * 2}, "twice"),
        ({"schema_version": 99, "columns": []}, "99"),
        ({"cols": []}, "columns"),
    ],
)
def test_malformed_metadata(data, fragment):
    with pytest.raises(MetadataError, match=fragment):
        Metadata.from_dict(data)


def test_malformed_json_and_missing_file(tmp_path):
    with pytest.raises(MetadataError, match="JSON"):
        Metadata.from_json('{"columns": [}')
    with pytest.raises(MetadataError, match="cannot read"):
        Metadata.from_json(tmp_path / "absent.json")


def test_categories_keep_one_true_and_one_apart():
    column = ColumnMetadata("c", "categorical", categories=[1, True, 1.0, np.int64(2)])
    assert [type(v) for v in column.categories] == [int, bool, float, int]


# ---------------------------------------------------------------------- public facts
def test_public_categories_let_transform_accept_a_category_the_data_lacked():
    df = pd.DataFrame({"colour": ["red", "blue"] * 10, "v": np.arange(20.0)})
    colours = ["red", "green", "blue"]
    public = {"columns": {"colour": {"kind": "categorical", "categories": colours}}}
    tt = TableTransformer(random_state=0).fit(df, public)
    assert tt.categories("colour") == ["red", "green", "blue"]
    assert tt.layout_.column("colour").dim == 3
    new = pd.DataFrame({"colour": ["green", "red"], "v": [1.0, 2.0]})
    assert tt.inverse_transform(tt.transform(new))["colour"].tolist() == ["green", "red"]


def test_public_categories_still_reject_values_outside_the_list():
    df = pd.DataFrame({"colour": ["red", "blue", "teal"] * 5})
    public = {"columns": {"colour": {"kind": "categorical", "categories": ["red", "blue"]}}}
    tt = TableTransformer().fit(df, public)
    with pytest.raises(UnseenCategoryError, match="'colour'.*teal"):
        tt.transform(df)


def test_public_categories_with_nulls_in_the_data():
    df = pd.DataFrame({"colour": ["red", None, "blue"] * 5})
    public = {"columns": {"colour": {"kind": "categorical", "categories": ["red", "blue"]}}}
    tt = TableTransformer().fit(df, public)
    back = tt.inverse_transform(tt.transform(df))
    assert back["colour"].tolist() == df["colour"].tolist()


def _edge_matrix(tt: TableTransformer, name, alpha: float) -> torch.Tensor:
    """Every row of ``name`` at alpha = ``alpha``, once in each mode."""
    n_modes = len(tt.mixture(name).weights)
    matrix = torch.zeros(n_modes, tt.layout_.dim)
    start = tt.layout_.column(name).start
    matrix[:, start] = alpha
    matrix[torch.arange(n_modes), start + 1 + torch.arange(n_modes)] = 1.0
    return matrix


def test_public_bounds_set_the_clipping_range():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"income": rng.normal(50.0, 5.0, 500).clip(35, 65)})
    wide = {"columns": {"income": {"kind": "continuous", "bounds": [0, 1000]}}}
    narrow = {"columns": {"income": {"kind": "continuous", "bounds": [45, 55]}}}
    for metadata, (low, high) in ((wide, (0, 1000)), (narrow, (45, 55))):
        tt = TableTransformer(numeric_encoding="mixture", random_state=0).fit(df, metadata)
        mixture = tt.mixture("income")
        top = tt.inverse_transform(_edge_matrix(tt, "income", 1.0))["income"].to_numpy()
        bottom = tt.inverse_transform(_edge_matrix(tt, "income", -1.0))["income"].to_numpy()
        np.testing.assert_allclose(top, np.clip(mixture.means + 4 * mixture.stds, low, high))
        np.testing.assert_allclose(bottom, np.clip(mixture.means - 4 * mixture.stds, low, high))
    # The wide bounds let values past the data's own max (65) through: the data did not set
    # the range.
    wide_tt = TableTransformer(numeric_encoding="mixture", random_state=0).fit(df, wide)
    assert wide_tt.inverse_transform(_edge_matrix(wide_tt, "income", 1.0))["income"].max() > 65


def test_public_datetime_bounds_as_iso_strings():
    df = pd.DataFrame({"t": pd.date_range("2020-03-01", periods=50, freq="D")})
    public = {"columns": {"t": {"kind": "datetime", "bounds": ["2020-03-10", "2020-03-20"]}}}
    tt = TableTransformer(random_state=0).fit(df, public)
    back = tt.inverse_transform(tt.transform(df))["t"]
    assert back.min() >= pd.Timestamp("2020-03-10")
    assert back.max() <= pd.Timestamp("2020-03-20")
    assert back.dtype == df["t"].dtype


# ---------------------------------------------------------------------- state_dict
def test_state_dict_json_round_trip_gives_the_same_inverse(mixed):
    df = mixed.assign(user=[f"u{i}" for i in range(N)])
    metadata = {
        "columns": {
            "user": {"kind": "id"},
            "height": {"kind": "continuous", "bounds": [100, 250]},
            "city": {"kind": "categorical", "categories": ["Paris", "Lyon", "Nice", "Lille", "X"]},
        }
    }
    tt = TableTransformer(random_state=0).fit(df, metadata)
    matrix = tt.transform(df)
    text = json.dumps(tt.state_dict())
    loaded = TableTransformer().load_state_dict(json.loads(text))

    assert loaded.get_params() == tt.get_params()
    assert loaded.metadata_ == tt.metadata_
    assert loaded.layout_ == tt.layout_
    pd.testing.assert_frame_equal(
        loaded.inverse_transform(matrix, random_state=5),
        tt.inverse_transform(matrix, random_state=5),
    )
    # And the loaded transformer encodes new data as well.
    assert tuple(loaded.transform(df).shape) == tuple(matrix.shape)


def test_state_dict_of_another_version_is_refused(mixed):
    state = TableTransformer().fit(mixed).state_dict()
    state["version"] = 999
    with pytest.raises(MetadataError, match="version"):
        TableTransformer().load_state_dict(state)
