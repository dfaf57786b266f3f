"""TableTransformer: the round trip, the layout of the matrix, and every bad input."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tabgan import TableTransformer
from tabgan.errors import (
    AllNullColumnError,
    ColumnMismatchError,
    DataError,
    DuplicateColumnsError,
    EmptyTableError,
    IdentifierColumnError,
    InfiniteValueError,
    MixedTypesError,
    NotFittedError,
    TabGANError,
    UnexpectedNullError,
    UnseenCategoryError,
    UnsupportedValueError,
)
from tests.strategies import GENERATORS, GeneratedTable, tables

ALPHA_CLIP = 0.99
EDGE = 4 * ALPHA_CLIP  # a value further than EDGE sigma from its mode comes back at the edge
_STEPS = (86_400, 3_600, 60, 1)  # datetime resolutions, coarsest first, in seconds
PROPERTY = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------------- helpers
def as_float(series: pd.Series, fmt: str | None = None) -> np.ndarray:
    """Numbers as float64; datetimes (or date strings in ``fmt``) as UTC epoch seconds."""
    if fmt is not None:
        series = pd.to_datetime(series, format=fmt)
    if pd.api.types.is_datetime64_any_dtype(series):
        if series.dt.tz is not None:
            series = series.dt.tz_convert("UTC").dt.tz_localize(None)
        stamps = series.to_numpy()
        unit = np.datetime_data(stamps.dtype)[0]
        per_second = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}[unit]
        ticks = stamps.view(np.int64)
        # Whole seconds and the fraction apart, so that ns ticks (> 2**53) stay exact.
        seconds = (ticks // per_second).astype(np.float64) + (ticks % per_second) / per_second
        return np.where(np.isnat(stamps), np.nan, seconds)
    return series.to_numpy(dtype=np.float64, na_value=np.nan)


def resolution(seconds: np.ndarray) -> int:
    """The coarsest step of ``_STEPS`` that every value is a whole multiple of."""
    assert np.all(seconds == np.round(seconds)), "the strategies draw whole seconds"
    return next(s for s in _STEPS if np.all(seconds % s == 0))


def check_matrix(tt: TableTransformer, matrix: torch.Tensor, n_rows: int) -> None:
    """Shape, dtype, spans and the condition-vector layout of a transformed table."""
    assert matrix.dtype == torch.float32
    layout = tt.layout_
    assert tuple(matrix.shape) == (n_rows, layout.dim)
    assert sum(span.dim for span in layout.spans) == layout.dim
    values = matrix.numpy()
    offset = 0
    for span in layout.spans:
        assert span.start == offset
        block = values[:, offset : offset + span.dim]
        if span.activation == "tanh":
            assert span.dim == 1
            assert np.all(np.abs(block) <= ALPHA_CLIP + 1e-6)
        else:
            assert span.activation == "softmax"
            assert np.all((block == 0) | (block == 1))
            assert np.all(block.sum(axis=1) == 1)
        offset += span.dim
    cond = 0
    for column in layout.discrete:
        assert column.spans == (column.softmax,) and column.softmax.start == column.start
        assert column.cond_start == cond
        assert column.n_categories == len(tt.categories(column.name))
        cond += column.n_categories
    assert layout.cond_dim == cond


def check_numeric(tt, name, fmt, original: pd.Series, back: pd.Series, matrix) -> None:
    """Each value comes back within the tolerance of its encoding.

    With ``k`` the mode sampled for a value ``x`` (the argmax of its mode span), ``x``
    comes back as itself when ``|x - mu_k| <= 3.96 sigma_k``, else at that edge of the
    mode; then clipped into the column's [min, max]. The slack is the float32 precision
    of alpha, plus half a step where values are rounded (integers, datetimes).
    """
    meta = tt.metadata_[name]
    if tt.numeric_encoding == "quantile":
        return check_quantile(tt, name, fmt, original, back)
    mixture = tt.mixture(name)
    n_modes = len(mixture.weights)
    block = matrix[:, tt.column_slice(name)].numpy().astype(np.float64)
    alpha, modes = block[:, 0], block[:, 1:]
    null = original.isna().to_numpy()
    assert modes.shape[1] == n_modes + int(null.any())
    k = modes.argmax(axis=1)
    np.testing.assert_array_equal(k == n_modes, null)  # the null indicator, and only there
    assert np.all(alpha[null] == 0)

    x = as_float(original, fmt)[~null]
    y = as_float(back, fmt)[~null]
    low, high = x.min(), x.max()
    mu, sigma = mixture.means[k[~null]], mixture.stds[k[~null]]
    distance = x - mu
    edge = mu + np.sign(distance) * EDGE * sigma
    expected = np.clip(np.where(np.abs(distance) <= EDGE * sigma, x, edge), low, high)

    eps = np.finfo(np.float64).eps
    tol = 4 * sigma * 2.0**-22 + 8 * eps * (np.abs(mu) + 4 * sigma + np.abs(x))
    if back.dtype == np.float32:
        tol = tol + np.abs(expected) * 2.0**-23
    if meta.kind == "integer" or pd.api.types.is_integer_dtype(back.dtype):
        tol = tol + 0.5
        assert np.all(y == np.round(y))
    if meta.kind == "datetime":
        tol = tol + resolution(x) / 2
    worst = np.argmax(np.abs(y - expected) - tol) if len(y) else 0
    assert np.all(np.abs(y - expected) <= tol), (
        f"{name!r}: x={x[worst]!r} came back {y[worst]!r}, expected {expected[worst]!r} "
        f"(mode {k[~null][worst]}, mu={mu[worst]!r}, sigma={sigma[worst]!r})"
    )
    assert np.all((y >= low - tol) & (y <= high + tol))


def check_quantile(tt, name, fmt, original: pd.Series, back: pd.Series) -> None:
    """With quantile bins, a table of up to 4,096 distinct values comes back exactly (up to
    the restored dtype's precision, and float64's for integers beyond 2**53)."""
    null = original.isna().to_numpy()
    x = as_float(original, fmt)[~null]
    y = as_float(back, fmt)[~null]
    tol = np.abs(x) * (2.0**-23 if back.dtype == np.float32 else 4 * np.finfo(np.float64).eps)
    assert np.all(np.abs(y - x) <= tol), (name, x, y)


def check_round_trip(table: GeneratedTable, tt: TableTransformer, matrix, back) -> None:
    df = table.frame
    assert list(back.columns) == list(df.columns)
    assert len(back) == len(df)
    for col in table.columns:
        name = col.name
        meta = tt.metadata_[name]
        assert meta.kind in GENERATORS[col.generator], (name, col.generator, meta.kind)
        if col.declared_kind is not None:
            assert meta.kind == col.declared_kind
        if col.datetime_format is not None:
            assert meta.datetime_format == col.datetime_format
        assert back[name].dtype == df[name].dtype, (name, df[name].dtype, back[name].dtype)
        null = df[name].isna().to_numpy()
        np.testing.assert_array_equal(back[name].isna().to_numpy(), null)
        if meta.kind == "categorical":
            want, got = df[name][~null].tolist(), back[name][~null].tolist()
            assert got == want
            if df[name].dtype == object:  # True must not come back as 1, nor 1 as 1.0
                assert [type(v) for v in got] == [type(v) for v in want]
        else:
            check_numeric(tt, name, col.datetime_format, df[name], back[name], matrix)


# ---------------------------------------------------------------------- properties
@PROPERTY
@given(table=tables(), encoding=st.sampled_from(["quantile", "mixture"]))
def test_round_trip_restores_every_column_kind(table, encoding):
    df = table.frame
    before = df.copy(deep=True)
    tt = TableTransformer(numeric_encoding=encoding, random_state=0).fit(df, table.metadata)
    matrix = tt.transform(df)
    back = tt.inverse_transform(matrix)

    pd.testing.assert_frame_equal(df, before)  # the input is left alone
    check_matrix(tt, matrix, len(df))
    check_round_trip(table, tt, matrix, back)
    # A batch of one row is encoded too, even when that row is null in some column.
    assert tuple(tt.transform(df.iloc[-1:]).shape) == (1, tt.layout_.dim)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=tables(max_rows=12, max_columns=4))
def test_state_dict_through_json_gives_the_same_inverse(table):
    tt = TableTransformer(random_state=1).fit(table.frame, table.metadata)
    matrix = tt.transform(table.frame)
    state = json.loads(json.dumps(tt.state_dict()))
    loaded = TableTransformer().load_state_dict(state)

    assert loaded.layout_ == tt.layout_
    pd.testing.assert_frame_equal(loaded.inverse_transform(matrix), tt.inverse_transform(matrix))


# ---------------------------------------------------------------------- valid edge cases
def test_single_row_comes_back_as_it_was():
    df = pd.DataFrame(
        {
            "x": [2.5],
            "n": pd.array([7], dtype="Int64"),
            "s": ["only"],
            "b": [True],
            "t": pd.to_datetime(["2021-05-06 07:08:09"]),
        }
    )
    tt = TableTransformer(random_state=0).fit(df)
    back = tt.inverse_transform(tt.transform(df))
    pd.testing.assert_frame_equal(back, df, check_column_type=False)


def test_constant_columns_come_back_as_they_were():
    n = 25
    df = pd.DataFrame(
        {
            "f": [1.25] * n,
            "i": np.full(n, -3, dtype=np.int64),
            "s": ["same"] * n,
            "d": pd.to_datetime(["1999-12-31"] * n),
            "x": np.linspace(0, 1, n),  # one varying column beside them
        }
    )
    metadata = {"columns": {"f": {"kind": "continuous"}, "i": {"kind": "integer"}}}
    tt = TableTransformer(random_state=0).fit(df, metadata)
    back = tt.inverse_transform(tt.transform(df))
    for name in ["f", "i", "s", "d"]:
        pd.testing.assert_series_equal(back[name], df[name])


def test_nulls_come_back_in_place_in_every_kind():
    df = pd.DataFrame(
        {
            "f": [0.5, None, 2.5, 3.5] * 5,
            "i": pd.array([1, 2, None, 4] * 5, dtype="Int64"),
            "s": ["a", None, "b", "a"] * 5,
            "d": pd.to_datetime(["2020-01-01", None, "2020-02-01", "2020-03-01"] * 5),
        }
    )
    metadata = {"columns": {"f": {"kind": "continuous"}, "i": {"kind": "integer"}}}
    tt = TableTransformer(random_state=0).fit(df, metadata)
    back = tt.inverse_transform(tt.transform(df))
    pd.testing.assert_frame_equal(back.isna(), df.isna(), check_column_type=False)
    assert back.dtypes.tolist() == df.dtypes.tolist()


def test_datetime_seconds_outside_the_nanosecond_range():
    stamps = np.array(["1500-01-01", "2020-06-30", "9999-12-31"] * 4, dtype="datetime64[s]")
    df = pd.DataFrame({"valid_to": stamps})
    tt = TableTransformer(random_state=0).fit(df)
    back = tt.inverse_transform(tt.transform(df))
    assert back["valid_to"].dtype == df["valid_to"].dtype
    assert back["valid_to"].min() >= df["valid_to"].min()
    assert back["valid_to"].max() <= df["valid_to"].max()
    assert "9999-12-31" in set(back["valid_to"].dt.strftime("%Y-%m-%d"))


def test_int64_extremes_do_not_wrap_around():
    info = np.iinfo(np.int64)
    df = pd.DataFrame({"v": np.array([info.min, 0, info.max] * 5, dtype=np.int64)})
    tt = TableTransformer(random_state=0).fit(df, {"columns": {"v": {"kind": "integer"}}})
    back = tt.inverse_transform(tt.transform(df))["v"].to_numpy()
    # float64 cannot hold 2**63 - 1; the largest value comes back as the nearest one below.
    top = back[df["v"].to_numpy() == info.max]
    assert np.all(top > info.max - 2048)
    assert np.all(back[df["v"].to_numpy() == info.min] < info.min + 2048)


def test_huge_and_tiny_magnitudes_are_not_collapsed():
    for values in ([1e200, -1e200, 0.0, 5e199], [1e-300, 2e-300, 3e-300, 4e-300]):
        df = pd.DataFrame({"v": values * 4})
        tt = TableTransformer(random_state=0).fit(df, {"columns": {"v": {"kind": "continuous"}}})
        back = tt.inverse_transform(tt.transform(df))["v"].to_numpy()
        # Alpha is float32: the error is about 2**-24 of the spread, whatever the magnitude.
        spread = np.ptp(values)
        np.testing.assert_allclose(back, df["v"].to_numpy(), rtol=0, atol=1e-6 * spread)


def test_columns_may_come_in_another_order_at_transform():
    df = pd.DataFrame({"a": np.arange(20.0), "b": list("xy") * 10})
    tt = TableTransformer(random_state=0).fit(df)
    same = TableTransformer(random_state=0).fit(df)
    np.testing.assert_array_equal(tt.transform(df[["b", "a"]]), same.transform(df))


def test_modes_are_sampled_from_the_posterior_not_the_argmax():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"v": np.concatenate([rng.normal(0, 1, 2000), rng.normal(8, 1, 2000)])})
    tt = TableTransformer(numeric_encoding="mixture", random_state=0).fit(
        df, {"columns": {"v": {"kind": "continuous"}}})
    mix = tt.mixture("v")
    assert len(mix.weights) >= 2

    def posterior(x):  # p(mode k | x), written out from the mixture's parameters
        dens = mix.weights * np.exp(-0.5 * ((x - mix.means) / mix.stds) ** 2) / mix.stds
        return dens / dens.sum()

    # The point between the clusters where the posterior is most undecided.
    grid = np.linspace(0, 8, 801)
    x0 = grid[np.argmin([posterior(x).max() for x in grid])]
    p = posterior(x0)
    assert p.max() < 0.6

    n = 4000
    batch = pd.DataFrame({"v": np.full(n, x0)})
    modes = tt.transform(batch)[:, tt.column_slice("v")][:, 1:].numpy().argmax(axis=1)
    freq = np.bincount(modes, minlength=len(p)) / n
    np.testing.assert_array_less(np.abs(freq - p), 5 * np.sqrt(p * (1 - p) / n) + 1e-3)


def test_transform_is_reproducible_with_random_state():
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"v": np.concatenate([rng.normal(0, 1, 300), rng.normal(3, 1, 300)])})
    first = TableTransformer(random_state=7).fit(df).transform(df)
    second = TableTransformer(random_state=7).fit(df).transform(df)
    torch.testing.assert_close(first, second, rtol=0, atol=0)


def test_inverse_reads_scores_by_argmax():
    # The generator emits logits, not one-hot rows: the argmax of each span decides.
    df = pd.DataFrame({"c": list("abc") * 10, "v": np.arange(30.0)})
    tt = TableTransformer(random_state=0).fit(df)
    matrix = tt.transform(df)
    noisy = matrix * 5 + torch.rand(matrix.shape, generator=torch.Generator().manual_seed(0))
    sl = tt.column_slice("c")
    noisy[:, sl] = matrix[:, sl] * 3 - 1  # logits with the same argmax
    back = tt.inverse_transform(noisy)
    assert back["c"].tolist() == df["c"].tolist()


# ---------------------------------------------------------------------- bad input
def raises_naming(error, column, fn, *args, **kwargs):
    """``fn`` raises ``error`` and its message names ``column``."""
    with pytest.raises(error) as info:
        fn(*args, **kwargs)
    assert repr(column) in str(info.value), str(info.value)
    return info.value


def test_errors_are_typed_and_value_errors():
    for error in (EmptyTableError, AllNullColumnError, UnseenCategoryError, MixedTypesError):
        assert issubclass(error, DataError)
        assert issubclass(error, TabGANError)
        assert issubclass(error, ValueError)


def test_empty_frame_without_rows():
    df = pd.DataFrame({"a": pd.Series([], dtype=float)})
    with pytest.raises(EmptyTableError, match="no rows"):
        TableTransformer().fit(df)


def test_frame_without_columns():
    with pytest.raises(EmptyTableError, match="no columns"):
        TableTransformer().fit(pd.DataFrame(index=range(5)))


@pytest.mark.parametrize(
    "values", [[None, None, None], [np.nan] * 3, pd.array([None] * 3, dtype="Int64")]
)
def test_entirely_null_column(values):
    df = pd.DataFrame({"ok": [1.0, 2.0, 3.0], "gone ü": values})
    error = raises_naming(AllNullColumnError, "gone ü", TableTransformer().fit, df)
    assert "drop" in str(error)


@pytest.mark.parametrize("bad", [np.inf, -np.inf])
def test_infinite_values(bad):
    df = pd.DataFrame({"ok": ["a", "b", "c"], "v": [1.0, bad, 2.0]})
    raises_naming(InfiniteValueError, "v", TableTransformer().fit, df)


def test_infinite_values_in_an_object_column():
    df = pd.DataFrame({"v": pd.Series([1.0, np.inf, 2.5], dtype=object)})
    raises_naming(InfiniteValueError, "v", TableTransformer().fit, df)


def test_duplicate_column_names():
    df = pd.DataFrame([[1, 2, 3]] * 4, columns=["dup", "other", "dup"])
    raises_naming(DuplicateColumnsError, "dup", TableTransformer().fit, df)


@pytest.mark.parametrize(
    "values", [[1, "a", 2, "b"], [True, 1.5, False, 2.0], ["x", True, "y", "x"]]
)
def test_object_column_of_mixed_types(values):
    df = pd.DataFrame({"mixed": pd.Series(values, dtype=object)})
    error = raises_naming(MixedTypesError, "mixed", TableTransformer().fit, df)
    assert "astype" in str(error)


@pytest.mark.parametrize("values", [[[1, 2], [3], [1, 2]], [b"ab", b"cd", b"ab"], [{"a": 1}] * 3])
def test_unsupported_values(values):
    df = pd.DataFrame({"odd": pd.Series(values, dtype=object)})
    raises_naming(UnsupportedValueError, "odd", TableTransformer().fit, df)


def test_identifier_like_string_column_is_rejected():
    n = 40
    df = pd.DataFrame({"user": [f"user-{i:03d}" for i in range(n)], "v": np.arange(n) % 3})
    error = raises_naming(IdentifierColumnError, "user", TableTransformer().fit, df)
    assert "drop" in str(error) and "'id'" in str(error)


def test_identifier_column_declared_id_gets_fresh_unique_values():
    n = 40
    df = pd.DataFrame({"user": [f"user-{i:03d}" for i in range(n)], "v": np.arange(n) % 3})
    tt = TableTransformer(random_state=0).fit(df, {"columns": {"user": {"kind": "id"}}})
    matrix = tt.transform(df)
    assert tt.column_slice("user") == slice(0, 0)  # an id takes no place in the matrix
    back = tt.inverse_transform(matrix)
    assert back["user"].dtype == df["user"].dtype
    assert back["user"].is_unique
    assert not set(back["user"]) & set(df["user"])
    assert back["v"].tolist() == df["v"].tolist()
    # A larger batch (what a generator emits) gets as many unique values.
    big = tt.inverse_transform(torch.cat([matrix] * 5))
    assert big["user"].is_unique and len(big) == 5 * n


def test_integer_identifier_declared_id_stays_integer_and_unique():
    df = pd.DataFrame({"row_id": np.arange(100, 130), "v": [0.5, 1.5, 2.5] * 10})
    tt = TableTransformer(random_state=0).fit(df, {"columns": {"row_id": {"kind": "id"}}})
    back = tt.inverse_transform(tt.transform(df))
    assert back["row_id"].dtype == np.int64
    assert back["row_id"].is_unique


def test_unseen_category_at_transform():
    df = pd.DataFrame({"colour": ["red", "blue"] * 10})
    tt = TableTransformer().fit(df)
    new = pd.DataFrame({"colour": ["red", "green"]})
    error = raises_naming(UnseenCategoryError, "colour", tt.transform, new)
    assert "green" in str(error)


@pytest.mark.parametrize(
    ("column", "values", "metadata"),
    [
        ("s", ["a", "b"] * 10, None),
        ("v", np.arange(20.0), None),
        ("n", np.arange(20), {"columns": {"n": {"kind": "integer"}}}),
        ("d", pd.date_range("2020-01-01", periods=20), None),
    ],
)
def test_nulls_at_transform_in_a_column_without_nulls_at_fit(column, values, metadata):
    df = pd.DataFrame({column: values})
    tt = TableTransformer().fit(df, metadata)
    holed = df.copy()
    holed[column] = holed[column].where(holed.index != 3)
    raises_naming(UnexpectedNullError, column, tt.transform, holed)


def test_declared_nullable_column_accepts_nulls_at_transform():
    df = pd.DataFrame({"v": np.arange(20.0)})
    tt = TableTransformer().fit(df, {"columns": {"v": {"kind": "continuous", "nullable": True}}})
    back = tt.inverse_transform(tt.transform(pd.DataFrame({"v": [1.0, None, 3.0]})))
    assert back["v"].isna().tolist() == [False, True, False]


def test_transform_checks_the_columns():
    df = pd.DataFrame({"a": np.arange(20.0), "b": list("xy") * 10})
    tt = TableTransformer().fit(df)
    with pytest.raises(ColumnMismatchError, match="'b'"):
        tt.transform(df[["a"]])
    with pytest.raises(ColumnMismatchError, match="columns"):
        tt.inverse_transform(np.zeros((3, tt.layout_.dim + 1), dtype=np.float32))


def test_use_before_fit():
    df = pd.DataFrame({"a": [1.0, 2.0]})
    for call in (
        lambda: TableTransformer().transform(df),
        lambda: TableTransformer().inverse_transform(np.zeros((1, 3))),
        lambda: TableTransformer().state_dict(),
    ):
        with pytest.raises(NotFittedError, match="fit"):
            call()
