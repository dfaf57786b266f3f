"""A continuous column's number of decimals: learned without DP, declared under DP, and the
precision its generated values come back with."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tabgan import ColumnMetadata, Metadata, TabGAN
from tabgan.encoding.exact_statistics import MAX_LEARNED_DECIMALS, count_decimals
from tabgan.errors import MetadataError


@given(st.lists(st.integers(-10**9, 10**9), min_size=1, max_size=50),
       st.integers(0, MAX_LEARNED_DECIMALS))
@settings(max_examples=60, deadline=None)
def test_values_written_with_d_decimals_have_at_most_d(units, digits):
    values = np.array(units, dtype=np.float64) / 10.0**digits
    found = count_decimals(values)
    assert found is not None and found <= digits
    assert np.allclose(np.round(values, found), values, rtol=0, atol=0.5 * 10.0**-digits)


def test_count_decimals_cases():
    assert count_decimals(np.array([36.69, 52.75, 0.1 + 0.2])) == 2
    assert count_decimals(np.array([46.0, 12.0])) == 0
    assert count_decimals(np.array([np.pi, 1.0])) is None
    assert count_decimals(np.array([1e-300, 2e-300])) is None  # tiny, not zero
    assert count_decimals(np.array([1e200, -5e199, 0.0])) == 0
    assert count_decimals(np.array([])) is None


def _decimals(frame: pd.DataFrame, column: str) -> int:
    text = frame[column].dropna().map(repr)
    return int(text.str.split(".").str[1].str.len().max())


@pytest.fixture
def prices() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 200
    return pd.DataFrame({"price": rng.gamma(2, 20, n).round(2), "raw": rng.normal(size=n),
                         "c": rng.choice(["a", "b"], n)})


def test_generated_values_keep_the_inputs_decimals(prices, tiny_model_params, tmp_path):
    model = TabGAN(**tiny_model_params).fit(prices)
    out = model.sample(300, random_state=1)
    assert _decimals(out, "price") <= 2
    assert _decimals(out, "raw") > 6  # full-precision input: not rounded
    path = tmp_path / "m.tabgan"
    model.save(path)
    pd.testing.assert_frame_equal(TabGAN.load(path).sample(300, random_state=1), out)


def test_under_dp_decimals_come_only_from_the_metadata(prices, tiny_model_params):
    bounds = {"price": {"kind": "continuous", "bounds": [0, 200]},
              "raw": {"kind": "continuous", "bounds": [-5, 5]},
              "c": {"kind": "categorical", "categories": ["a", "b"]}}
    params = {**tiny_model_params, "epsilon": 5.0, "epochs": 1, "batch_size": 50}
    plain = TabGAN(**params).fit(prices, metadata={"columns": bounds}).sample(200)
    assert _decimals(plain, "price") > 2  # not learned from the data
    declared = {**bounds, "price": {**bounds["price"], "decimals": 1}}
    model = TabGAN(**params).fit(prices, metadata={"columns": declared})
    assert _decimals(model.sample(200), "price") <= 1
    assert Metadata.from_dict({"columns": declared})["price"].decimals == 1


def test_decimals_are_checked():
    with pytest.raises(MetadataError, match="whole number"):
        ColumnMetadata("x", "continuous", decimals=-1)
    with pytest.raises(MetadataError, match="whole number"):
        ColumnMetadata("x", "continuous", decimals=2.5)
    with pytest.raises(MetadataError, match="only continuous and integer"):
        ColumnMetadata("x", "categorical", decimals=2)
    assert ColumnMetadata("x", "continuous", decimals=0).to_dict()["decimals"] == 0
