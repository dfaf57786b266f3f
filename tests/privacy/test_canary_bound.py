"""The one-run canary bound: pinned against the paper's formula, and checked to hold at the
level it claims."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import expit, logit
from scipy.stats import binom

from tabgan.errors import AuditError
from tabgan.privacy.canary_bound import epsilon_lower_bound, guess, guess_rules, p_value

LEVEL = 0.05


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
