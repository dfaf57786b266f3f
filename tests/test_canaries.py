import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import expit, logit
from scipy.stats import binom

from tabgan import TabGAN
from tabgan.canaries import (
    canary_audit,
    canary_scores,
    craft_canaries,
    epsilon_lower_bound,
    guess,
    guess_rules,
    p_value,
)
from tabgan.datasets import load_adult
from tabgan.errors import AuditError

LEVEL = 0.05


# ---------------------------------------------------------------------- the bound
def _reference_p_value(m, r, v, eps, delta):
    """Steinke, Nasr & Jagielski's p-value, written out as a plain loop over scipy."""
    q = 1 / (1 + math.exp(-eps))
    beta = binom.sf(v - 1, r, q)
    alpha, total = 0.0, 0.0
    for i in range(1, v + 1):
        total += binom.pmf(v - i, r, q)
        alpha = max(alpha, total / i)
    return min(1.0, beta + alpha * delta * 2 * m)


def test_all_right_guesses_have_a_closed_form_bound():
    # P[Binomial(r, q) >= r] = q^r = level  =>  eps = logit(level^(1/r))
    for r in (10, 50, 200):
        expected = logit(LEVEL ** (1 / r))
        assert epsilon_lower_bound(1000, r, r, level=LEVEL) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("m,r,v", [(100, 50, 40), (1000, 200, 150), (300, 30, 27), (60, 60, 45)])
def test_pure_dp_bound_is_where_the_binomial_tail_crosses_the_level(m, r, v):
    bound = epsilon_lower_bound(m, r, v, level=LEVEL)
    assert bound > 0
    assert binom.sf(v - 1, r, expit(bound)) < LEVEL  # refuted just below the bound
    assert binom.sf(v - 1, r, expit(bound + 1e-6)) >= LEVEL  # not refuted just above


def test_guesses_at_chance_refute_nothing():
    assert epsilon_lower_bound(100, 100, 50) == 0.0
    assert epsilon_lower_bound(100, 20, 12) == 0.0
    assert epsilon_lower_bound(100, 0, 0) == 0.0
    assert epsilon_lower_bound(100, 10, 0) == 0.0


@pytest.mark.parametrize("delta", [0.0, 1e-5, 1e-3])
def test_p_value_matches_the_papers_formula(delta):
    for m, r, v, eps in [(100, 50, 40, 0.3), (500, 100, 90, 1.5), (200, 200, 120, 0.0)]:
        assert p_value(m, r, v, eps, delta) == pytest.approx(
            _reference_p_value(m, r, v, eps, delta), rel=1e-9
        )


def test_delta_weakens_the_bound():
    pure = epsilon_lower_bound(1000, 100, 90)
    assert epsilon_lower_bound(1000, 100, 90, delta=1e-6) <= pure
    assert epsilon_lower_bound(1000, 100, 90, delta=1e-3) < pure


@settings(max_examples=60, deadline=None)
@given(
    r=st.integers(1, 300),
    data=st.data(),
    delta=st.sampled_from([0.0, 1e-6, 1e-4]),
)
def test_bound_grows_with_right_guesses(r, data, delta):
    v1 = data.draw(st.integers(0, r))
    v2 = data.draw(st.integers(v1, r))
    low = epsilon_lower_bound(2 * r, r, v1, delta=delta)
    high = epsilon_lower_bound(2 * r, r, v2, delta=delta)
    assert 0.0 <= low <= high + 1e-9


@settings(max_examples=40, deadline=None)
@given(r=st.integers(1, 200), data=st.data())
def test_the_bound_is_refuted_at_the_level_it_claims(r, data):
    v = data.draw(st.integers(0, r))
    bound = epsilon_lower_bound(r, r, v, level=LEVEL)
    if bound > 0:
        assert p_value(r, r, v, bound) < LEVEL


def test_bad_counts_are_refused():
    with pytest.raises(AuditError, match="guesses"):
        epsilon_lower_bound(10, 5, 6)
    with pytest.raises(AuditError, match="level"):
        epsilon_lower_bound(10, 5, 5, level=1.5)


# ---------------------------------------------------------------------- rules and guesses
def test_rules_are_fixed_by_the_number_of_canaries():
    assert [k for _, k in guess_rules(100)] == [10, 25, 50]
    assert [k for _, k in guess_rules(1000)] == [50, 100, 250, 500]
    assert [k for _, k in guess_rules(8)] == [8]


def test_guesses_count_the_top_scored_canaries():
    m = 100
    included = np.zeros(m, dtype=bool)
    included[:40] = True
    scores = np.where(included, 1.0, 0.0) + np.linspace(0, 0.5, m)  # included rank first
    rules = guess(scores, included, np.random.default_rng(0), delta=0.0)
    by_k = {r.n_guesses: r for r in rules}
    assert by_k[10].n_correct == 10 and by_k[25].n_correct == 25
    assert by_k[50].n_correct == 40
    level = LEVEL / len(rules)
    assert by_k[25].epsilon_lower_bound == pytest.approx(
        epsilon_lower_bound(m, 25, 25, level=level)
    )
    shuffled = guess(-scores, included, np.random.default_rng(0), delta=0.0)
    assert all(r.epsilon_lower_bound == 0.0 for r in shuffled)


# ---------------------------------------------------------------------- canaries
@pytest.fixture(scope="module")
def adult_small():
    return load_adult().dropna().sample(60, random_state=0).reset_index(drop=True)


def test_canaries_are_valid_records_in_the_tables_dtypes(adult_small, mixed_frame):
    for data in (adult_small, mixed_frame):
        canaries = craft_canaries(data, 50, np.random.default_rng(1))
        assert list(canaries.columns) == list(data.columns)
        assert (canaries.dtypes == data.dtypes).all()
        assert canaries.notna().all().all()
        for column in data.columns:
            values = canaries[column]
            if pd.api.types.is_numeric_dtype(data[column]) and data[column].nunique() > 10:
                assert values.min() >= data[column].min() and values.max() <= data[column].max()
            elif not pd.api.types.is_datetime64_any_dtype(data[column]):
                assert set(values) <= set(data[column].dropna())
        merged = canaries.merge(data.drop_duplicates(), how="inner")
        assert merged.empty  # no canary copies a real row
    again = craft_canaries(adult_small, 50, np.random.default_rng(1))
    pd.testing.assert_frame_equal(again, craft_canaries(adult_small, 50, np.random.default_rng(1)))


def test_scores_rank_a_copied_canary_first(adult_small):
    canaries = craft_canaries(adult_small, 20, np.random.default_rng(2))
    synthetic = pd.concat([adult_small, canaries.iloc[[3]]] * 3, ignore_index=True)
    scores = canary_scores(canaries, synthetic, adult_small)
    assert int(np.argmax(scores)) == 3


MEMORISE = dict(epochs=300, batch_size=20, pac=1, dropout=0.0, generator_lr=1e-3,
                critic_lr=1e-3, generator_dims=(128, 128), critic_dims=(128, 128))


def test_a_memorising_model_gets_a_bound_clearly_above_zero():
    # 50 real rows, 100 canaries, 300 epochs: the generator reproduces what it saw.
    data = load_adult().dropna().sample(50, random_state=0).reset_index(drop=True)
    result = canary_audit(data, TabGAN(**MEMORISE), 100, random_state=1)
    assert result.claimed_epsilon is None and result.exceeds_claim is None
    assert result.auc > 0.7
    assert result.epsilon_lower_bound > 0.5
    assert result.epsilon_lower_bound == max(r.epsilon_lower_bound for r in result.rules)
    assert result.n_train_rows == 50 + result.n_included
    plain = result.to_dict()
    assert plain["rules"][0]["n_guesses"] == 10
    assert sum(plain["score_histogram"]["counts"]["included"]) == result.n_included


def test_a_dp_model_stays_within_its_claim():
    data = load_adult().dropna().sample(300, random_state=0).reset_index(drop=True)
    metadata = {
        "columns": {
            c: {"kind": "categorical", "categories": sorted(data[c].unique().tolist())}
            for c in data.columns if data[c].dtype == object
        }
    }
    model = TabGAN(epsilon=1.0, delta=1e-5, epochs=10, batch_size=100, dropout=0.0,
                   generator_dims=(64, 64), critic_dims=(64, 64))
    result = canary_audit(data, model, 100, metadata=metadata, random_state=0)
    assert result.claimed_epsilon == pytest.approx(1.0, abs=1e-2)
    assert result.delta == 1e-5
    assert result.epsilon_lower_bound <= result.claimed_epsilon
    assert result.exceeds_claim is False


def test_canary_audit_refuses_bad_input(adult_small):
    with pytest.raises(AuditError, match="at least 2"):
        canary_audit(adult_small, TabGAN(), 1)
    with pytest.raises(AuditError, match="TabGAN"):
        canary_audit(adult_small, "not a model", 10)
