"""Privacy arithmetic, pinned against Opacus's own accountants."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from opacus.accountants import PRVAccountant, RDPAccountant

from tabgan.errors import PrivacyError
from tabgan.privacy.accounting import (
    RDP_ALPHAS,
    Mechanism,
    calibrate_noise,
    check_delta,
    compose_epsilon,
    default_delta,
)


@pytest.mark.parametrize("accountant_cls,name", [(RDPAccountant, "rdp"), (PRVAccountant, "prv")])
def test_ledger_epsilon_equals_opacus_accountant(accountant_cls, name):
    sigma, q, steps, delta = 1.1, 0.01, 400, 1e-6
    acc = accountant_cls()
    for _ in range(steps):
        acc.step(noise_multiplier=sigma, sample_rate=q)
    kwargs = {"alphas": RDP_ALPHAS} if name == "rdp" else {}
    expected = acc.get_epsilon(delta=delta, **kwargs)
    got = compose_epsilon([Mechanism("training", "sgd", sigma, q, steps)], delta, name)
    assert got == pytest.approx(expected, rel=1e-9)


def test_composition_with_preprocessing_matches_opacus_history():
    mechanisms = [
        Mechanism("preprocessing", "histogram", 20.0),
        Mechanism("preprocessing", "counts", 20.0),
        Mechanism("training", "sgd", 0.9, 0.02, 1000),
    ]
    acc = RDPAccountant()
    acc.history = [(20.0, 1.0, 1), (20.0, 1.0, 1), (0.9, 0.02, 1000)]
    expected = acc.get_epsilon(delta=1e-6, alphas=RDP_ALPHAS)
    assert compose_epsilon(mechanisms, 1e-6) == pytest.approx(expected)
    # the extended orders only ever tighten Opacus's default bound
    assert compose_epsilon(mechanisms, 1e-6) <= acc.get_epsilon(delta=1e-6)
    alone = compose_epsilon(mechanisms[2:], 1e-6)
    assert compose_epsilon(mechanisms, 1e-6) > alone


def test_small_epsilons_are_certified():
    sigma = calibrate_noise(target_epsilon=0.1, delta=1e-6, sample_rate=1.0, steps=21)
    assert compose_epsilon([Mechanism("p", "h", sigma, 1.0, 21)], 1e-6) <= 0.1


@settings(max_examples=10, deadline=None)
@given(
    epsilon=st.floats(0.3, 20.0),
    epochs=st.integers(1, 300),
    n=st.integers(1_000, 1_000_000),
    pre_sigma=st.one_of(st.none(), st.floats(5.0, 200.0)),
)
def test_calibrated_noise_never_overshoots(epsilon, epochs, n, pre_sigma):
    q = min(1.0, 500 / n)
    steps = epochs * max(1, round(1 / q))
    delta = default_delta(n)
    fixed = [] if pre_sigma is None else [Mechanism("preprocessing", "h", pre_sigma, 1.0, 10)]
    if fixed and compose_epsilon(fixed, delta) >= epsilon:
        with pytest.raises(PrivacyError):
            calibrate_noise(target_epsilon=epsilon, delta=delta, sample_rate=q, steps=steps,
                            fixed=fixed)
        return
    sigma = calibrate_noise(target_epsilon=epsilon, delta=delta, sample_rate=q, steps=steps,
                            fixed=fixed)
    spent = compose_epsilon([*fixed, Mechanism("training", "s", sigma, q, steps)], delta)
    assert spent <= epsilon
    # ... and is tight: a little less noise would overshoot.
    less = compose_epsilon([*fixed, Mechanism("training", "s", sigma * 0.99, q, steps)], delta)
    assert less > epsilon or sigma < 0.01


def test_delta_must_be_below_one_over_n():
    with pytest.raises(PrivacyError, match="1/n"):
        check_delta(1e-3, 1000)
    check_delta(default_delta(1000), 1000)


@pytest.mark.parametrize("n, delta", [(100, 1e-6), (3000, 1e-6), (100_000, 1e-6),
                                      (1_000_000, 1e-7), (32_561_000, 1 / 325_610_000)])
def test_the_default_delta_is_small_by_any_reading(n, delta):
    # min(1e-6, 1/(10 n)): at n = 3000 the old 1/n^1.1 was only 2.2x below 1/n
    assert default_delta(n) == pytest.approx(delta)
    assert default_delta(n) <= 1e-6 and default_delta(n) <= 0.1 / n
