"""Private two-way marginals: their sensitivity, their post-processing, and their place in
a private fit's ledger."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tabgan import TabGAN, TableTransformer
from tabgan.privacy.pairs import MARGINALS, pair_count, pair_share, release_pairs

PROPERTY = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _frame(n, seed):
    rng = np.random.default_rng(seed)
    a = rng.choice(list("abcd"), n)
    b = pd.Series(a).map({"a": "x", "b": "x", "c": "y", "d": "z"})
    return pd.DataFrame({
        "a": a,
        "b": np.where(rng.random(n) < 0.9, b, "w"),
        "x": rng.normal(size=n),
        "k": rng.integers(0, 4, n),
    })


def _exact(transformer, frame):
    encoded = transformer.encode(frame)
    positions = list(transformer.layout_.softmax_positions)
    return encoded.co_occurrence(positions).double().numpy() * len(encoded)


@PROPERTY
@given(n=st.integers(20, 200), seed=st.integers(0, 10**6), drop=st.integers(0, 19))
def test_one_record_moves_one_cell_of_every_two_spans_table(n, seed, drop):
    # A record's encoding depends on that record alone (and on the fitted encoder): the
    # tables without it are those of the other rows' encodings.
    frame = _frame(n, seed)
    transformer = TableTransformer(random_state=0).fit(frame)
    index = transformer.layout_.index()
    segment = index.soft_segment.numpy()
    encoded = transformer.encode(frame)
    positions = list(transformer.layout_.softmax_positions)
    hot = encoded.dense(torch.arange(n))[:, positions].double().numpy()
    rest = np.delete(hot, drop, axis=0)
    diff = hot.T @ hot - rest.T @ rest
    upper = segment[:, None] < segment[None, :]  # the released tables
    moved = diff[upper]
    assert np.isclose(moved.sum(), pair_count(index.n_segments))  # one cell per table
    assert set(np.unique(moved)) <= {0.0, 1.0}
    assert math.isclose(np.linalg.norm(moved), math.sqrt(pair_count(index.n_segments)))


def _release(frame, sigma, seed=0):
    transformer = TableTransformer(random_state=0).fit(frame)
    index = transformer.layout_.index()
    counts = _exact(transformer, frame)
    segment = index.soft_segment.numpy()
    marginals = np.diag(counts) / len(frame)
    out, mechanism = release_pairs(counts, segment, marginals, sigma, len(frame),
                                   np.random.default_rng(seed))
    return out.double().numpy(), counts / len(frame), marginals, segment, mechanism


def test_with_little_noise_the_targets_are_the_joint_shares():
    out, exact, _, segment, mechanism = _release(_frame(5000, 0), sigma=1e-4)
    other = segment[:, None] != segment[None, :]
    assert np.allclose(out[other], exact[other], atol=1e-6)
    assert np.all(out[~other] == 0)
    assert mechanism.stage == MARGINALS and mechanism.entry() == (1e-4, 1.0, 1)


def test_under_overwhelming_noise_the_targets_fall_back_to_independence():
    out, exact, marginals, segment, _ = _release(_frame(300, 0), sigma=1e6)
    spans = [np.flatnonzero(segment == s) for s in range(segment.max() + 1)]
    for i in range(len(spans)):
        for j in range(i + 1, len(spans)):
            table = out[np.ix_(spans[i], spans[j])]
            assert table.sum() == pytest.approx(1.0)
            assert np.allclose(table, np.outer(marginals[spans[i]], marginals[spans[j]]),
                               atol=1e-9)


def test_a_strong_dependency_survives_epsilon_one_where_independence_loses_it():
    frame = _frame(20_000, 1)
    from tabgan.privacy.accounting import preprocessing_noise

    sigma = preprocessing_noise(1, 0.25, 1e-6, "rdp")
    out, exact, marginals, segment, _ = _release(frame, sigma)
    a, b = np.flatnonzero(segment == 0), np.flatnonzero(segment == 1)
    real = exact[np.ix_(a, b)]
    kept = 1 - 0.5 * np.abs(out[np.ix_(a, b)] - real).sum()
    independent = 1 - 0.5 * np.abs(np.outer(marginals[a], marginals[b]) - real).sum()
    assert kept > 0.95 and independent < 0.75, (kept, independent)


def _fit(frame, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the coarse-range advice
        return TabGAN(epsilon=2.0, epochs=1, batch_size=100, verbose=False, random_state=0,
                      **params).fit(frame)


def test_a_private_fit_releases_them_once_and_pair_weight_zero_spends_nothing_on_them():
    frame = _frame(600, 0)
    with_pairs, without = _fit(frame), _fit(frame, pair_weight=0)
    ledger = with_pairs.privacy_ledger_
    pairs = [m for m in ledger.mechanisms if m.stage == MARGINALS]
    assert len(pairs) == 1 and "two-way marginals" in ledger.describe()
    assert not [m for m in without.privacy_ledger_.mechanisms if m.stage == MARGINALS]
    # both spend the target; without the marginals, DP-SGD gets their share: less noise
    assert ledger.epsilon == pytest.approx(without.privacy_ledger_.epsilon, rel=2e-3)
    assert (without.privacy_ledger_.training().noise_multiplier
            < ledger.training().noise_multiplier)
    share = ledger.recipe.get("preprocessing_share", 0.1)
    assert ledger.epsilon_by_stage()[MARGINALS] <= (share + pair_share(share)) * 2.0


def test_the_share_leaves_dp_sgd_at_least_a_quarter():
    for share in (0.1, 0.5, 0.9):
        assert 0 < pair_share(share) <= 0.25 and share + pair_share(share) < 1
