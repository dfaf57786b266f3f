"""The 1-D variational Gaussian mixture against scikit-learn, and its own promises."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import BayesianGaussianMixture

from tabgan import TableTransformer
from tabgan.encoding.mixture import (
    Mixture,
    _fit_block,
    _kmeans_responsibilities,
    fit_mixtures,
    mixture_log_posterior,
)

N_COMPONENTS = 10
PRIOR = 1e-3
REG_COVAR = 1e-6
KMEANS_ITER = 10


class _FixedStartMixture(BayesianGaussianMixture):
    """scikit-learn's model, started from given responsibilities instead of its k-means."""

    initial_resp: np.ndarray

    def _initialize_parameters(self, X, random_state, xp=None):
        self._initialize(X, self.initial_resp)


def sklearn_fit(x: np.ndarray, resp: np.ndarray, max_iter: int) -> BayesianGaussianMixture:
    model = _FixedStartMixture(
        n_components=N_COMPONENTS,
        weight_concentration_prior_type="dirichlet_process",
        weight_concentration_prior=PRIOR,
        covariance_type="full",
        reg_covar=REG_COVAR,
        max_iter=max_iter,
        tol=0.0,  # never converge early: run exactly max_iter iterations, as tabgan below
        random_state=0,
    )
    model.initial_resp = resp
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(x[:, None])
    return model


def three_clusters(seed: int = 0, n: int = 900) -> np.ndarray:
    """Three clusters, rounded so that values repeat (and counts matter)."""
    rng = np.random.default_rng(seed)
    parts = [rng.normal(-4, 1, n // 3), rng.normal(1, 0.5, n // 3), rng.normal(6, 2, n // 3)]
    return np.round(np.concatenate(parts), 1)


def standardized_counts(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    z = (values - values.mean()) / values.std()
    uniq, counts = np.unique(z, return_counts=True)
    return uniq, counts.astype(np.float64)


def tabgan_block_fit(uniq, counts, max_iter):
    block = [(0, 0.0, 1.0, uniq, counts)]
    [(weights, means, covs)] = _fit_block(
        block, len(uniq), N_COMPONENTS, PRIOR, max_iter, 0.0, REG_COVAR, KMEANS_ITER
    )
    return weights, means, covs


def initial_resp(uniq, counts) -> np.ndarray:
    """tabgan's k-means start (one row per distinct value), shape (N, K)."""
    mask = np.ones((1, N_COMPONENTS), dtype=bool)
    return _kmeans_responsibilities(uniq[None, :], counts[None, :], mask, KMEANS_ITER)[0]


# ---------------------------------------------------------------------- against scikit-learn
@pytest.mark.parametrize("max_iter", [1, 7, 100])
def test_same_parameters_as_sklearn_from_the_same_start(max_iter):
    uniq, counts = standardized_counts(three_clusters())
    resp = initial_resp(uniq, counts)
    assert set(np.unique(resp)) == {0.0, 1.0} and np.all(resp.sum(axis=1) == 1)

    weights, means, covs = tabgan_block_fit(uniq, counts, max_iter)
    # scikit-learn sees every row: each distinct value repeated as often as it occurs.
    repeated = np.repeat(uniq, counts.astype(int))
    reference = sklearn_fit(repeated, np.repeat(resp, counts.astype(int), axis=0), max_iter)

    np.testing.assert_allclose(weights, reference.weights_, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(means, reference.means_[:, 0], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(covs, reference.covariances_[:, 0, 0], rtol=1e-6, atol=1e-12)


def test_fit_mixtures_matches_sklearn_in_the_units_of_the_data():
    # Not rounded: no value sits half way between two k-means centers, where the last bit
    # of the standardization could tip its start into the other cluster.
    rng = np.random.default_rng(1)
    values = np.concatenate([rng.normal(-4, 1, 300), rng.normal(1, 0.5, 300)]) * 1000 + 5e4
    uniq, counts = standardized_counts(values)
    reference = sklearn_fit(
        np.repeat(uniq, counts.astype(int)),
        np.repeat(initial_resp(uniq, counts), counts.astype(int), axis=0),
        max_iter=100,
    )
    [mixture] = fit_mixtures([values], max_iter=100, tol=0.0, weight_threshold=0.0)

    mean, std = values.mean(), values.std()
    np.testing.assert_allclose(mixture.weights, reference.weights_, rtol=1e-5, atol=1e-10)
    np.testing.assert_allclose(mixture.means, reference.means_[:, 0] * std + mean, rtol=1e-7)
    np.testing.assert_allclose(
        mixture.stds, np.sqrt(reference.covariances_[:, 0, 0]) * std, rtol=1e-5
    )


# ---------------------------------------------------------------------- its own promises
def test_repeated_values_fit_like_distinct_values_with_counts():
    uniq, counts = standardized_counts(three_clusters(seed=2))
    repeated = np.repeat(uniq, counts.astype(int))
    by_counts = tabgan_block_fit(uniq, counts, 100)
    by_rows = tabgan_block_fit(repeated, np.ones_like(repeated), 100)
    for a, b in zip(by_counts, by_rows, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-12)


def test_fit_mixtures_does_not_depend_on_row_order():
    values = three_clusters(seed=3)
    shuffled = np.random.default_rng(0).permutation(values)
    [first] = fit_mixtures([values])
    [second] = fit_mixtures([shuffled])
    # Equal up to the order of the sums in the mean and std of the column.
    np.testing.assert_allclose(first.means, second.means, rtol=1e-12)
    np.testing.assert_allclose(first.weights, second.weights, rtol=1e-10)


def test_modes_under_the_weight_threshold_are_dropped():
    rng = np.random.default_rng(4)
    # A big cluster and a far one that holds 0.2% of the rows.
    values = np.concatenate([rng.normal(0, 1, 4990), rng.normal(50, 0.5, 10)])
    [full] = fit_mixtures([values], weight_threshold=0.0)
    threshold = 5e-3
    [kept] = fit_mixtures([values], weight_threshold=threshold)

    keep = full.weights > threshold
    assert 0 < keep.sum() < len(full.weights)
    np.testing.assert_allclose(kept.means, full.means[keep])
    np.testing.assert_allclose(kept.stds, full.stds[keep])
    np.testing.assert_allclose(kept.weights, full.weights[keep] / full.weights[keep].sum())
    assert np.all(kept.weights > threshold)
    assert kept.weights.sum() == pytest.approx(1.0)
    assert not np.any(np.abs(kept.means - 50) < 5)  # the far, light mode is gone


def test_columns_fitted_together_equal_columns_fitted_alone():
    rng = np.random.default_rng(5)
    columns = [
        three_clusters(seed=6),
        rng.exponential(3.0, 250),
        np.round(rng.normal(100, 10, 40)),
        rng.integers(0, 4, 60).astype(float),  # fewer distinct values than components
    ]
    # tol=0: a block of columns stops when all of them converge, so with a tolerance a
    # column can run more iterations beside others than alone.
    together = fit_mixtures(columns, tol=0.0)
    for values, mixture in zip(columns, together, strict=True):
        [alone] = fit_mixtures([values], tol=0.0)
        np.testing.assert_allclose(mixture.weights, alone.weights, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(mixture.means, alone.means, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(mixture.stds, alone.stds, rtol=1e-9, atol=1e-12)
    assert len(together[3].weights) <= 4


def test_constant_column_gets_one_mode():
    [mixture] = fit_mixtures([np.full(50, 3.25)])
    assert mixture.weights.tolist() == [1.0]
    assert mixture.means.tolist() == [3.25]
    assert mixture.stds[0] > 0


def test_log_posterior_is_bayes_rule():
    mixture = Mixture(np.array([0.2, 0.8]), np.array([-1.0, 2.0]), np.array([0.5, 1.5]))
    x = np.linspace(-3, 5, 17)
    dens = mixture.weights * norm.pdf(x[:, None], mixture.means, mixture.stds)
    want = np.log(dens / dens.sum(axis=1, keepdims=True))
    np.testing.assert_allclose(mixture_log_posterior(mixture, x), want, rtol=1e-10, atol=1e-12)


def test_mixture_state_dict_round_trip():
    mixture = Mixture(np.array([0.25, 0.75]), np.array([1.0, 9.0]), np.array([0.5, 2.0]))
    loaded = Mixture.from_state_dict(mixture.state_dict())
    for field in ("weights", "means", "stds"):
        np.testing.assert_array_equal(getattr(loaded, field), getattr(mixture, field))


# ---------------------------------------------------------------------- the subsample
def _frame(n: int = 3000) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    values = np.concatenate([rng.normal(0, 1, n // 2), rng.normal(6, 2, n - n // 2)])
    return pd.DataFrame({"v": values})


def _mixture(df: pd.DataFrame, **params) -> Mixture:
    tt = TableTransformer(numeric_encoding="mixture", **params).fit(
        df, {"columns": {"v": {"kind": "continuous"}}})
    return tt.mixture("v")


def test_subsample_is_reproducible_with_random_state():
    df = _frame()
    first = _mixture(df, max_fit_rows=500, random_state=11)
    second = _mixture(df, max_fit_rows=500, random_state=11)
    other = _mixture(df, max_fit_rows=500, random_state=12)
    np.testing.assert_array_equal(first.means, second.means)
    np.testing.assert_array_equal(first.stds, second.stds)
    np.testing.assert_array_equal(first.weights, second.weights)
    assert len(first.means) != len(other.means) or not np.array_equal(first.means, other.means)


def test_subsample_is_only_taken_above_max_fit_rows():
    df = _frame()
    [direct] = fit_mixtures([df["v"].to_numpy()])
    for seed in (0, 1):
        mixture = _mixture(df, max_fit_rows=len(df), random_state=seed)
        np.testing.assert_allclose(mixture.means, direct.means, rtol=1e-12)


def test_min_and_max_come_from_every_row_not_the_subsample():
    df = _frame()
    df.loc[17, "v"] = 40.0  # one far value, unlikely to be in a 100-row subsample
    metadata = {"columns": {"v": {"kind": "continuous"}}}
    tt = TableTransformer(numeric_encoding="mixture", max_fit_rows=100, random_state=0).fit(
        df, metadata)
    matrix = tt.transform(df)
    back = tt.inverse_transform(matrix)
    assert back["v"].max() <= 40.0
    # Push every alpha to the top edge: the clip is at the true max, 40.
    matrix[:, tt.layout_.column("v").start] = 1.0
    top = tt.inverse_transform(matrix)["v"]
    mixture = tt.mixture("v")
    assert top.max() == pytest.approx(min(40.0, (mixture.means + 4 * mixture.stds).max()))


def test_many_distinct_values_are_grouped_without_moving_the_fit():
    from tabgan.encoding.mixture import _compress

    rng = np.random.default_rng(5)
    values = np.concatenate([rng.normal(0, 1, 30_000), rng.normal(8, 0.5, 10_000)])
    uniq, counts = np.unique(values, return_counts=True)
    grouped, totals = _compress(uniq, counts.astype(float), 1000)
    assert len(grouped) <= 1000 and np.all(np.diff(grouped) > 0)
    assert totals.sum() == len(values)
    assert np.average(grouped, weights=totals) == pytest.approx(values.mean(), abs=1e-9)
    exact = fit_mixtures([values], max_distinct=10**9)[0]
    fast = fit_mixtures([values], max_distinct=1000)[0]
    for mix in (exact, fast):
        big = np.argsort(mix.weights)[-2:]
        assert sorted(np.round(mix.means[big]).tolist()) == [0.0, 8.0]
    assert fast.weights @ fast.means == pytest.approx(exact.weights @ exact.means, abs=0.05)
