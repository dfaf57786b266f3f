import math

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from opacus.accountants import PRVAccountant, RDPAccountant

from tabgan import Metadata, TabGAN
from tabgan.errors import PrivacyError
from tabgan.privacy import (
    RDP_ALPHAS,
    Mechanism,
    PrivacyLedger,
    calibrate_noise,
    check_delta,
    compose_epsilon,
    default_delta,
    private_statistics,
)
from tabgan.sampler import ConditionalSampler
from tabgan.transform import TableTransformer, _NumericColumn


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
    assert default_delta(1000) == pytest.approx(1000**-1.1)


def test_poisson_inclusion_rate_equals_q():
    n, q = 20_000, 0.03
    data = torch.zeros(n, 3)
    data[torch.arange(n), torch.arange(n) % 3] = 1.0
    sampler = ConditionalSampler.from_data(data, [(0, 3)])
    g = torch.Generator().manual_seed(0)
    hits = torch.zeros(n)
    trials = 200
    sizes = []
    for _ in range(trials):
        rows, condition = sampler.anchored_batch(q, g)
        hits[rows] += 1
        sizes.append(len(rows))
        # each sampled row is conditioned on its own category
        assert torch.equal(condition.category, rows % 3)
    rate = hits.sum() / (n * trials)
    assert abs(rate - q) < 4 * math.sqrt(q * (1 - q) / (n * trials))
    assert np.std(sizes) > 0  # batch sizes vary, as Poisson sampling does


def _frame(n=400, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "age": rng.integers(18, 80, n),
            "income": rng.lognormal(10, 1, n),
            "city": rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2]),
        }
    )


PUBLIC = {
    "columns": {
        "age": {"kind": "integer", "bounds": [18, 90]},
        "income": {"kind": "continuous", "bounds": [0, 1e6]},
        "city": {"kind": "categorical", "categories": ["a", "b", "c", "d"]},
    }
}


def _private_fit(frame, seed=0):
    meta = Metadata.infer(frame, metadata=PUBLIC, schema_only=True)
    stats, mechanisms, public = private_statistics(
        frame, meta, epsilon=1.0, delta=1e-6, accountant="rdp",
        rng=np.random.default_rng(seed), to_float=lambda m, s: _NumericColumn(m).to_float(s),
    )
    return TableTransformer(random_state=0).fit_private(meta, stats), stats, mechanisms, public


def test_public_metadata_fixes_the_transformer_structure():
    frame = _frame()
    changed = frame.copy()
    changed.loc[0, ["age", "income", "city"]] = [89, 999_999.0, "c"]
    a, stats_a, mech_a, public = _private_fit(frame)
    b, stats_b, _, _ = _private_fit(changed)
    assert set(public) == {"bounds of 'age'", "bounds of 'income'", "categories of 'city'"}
    assert a.spans_ == b.spans_ and a.output_dim_ == b.output_dim_
    assert a.categories("city") == b.categories("city") == ["a", "b", "c", "d", None]
    assert a.state_dict()["columns"] == b.state_dict()["columns"]
    # only the category counts of the condition prior read the data, through noise
    assert [m.name for m in mech_a] == ["category counts of 'city'"]
    city_a = next(s for s in stats_a if s.name == "city")
    city_b = next(s for s in stats_b if s.name == "city")
    diff = np.abs(np.asarray(city_a.counts) - np.asarray(city_b.counts))
    assert diff.sum() <= 2 + 1e-9  # one record moves one unit from one count to another


def test_unreleased_values_become_missing_and_no_unseen_error():
    frame = _frame()
    frame.loc[:2, "city"] = "rare-town"
    meta = Metadata.infer(frame, schema_only=True)
    stats, mechanisms, _ = private_statistics(
        frame, meta, epsilon=0.5, delta=1e-6, accountant="rdp",
        rng=np.random.default_rng(0), to_float=lambda m, s: _NumericColumn(m).to_float(s),
    )
    tt = TableTransformer(random_state=0).fit_private(meta, stats)
    assert "rare-town" not in tt.categories("city")
    assert any(m.extra_delta > 0 for m in mechanisms)
    back = tt.inverse_transform(tt.transform(frame))
    assert back.loc[:2, "city"].isna().all()


def test_schema_only_inference_reads_no_values():
    frame = pd.DataFrame({"few": [1, 2] * 50, "s": ["x", "y"] * 50, "f": [0.5, 1.5] * 50})
    meta = Metadata.infer(frame, schema_only=True)
    assert [c.kind for c in meta.columns] == ["integer", "categorical", "continuous"]


@pytest.fixture(scope="module")
def dp_model():
    frame = _frame(600)
    model = TabGAN(epsilon=2.0, epochs=2, batch_size=100, embedding_dim=16,
                   generator_dims=(32,), critic_dims=(32,), verbose=False, random_state=0)
    return frame, model.fit(frame)


def test_dp_fit_spends_at_most_its_budget(dp_model):
    frame, model = dp_model
    ledger = model.privacy_ledger_
    assert ledger.epsilon <= 2.0
    assert ledger.delta == pytest.approx(default_delta(len(frame)))
    sgd = ledger.training()
    assert sgd.sample_rate == pytest.approx(100 / 600)
    assert sgd.steps == 2 * round(600 / 100)
    assert model.config_.pac == 1
    stages = ledger.epsilon_by_stage()
    assert set(stages) == {"preprocessing", "training"}
    assert stages["preprocessing"] <= 0.1 * 2.0 + 1e-6
    out = model.sample(50)
    assert list(out.columns) == list(frame.columns) and len(out) == 50


def test_ledger_survives_save_and_load(tmp_path, dp_model):
    _, model = dp_model
    path = tmp_path / "dp.tabgan"
    model.save(path)
    loaded = TabGAN.load(path)
    assert loaded.privacy_ledger_.to_dict() == model.privacy_ledger_.to_dict()
    assert "differential privacy" in loaded.describe()
    roundtrip = PrivacyLedger.from_dict(model.privacy_ledger_.to_dict())
    assert roundtrip.epsilon == pytest.approx(model.privacy_ledger_.epsilon)


def test_dp_refuses_bad_settings():
    frame = _frame(200)
    with pytest.raises(PrivacyError, match="1/n"):
        TabGAN(epsilon=1.0, delta=0.01, verbose=False).fit(frame)
    with pytest.raises(PrivacyError, match="callback"):
        TabGAN(epsilon=1.0, epochs=1, batch_size=50, verbose=False).fit(
            frame, callback=lambda m, r: False
        )
    with pytest.raises(PrivacyError, match="too small|frequent enough"):
        TabGAN(epsilon=0.1, epochs=1, batch_size=50, verbose=False).fit(frame)
    with pytest.raises(PrivacyError, match="epsilon"):
        TabGAN(epsilon=-1.0, verbose=False).fit(frame)


def test_dp_optimizer_adds_noise_of_sigma_c_over_the_expected_batch():
    from opacus.optimizers import DPOptimizerFastGradientClipping

    param = torch.nn.Parameter(torch.zeros(200_000))
    sigma, clip, batch = 1.7, 0.5, 250
    opt = DPOptimizerFastGradientClipping(
        torch.optim.SGD([param], lr=1.0), noise_multiplier=sigma, max_grad_norm=clip,
        expected_batch_size=batch, loss_reduction="mean",
        generator=torch.Generator().manual_seed(0),
    )
    opt.zero_grad(set_to_none=True)
    summed = torch.full_like(param, 0.01)
    param.grad = summed.clone()  # what DPGANTrainer sets: the clipped per-record sum
    opt.step()
    noise = -param.detach() * batch - summed  # SGD: p = -(sum + noise) / batch
    assert noise.mean().abs() < 0.02
    assert noise.std().item() == pytest.approx(sigma * clip, rel=0.01)


def test_private_marginals_follow_the_spans_and_the_noisy_statistics():
    from tabgan.synthesizer import _private_marginals

    frame = _frame(2000)
    frame.loc[:99, "income"] = np.nan
    meta = Metadata.infer(frame, schema_only=True)
    stats, _, _ = private_statistics(
        frame, meta, epsilon=2.0, delta=1e-6, accountant="rdp",
        rng=np.random.default_rng(0), to_float=lambda m, s: _NumericColumn(m).to_float(s),
    )
    tt = TableTransformer(random_state=0).fit_private(meta, stats)
    marginals = _private_marginals(tt, stats)
    soft = [s.dim for s in tt.spans_ if s.activation == "softmax"]
    assert [len(m) for m in marginals] == soft
    city = next(s for s in stats if s.name == "city")
    assert torch.allclose(marginals[-1], torch.tensor(city.counts, dtype=torch.float32))
    income = marginals[1]  # modes of 'income', then its null slot
    assert tt.mixture("income") is not None and len(income) == len(tt.mixture("income").weights) + 1
    assert float(income[-1]) == pytest.approx(0.05, abs=0.03)  # the noisy null share
    assert float(income.sum()) == pytest.approx(1.0)
