"""Private ranges: tight where the noise allows, never cutting into where values are seen,
and no noise floor spread over the range."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
