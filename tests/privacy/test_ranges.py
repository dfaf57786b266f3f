"""Private ranges: tight where the noise allows, never cutting into where values are seen,
and no noise floor spread over the range."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import ndtri

from tabgan import Metadata
from tabgan.privacy import ranges
from tabgan.privacy.preprocessing import (
    plan_queries,
    private_statistics,
    query_count,
    release_row_count,
)
from tabgan.privacy.recipe import preprocessing_share

N = 3000


def _release(frame, metadata, seed, epsilon=1.0):
    """What a fit at ``epsilon`` releases (the recipe's preprocessing share), with the
    noise drawn from a seeded generator so that the test is reproducible."""
    meta = Metadata.infer(frame, metadata=metadata, schema_only=True)
    rng = np.random.default_rng(seed)
    n_rows, count = release_row_count(frame, epsilon, rng)
    share = preprocessing_share(n_rows=n_rows, epsilon=epsilon, delta=1e-6,
                                queries=query_count(plan_queries(meta)), accountant="rdp")
    return private_statistics(frame, meta, epsilon=share * epsilon, delta=1e-6,
                              accountant="rdp", rng=rng, n_rows=n_rows, fixed=[count])


def test_the_ranges_of_issue_12_come_back_tight_at_epsilon_1():
    # before: values 0..19 got [1.78, 31.6] (0 and 1, a tenth of the rows, clipped) and
    # N(50, 10) got [31.6, 100] (3% clipped)
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.integers(0, 20, N), "b": rng.normal(50, 10, N)})
    low_b, high_b = np.quantile(frame["b"], [0.005, 0.995])
    a, b = [], []
    for seed in range(9):
        release = _release(frame, None, seed)
        a.append(release.statistics[0].bounds)
        b.append(release.statistics[1].bounds)
    a, b = np.array(a), np.array(b)
    assert np.all(a[:, 0] == 0) and np.all(a[:, 1] >= 19)
    assert np.median(a[:, 1]) <= 25
    covered = [frame["b"].between(lo, hi).mean() for lo, hi in b]
    assert min(covered) >= 0.98
    assert np.median(b[:, 1] - b[:, 0]) <= 1.6 * (high_b - low_b)


def test_a_narrow_date_column_comes_back_narrow():
    # before: dates of 2020-2022 got a range of 1970-2024 and more
    rng = np.random.default_rng(1)
    days = pd.to_datetime("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, N), unit="D")
    frame = pd.DataFrame({"d": days.strftime("%Y-%m-%d")})
    declared = {"columns": {"d": {"kind": "datetime", "datetime_format": "%Y-%m-%d"}}}
    starts = []
    for seed in range(5):
        low, high = _release(frame, declared, seed).statistics[0].bounds
        starts.append((low, high))
        assert low <= pd.Timestamp("2020-01-01").timestamp()
        assert high >= pd.Timestamp("2022-06-18").timestamp()
    low, high = np.median(starts, axis=0)
    assert pd.Timestamp("2018-06-01").timestamp() <= low
    assert high <= pd.Timestamp("2024-06-01").timestamp()


def test_the_estimates_and_their_metadata_lines_are_in_the_release():
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"age": rng.integers(18, 90, N), "price": rng.gamma(2, 20, N)})
    release = _release(frame, None, 0)
    assert [r["name"] for r in release.estimated_ranges] == ["age", "price"]
    age = release.estimated_ranges[0]
    low, high = release.statistics[0].bounds
    assert age["metadata"] == f'"age": {{"kind": "integer", "bounds": [{low:.0f}, {high:.0f}]}}'


def test_a_lone_false_alarm_does_not_stretch_the_range():
    edges = ranges.coarse_edges(8)
    values = np.random.default_rng(0).normal(50, 10, N)
    hist = np.histogram(values, bins=edges)[0]
    far = 0
    for seed in range(300):
        noisy = hist + 20 * np.random.default_rng(seed).standard_normal(len(hist))
        (low, high), _ = ranges.coarse_range(noisy, edges, 20.0, 8)
        far += not (5 <= low and high <= 300)
    assert far <= 3  # a bin of pure noise far away stands out in well under 1% of releases


def test_a_false_alarm_decades_away_needs_a_one_in_a_million_count():
    sigma, edges = 20.0, ranges.coarse_edges(8)
    hist = np.histogram(np.random.default_rng(0).normal(50, 10, N), bins=edges)[0]
    far = int(np.searchsorted(edges, -3e7))  # a bin four decades below zero
    lenient = float(-ndtri(1e-3 / len(hist)))  # the level a seed near the values needs
    strict = float(-ndtri(1e-6 / len(hist)))
    for count, kept in ((sigma * (lenient + 0.3), False), (sigma * (strict + 0.5), True)):
        noisy = hist.astype(float)
        noisy[far] = count  # once-in-a-thousand noise, or a real cluster of records
        (low, high), _ = ranges.coarse_range(noisy, edges, sigma, 8)
        assert (low < -1e7) == kept
        assert high <= 300


def test_pure_noise_leaves_no_floor():
    sigma = 20.0
    spread = []
    for seed in range(50):
        noisy = sigma * np.random.default_rng(seed).standard_normal(100)
        spread.append(np.count_nonzero(ranges.denoise(noisy, sigma)))
    assert np.mean(spread) < 5
    signal = np.zeros(100)
    signal[40:50] = 300
    kept = ranges.denoise(signal + sigma * np.random.default_rng(0).standard_normal(100), sigma)
    assert kept[40:50].sum() > 0.9 * 3000 and kept[:35].sum() == 0


@settings(max_examples=25, deadline=None)
@given(loc=st.floats(-1e4, 1e4), log_scale=st.floats(-1, 3), seed=st.integers(0, 2**16))
def test_the_range_always_holds_the_middle_half(loc, log_scale, seed):
    rng = np.random.default_rng(seed)
    values = rng.normal(loc, 10.0**log_scale, N)
    sigma, per = 20.0, ranges.coarse_per_decade(N, 20.0)
    edges = ranges.coarse_edges(per)
    noisy = np.histogram(values, bins=edges)[0] + sigma * rng.standard_normal(len(edges) - 1)
    (low, high), core = ranges.coarse_range(noisy, edges, sigma, per)
    fine = ranges.fine_edges("continuous", low, high)
    noisy = np.histogram(np.clip(values, low, high), bins=fine)[0]
    noisy = noisy + sigma * rng.standard_normal(len(noisy))
    low, high = ranges.refine(noisy, fine, sigma, N, 50.0, core)
    q1, q3 = np.quantile(values, [0.25, 0.75])
    assert low <= q1 and q3 <= high


def test_a_full_bin_lends_no_mass_to_its_empty_neighbours():
    # blocks of 2, 5 and 10 around one full bin stand out because of it alone: what the
    # other bins of those blocks hold does not, so they stay empty
    sigma = 50.0
    signal = np.zeros(100)
    signal[[16, 30, 31, 32]] = [20_000, 400, 400, 400]
    for seed in range(20):
        noisy = signal + sigma * np.random.default_rng(seed).standard_normal(100)
        kept = ranges.denoise(noisy, sigma)
        assert kept[16] > 19_000 and kept[15] == kept[17] == 0
        assert np.count_nonzero(kept[11:22]) == 1
        assert kept[30:33].sum() > 1000  # a spread-out run below single-bin significance


def test_zero_splits_from_its_bin_unless_bins_are_single_integers():
    assert ranges.splits_zero(ranges.fine_edges("integer", 0, 20_000))
    assert ranges.splits_zero(ranges.fine_edges("continuous", -5, 5))
    # 100 bins of width one over [0, 100]: [0, 1) holds 0.3 as well as zero
    assert ranges.splits_zero(ranges.fine_edges("continuous", 0, 100))
    assert not ranges.splits_zero(ranges.fine_edges("integer", 0, 50))  # zero's own bin
    assert not ranges.splits_zero(ranges.fine_edges("continuous", 3, 9))


def test_a_fading_tail_is_kept_and_a_sharp_end_grows_none():
    sigma = 40.0
    counts = np.zeros(100)
    counts[10:60] = 2000.0
    counts[60:80] = 2000.0 * 0.75 ** np.arange(1, 21)  # fades out below single-bin noise
    ends, below, tails = [], [], []
    for seed in range(20):
        noisy = counts + sigma * np.random.default_rng(seed).standard_normal(100)
        shape = ranges.extend_tails(ranges.denoise(noisy, sigma), noisy, sigma)
        ends.append(np.flatnonzero(shape)[-1])
        below.append(shape[:10].sum())  # 2000 rows a bin, then none: the next is far below
        tails.append(shape[70:].sum())
    # the denoised shape alone ends where single bins stop standing out (about bin 67)
    assert np.median(ends) >= 72
    # and it stops where what it would still hold is within the noise (the true counts
    # fall under 8 rows a bin past bin 78), not at the histogram's end
    assert max(ends) <= 90
    assert np.median(tails) == pytest.approx(counts[70:].sum(), rel=0.5)
    assert sum(b == 0 for b in below) >= 16 and max(below) < 500  # false alarms aside


def _integer_histograms(values, low, high):
    """The two histograms of ``values``, noise-free: on the range grid and one integer a
    bin over [low, high] (clipped into the end bins, as the release does)."""
    coarse = ranges.coarse_edges(8)
    edges = ranges.fine_edges("integer", low, high)
    fine = np.histogram(np.clip(values, edges[0], edges[-1]), bins=edges)[0].astype(float)
    return fine, edges, np.histogram(values, bins=coarse)[0].astype(float), coarse


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(-40, 400), min_size=1, max_size=300),
       st.integers(-20, 20), st.integers(30, 400))
def test_combining_exact_histograms_changes_nothing(values, low, high):
    values = np.asarray(values, dtype=float)
    fine, edges, coarse_counts, coarse = _integer_histograms(values, low, high)
    combined, sd = ranges.combine(fine, edges, coarse_counts, coarse, 10.0)
    # consistent releases agree already: least squares leaves them as they are, the end
    # bins that hold clipped values included
    np.testing.assert_allclose(combined, fine, atol=1e-9)
    assert np.all((sd > 0) & (sd <= 10.0))
    assert sd[0] == sd[-1] == 10.0
    if ranges.integer_width(edges) == 1:  # 1, 2 and 3 have range bins of their own
        inner = (edges[1:-2] + 0.5)
        assert np.all(sd[1:-1][np.isin(inner, [1, 2, 3])] < 10.0)


@settings(max_examples=60, deadline=None)
@given(st.integers(-10**6, 10**6), st.integers(0, 10**7))
def test_integer_bins_hold_whole_integers_alike(low, span):
    edges = ranges.fine_edges("integer", low, low + span)
    width = ranges.integer_width(edges)
    assert width >= 1 and len(edges) - 1 <= ranges.HISTOGRAM_BINS
    assert low - width - 0.5 < edges[0] <= low - 0.5 and edges[-1] >= low + span + 0.5
    assert (edges[0] + 0.5) % width == 0  # zero starts a bin: none is centred on it
    assert width == 1 or 0.0 not in (edges[:-1] + edges[1:]) / 2
    assert width == 1 or len(edges) - 1 > ranges.HISTOGRAM_BINS // 2  # no coarser than needed
    assert ranges.integer_width(ranges.fine_edges("continuous", low, low + span + 1)) == 0


@pytest.mark.parametrize("low, high", [(1, 1e15), (-1e15, 1e15), (3, 1e18), (-7, 10**6)])
def test_integer_bins_of_huge_ranges_come_at_once(low, high):
    edges = ranges.fine_edges("integer", low, high)
    assert len(edges) - 1 <= ranges.HISTOGRAM_BINS
    assert edges[0] <= low - 0.5 and edges[-1] >= high + 0.5


def test_values_drawn_in_wide_integer_bins_are_their_own_integers():
    from tabgan.encoding.quantile import QuantileCodec
    from tabgan.encoding.statistics import ColumnStatistics
    from tabgan.table.columns import ColumnMetadata

    # ages 18-91 in a released range of [10, 177]: two integers a bin, none split
    edges = ranges.fine_edges("integer", 10, 177)
    assert ranges.integer_width(edges) == 2
    ages = np.repeat(np.arange(18, 92), 50)
    counts = np.histogram(ages, bins=edges)[0].astype(float)
    counts[[20, 21]] = 0.0  # an empty stretch between held bins (ages 50-53)
    centres = (edges[:-1] + edges[1:]) / 2
    held = np.flatnonzero(counts > 0)
    inside = slice(held[0], held[-1] + 1)
    meta = ColumnMetadata("age", "integer", dtype="int64")
    codec = QuantileCodec(meta, 16)
    codec.fit_statistics(ColumnStatistics(
        "age", "integer", support=centres[inside], counts=counts[inside],
        bounds=(math.ceil(edges[held[0]]), math.floor(edges[held[-1] + 1])), exact=False))
    modes = np.random.default_rng(0).choice(codec.n_modes, 20_000, p=codec.mode_weights)
    drawn = codec.decode(np.c_[np.zeros(20_000), np.eye(codec.n_modes)[modes]],
                         np.random.default_rng(1)).to_numpy()
    # every value is an integer of a held bin: none below 18 or above 91, none in 50-53
    held_integers = np.concatenate([np.arange(edges[i] + 0.5, edges[i + 1]) for i in held])
    assert set(np.unique(drawn)) <= set(held_integers)
    assert drawn.min() == 18 and drawn.max() == 91


def test_small_integers_get_half_the_noise_variance_from_the_range_histogram():
    sigma = 40.0
    values = np.repeat(np.arange(1, 31), 300).astype(float)
    fine, edges, coarse_counts, coarse = _integer_histograms(values, 0, 40)
    rng = np.random.default_rng(0)
    errors = []
    for _ in range(2000):
        combined, sd = ranges.combine(fine + sigma * rng.standard_normal(len(fine)), edges,
                                      coarse_counts + sigma * rng.standard_normal(
                                          len(coarse_counts)), coarse, sigma)
        errors.append(combined - fine)
    spread = np.std(errors, axis=0)
    # 1, 2 and 3 each have a range bin of their own ([1, 1.33), [1.78, 2.37), ...): half
    # the variance; 14-17 share [13.3, 17.8): four fifths of it; every error as stated
    assert sd[[1, 2, 3]] == pytest.approx(sigma / np.sqrt(2))
    assert sd[[14, 15, 16, 17]] == pytest.approx(sigma * np.sqrt(4 / 5))
    np.testing.assert_allclose(spread, sd, rtol=0.06)
    assert np.mean(errors) == pytest.approx(0.0, abs=0.5)  # unbiased


def test_combining_leaves_other_layouts_alone():
    noisy = np.random.default_rng(0).standard_normal(100)
    edges = ranges.fine_edges("continuous", 0, 100)
    coarse = ranges.coarse_edges(8)
    combined, sd = ranges.combine(noisy, edges, np.zeros(len(coarse) - 1), coarse, 5.0)
    np.testing.assert_array_equal(combined, noisy)
    assert np.all(sd == 5.0)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.floats(1.0, 100.0))
def test_one_noise_for_every_bin_reads_as_the_scalar(seed, sigma):
    rng = np.random.default_rng(seed)
    counts = np.where(rng.random(60) < 0.5, rng.integers(0, 2000, 60), 0).astype(float)
    noisy = counts + sigma * rng.standard_normal(60)
    per_bin = np.full(60, sigma)
    edges = np.linspace(0, 60, 61)
    np.testing.assert_array_equal(ranges.denoise(noisy, sigma), ranges.denoise(noisy, per_bin))
    shape = ranges.denoise(noisy, sigma)
    np.testing.assert_array_equal(ranges.extend_tails(shape, noisy, sigma),
                                  ranges.extend_tails(shape, noisy, per_bin))
    assert (ranges.refine(noisy, edges, sigma, counts.sum(), 30.0)
            == ranges.refine(noisy, edges, per_bin, counts.sum(), 30.0))


def test_a_thin_end_survives_the_noise_of_its_own_prediction():
    # a thin lower end (38, 133, 264, 502 rows) and a sharp top (576, 413, then none), at a
    # noise of 30 rows a bin: the tail below 133 is predicted from two noisy counts, so its
    # prediction is uncertain too, and the check allows for it; above 413 the prediction
    # is firm and the empty bins refute it
    counts = np.r_[0, 38, 133, 264, 502, 400, 900, 1200, 430, 10500, 7300, 1400, 1070, 5350,
                   1720, 576, 413, np.zeros(8)].astype(float)
    sigma, kept, grown = 30.0, 0, 0
    for seed in range(400):
        noisy = counts + sigma * np.random.default_rng(seed).standard_normal(len(counts))
        shape = ranges.extend_tails(ranges.denoise(noisy, sigma), noisy, sigma)
        kept += shape[1] > 0
        grown += shape[17:].sum() > 0
    assert kept >= 0.85 * 400  # 0.72 when the check counted the bins' noise alone
    assert grown <= 0.08 * 400
