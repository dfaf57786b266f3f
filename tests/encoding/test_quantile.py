"""Quantile bins: spikes come back exactly, stepped columns round-trip exactly, decoding
draws of the bins' own distribution gives the column's distribution back, and values stay in
their range."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.stats import ks_2samp

from tabgan import TabGAN, TableTransformer
from tabgan.encoding.quantile import MAX_STEPS, QuantileCodec
from tabgan.encoding.statistics import ColumnStatistics
from tabgan.table.columns import ColumnMetadata

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def spiky_columns(draw):
    """Floats or integers: a continuous or discrete body, with up to three spikes."""
    n = draw(st.integers(20, 400))
    seed = draw(st.integers(0, 10**6))
    rng = np.random.default_rng(seed)
    integer = draw(st.booleans())
    body = rng.lognormal(draw(st.floats(0, 5)), draw(st.floats(0.1, 2)), n)
    if draw(st.booleans()):
        body = -body
    values = np.round(body) if integer else np.round(body, draw(st.integers(0, 6)))
    for _ in range(draw(st.integers(0, 3))):
        spike = float(np.round(rng.normal(0, 50)))
        values[rng.random(n) < draw(st.floats(0.05, 0.6))] = spike
    return values, integer


def _codec(values, kind="continuous", n_bins=16, exact=True, counts=None):
    meta = ColumnMetadata("x", kind, dtype="int64" if kind == "integer" else "float64")
    codec = QuantileCodec(meta, n_bins)
    codec.fit_statistics(ColumnStatistics(
        "x", kind, support=np.asarray(values, dtype=float), counts=counts,
        bounds=(float(np.min(values)), float(np.max(values))), exact=exact))
    return codec


def _round_trip(codec, values, seed=0):
    rng = np.random.default_rng(seed)
    alpha, mode = codec.encode(pd.Series(values), rng)
    block = np.zeros((len(values), 1 + codec.n_modes), dtype=np.float32)
    block[:, 0] = alpha
    block[np.arange(len(values)), 1 + mode] = 1.0
    return codec.decode(block, rng).to_numpy(dtype=float), alpha, mode


@PROPERTY
@given(column=spiky_columns(), n_bins=st.integers(2, 40))
def test_stepped_columns_and_spikes_come_back_exactly(column, n_bins):
    values, integer = column
    codec = _codec(values, "integer" if integer else "continuous", n_bins)
    assert codec.steps  # every exact fit of up to MAX_STEPS distinct values is a step function
    back, alpha, mode = _round_trip(codec, values)
    np.testing.assert_array_equal(back, values)
    assert np.all(np.abs(alpha) <= 0.99) and np.all(mode < codec.n_modes)
    # a spike holds at least a bin's share; the modes' weights are the column's shares
    shares = pd.Series(values).value_counts(normalize=True)
    for spike, weight in zip(codec.spikes, codec.spike_weights, strict=True):
        assert weight == pytest.approx(shares[spike])
    assert codec.mode_weights.sum() == pytest.approx(1.0)
    if len(shares) > n_bins:
        assert set(codec.spikes) == set(shares.index[shares >= 1 / n_bins])


@PROPERTY
@given(seed=st.integers(0, 10**6), n_bins=st.integers(4, 64),
       spike=st.floats(0.0, 0.9))
def test_decoding_draws_of_the_bins_gives_the_column_back(seed, n_bins, spike):
    rng = np.random.default_rng(seed)
    n = 6000
    values = rng.standard_t(3, n) * 10  # heavy tails
    values[rng.random(n) < spike] = 0.0
    codec = _codec(values, n_bins=n_bins)
    # beyond MAX_STEPS distinct values of the rest, straight lines through its quantiles
    assert codec.steps == (len(np.unique(values[values != 0])) <= MAX_STEPS)
    # a perfect generator: modes by their weights, alpha uniform inside a bin
    k = len(codec.mode_weights)
    mode = rng.choice(k, n, p=codec.mode_weights / codec.mode_weights.sum())
    block = np.zeros((n, 1 + k), dtype=np.float32)
    block[:, 0] = rng.uniform(-1, 1, n)
    block[np.arange(n), 1 + mode] = 1.0
    drawn = codec.decode(block, rng).to_numpy(dtype=float)
    assert ks_2samp(drawn, values).statistic < 0.035
    assert drawn.min() >= values.min() and drawn.max() <= values.max()
    if spike >= 1 / n_bins:
        assert (drawn == 0.0).mean() == pytest.approx((values == 0.0).mean(), abs=0.03)


def test_released_histograms_use_straight_lines_unless_integer_bins():
    centres = np.linspace(0.5, 99.5, 100)
    counts = np.exp(-((centres - 40) / 15) ** 2) * 1000
    smooth = _codec(centres, counts=counts, exact=False)
    assert not smooth.steps
    back = smooth.decode(np.c_[np.linspace(-1, 1, 9), np.eye(smooth.n_modes)[[3] * 9]],
                         np.random.default_rng(0)).to_numpy()
    assert len(np.unique(back)) == 9  # not stuck on the bin centres
    whole = _codec(np.arange(0, 20), kind="integer", n_bins=32, counts=np.arange(1, 21) * 10.0,
                   exact=False)
    assert len(whole.spikes) == 20 and whole.n_rest == 0  # each integer a mode


def test_wide_integer_bins_are_a_histogram_not_their_centres():
    # 100 bins of 10,000 over [0, 1e6]: whole-number centres, but not one integer each
    centres = np.arange(5_000, 1_000_000, 10_000).astype(float)
    codec = _codec(centres, kind="integer", counts=np.exp(-((centres - 2e5) / 1e5) ** 2),
                   exact=False)
    assert not codec.steps and len(codec.spikes) == 0
    drawn = codec.decode(np.c_[np.zeros(2000), np.eye(codec.n_modes)[
        np.random.default_rng(0).integers(0, codec.n_modes, 2000)]], np.random.default_rng(1))
    assert drawn.nunique() > 1000  # values across the bins, not 100 centres


def test_an_empty_released_bin_between_held_ones_gets_no_value():
    centres = np.arange(10) + 0.5  # bins [0, 1), ..., [9, 10)
    counts = np.full(10, 100.0)
    counts[4] = 0.0
    codec = _codec(centres, counts=counts, exact=False)
    modes = np.random.default_rng(0).choice(codec.n_modes, 20_000, p=codec.mode_weights)
    drawn = codec.decode(np.c_[np.zeros(20_000), np.eye(codec.n_modes)[modes]],
                         np.random.default_rng(1)).to_numpy()
    assert not ((drawn >= 4) & (drawn < 5)).any()
    # and each held bin keeps its own share (not half of the empty one's stretch)
    share = np.histogram(drawn, bins=np.arange(11))[0] / len(drawn)
    np.testing.assert_allclose(share[[0, 1, 2, 3, 5, 6, 7, 8, 9]], 1 / 9, atol=0.012)


def _released(support, counts, spikes):
    meta = ColumnMetadata("x", "integer", dtype="int64")
    codec = QuantileCodec(meta, 16)
    codec.fit_statistics(ColumnStatistics(
        "x", "integer", support=np.asarray(support, float), counts=np.asarray(counts, float),
        bounds=(0.0, 20_000.0), exact=False, spikes=spikes))
    return codec


def test_a_released_zero_count_is_an_exact_spike_beside_the_bins():
    centres = np.linspace(100, 19_900, 100)
    codec = _released(np.r_[centres, 0.0], np.r_[np.full(100, 10.0), 9000.0], np.zeros(1))
    assert codec.spikes.tolist() == [0.0]
    assert codec.spike_weights[0] == pytest.approx(0.9)
    assert codec.n_rest == 4  # a quarter of the bins at least, for a tenth of the values
    modes = np.random.default_rng(0).choice(codec.n_modes, 5000, p=codec.mode_weights)
    drawn = codec.decode(np.c_[np.zeros(5000), np.eye(codec.n_modes)[modes]],
                         np.random.default_rng(1)).to_numpy()
    assert (drawn == 0).mean() == pytest.approx(0.9, abs=0.02)
    assert ((drawn > 0) & (drawn < 100)).mean() < 0.01  # the zeros are not spread over a bin
    again = ColumnStatistics.from_dict(json.loads(json.dumps(ColumnStatistics(
        "x", "integer", support=np.r_[centres, 0.0], bounds=(0.0, 2e4), exact=False,
        spikes=np.zeros(1)).to_dict())))
    assert again.spikes.tolist() == [0.0]
    older = ColumnStatistics("x", "integer", support=centres).to_dict()
    del older["spikes"]  # a release written before spikes were released
    assert ColumnStatistics.from_dict(older).spikes is None
    # the same support without the spike list: the zeros are the first bin's centre
    assert len(_released(np.r_[centres, 0.0], np.r_[np.full(100, 10.0), 9000.0],
                         None).spikes) == 0


def test_a_released_histogram_draws_positions_inside_a_bin_from_its_shape():
    # The generator's alphas all at one end of the bin: under DP the position is not
    # read from them, so one bin of ages 30-39 comes back as all of its integers.
    ages = np.arange(17, 91)
    codec = _codec(ages, kind="integer", counts=np.full(len(ages), 100.0), exact=False)
    assert codec.drawn_positions
    block = np.c_[np.full(4000, 0.99), np.eye(codec.n_modes)[[3] * 4000]]
    drawn = codec.decode(block, np.random.default_rng(0))
    assert drawn.nunique() >= 4
    exact = _codec(ages, kind="integer", counts=np.full(len(ages), 100.0))
    assert not exact.drawn_positions
    assert exact.decode(block, np.random.default_rng(0)).nunique() == 1
    again = QuantileCodec(codec.meta)
    again.load_state_dict(json.loads(json.dumps(codec.state_dict())))
    assert again.drawn_positions


def test_public_bounds_only_give_a_uniform_range_and_the_state_survives_json():
    meta = ColumnMetadata("x", "continuous", dtype="float64")
    codec = QuantileCodec(meta, 8)
    codec.fit_statistics(ColumnStatistics("x", "continuous", bounds=(10.0, 30.0), exact=False))
    assert codec.n_rest == 8 and len(codec.spikes) == 0
    assert codec._quantile(np.array([0.0, 0.5, 1.0])).tolist() == [10.0, 20.0, 30.0]
    again = QuantileCodec(meta)
    again.load_state_dict(json.loads(json.dumps(codec.state_dict())))
    block = np.c_[np.full(5, 0.3), np.eye(8)[[0, 2, 4, 6, 7]]]
    rng = np.random.default_rng(0)
    assert np.array_equal(codec.decode(block, rng), again.decode(block, rng))


def test_a_table_round_trips_through_quantile_encoding(mixed_frame):
    tt = TableTransformer(numeric_encoding="quantile", random_state=0).fit(mixed_frame)
    back = tt.inverse_transform(tt.transform(mixed_frame))
    for column in ("count", "amount"):  # 120 distinct values each: exact step functions
        np.testing.assert_array_equal(back[column].to_numpy(), mixed_frame[column].to_numpy())
    assert back["when"].equals(mixed_frame["when"])
    assert back["score"].isna().equals(mixed_frame["score"].isna())


def test_a_spiky_column_keeps_its_spike_share_after_a_short_fit():
    rng = np.random.default_rng(0)
    n = 1500
    gain = np.where(rng.random(n) < 0.9, 0.0, np.round(rng.lognormal(8, 1, n)))
    frame = pd.DataFrame({"gain": gain, "group": rng.choice(["a", "b", "c"], n),
                          "hours": np.where(rng.random(n) < 0.5, 40, rng.integers(1, 99, n))})
    model = TabGAN(epochs=15, batch_size=150, verbose=False, random_state=0).fit(frame)
    out = model.sample(3000, random_state=1)
    assert (out["gain"] == 0).mean() == pytest.approx(0.9, abs=0.05)
    assert (out["hours"] == 40).mean() == pytest.approx((frame["hours"] == 40).mean(), abs=0.07)
    assert set(out["gain"].unique()) <= set(frame["gain"].unique())  # seen values only
    assert out["hours"].min() >= 1 and out["hours"].max() <= 98


def test_one_outlier_stays_one_rare_value_and_no_edge_piles_up():
    """A single 1e9 among prices up to 176 leaves the rest of the column as it was (the
    quantile function gives the outlier a sliver of the top bin, not the whole range), and
    values are not clipped onto the column's ends (no pile-up at the minimum or maximum)."""
    rng = np.random.default_rng(3)
    n = 2000
    price = np.round(np.clip(rng.gamma(2.0, 20.0, n), 0.39, 176.0), 2)
    price[7] = 1e9
    frame = pd.DataFrame({
        "price": price,
        "age": rng.integers(18, 91, n),  # every age about equally often
        "day": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 1000, n), "D"),
        "group": rng.choice(["a", "b"], n),
    })
    model = TabGAN(epochs=15, batch_size=200, verbose=False, random_state=0).fit(frame)
    out = model.sample(4000, random_state=1)
    real = frame["price"].drop(7)
    assert out["price"].median() == pytest.approx(real.median(), rel=0.25)
    assert (out["price"] > 176.0).mean() < 0.01
    for column in ("age", "day"):
        for end in (frame[column].min(), frame[column].max()):
            real_share = (frame[column] == end).mean()
            assert (out[column] == end).mean() <= 3 * real_share + 0.01, (column, end)
