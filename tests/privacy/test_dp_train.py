"""The private fit end to end: Poisson batches, the budget it spends, the ledger, the
refusals, and the noise the DP optimizer adds."""

import math

import numpy as np
import pytest
import torch

from tabgan import TabGAN
from tabgan.encoding.layout import TableLayout
from tabgan.errors import PrivacyError
from tabgan.gan.sampler import ConditionalSampler
from tabgan.privacy.accounting import default_delta
from tabgan.privacy.ledger import PrivacyLedger
from tabgan.privacy.pairs import pair_share
from tests.privacy.test_preprocessing import _frame


def test_poisson_inclusion_rate_equals_q():
    n, q = 20_000, 0.03
    data = torch.zeros(n, 3)
    data[torch.arange(n), torch.arange(n) % 3] = 1.0
    sampler = ConditionalSampler.from_data(
        data, TableLayout.build([("c", "categorical", [(3, "softmax")])]))
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
    # n is released as a noisy count (noise multiplier 50 / epsilon): the sampling rate, the
    # steps and delta follow the released count, not the exact 600
    assert ledger.row_count == "noisy" and abs(ledger.n_rows - 600) < 6 * 25
    assert ledger.delta == pytest.approx(default_delta(ledger.n_rows))
    sgd = ledger.training()
    assert sgd.sample_rate == pytest.approx(100 / ledger.n_rows)
    assert sgd.steps == 2 * round(ledger.n_rows / 100)
    assert model.config_.pac == 1
    stages = ledger.epsilon_by_stage()
    assert set(stages) == {"row count", "preprocessing", "marginals", "training"}
    share = ledger.recipe.get("preprocessing_share", 0.1)
    assert stages["preprocessing"] <= share * 2.0 + 1e-6
    # the two-way marginals: one mechanism, within its share on top of the preprocessing's
    pairs = [m for m in ledger.mechanisms if m.stage == "marginals"]
    assert len(pairs) == 1 and pairs[0].steps == 1
    assert stages["marginals"] <= (share + pair_share(share)) * 2.0 + 1e-6
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
        # the row count is released noisily: a delta above 1/n for any count it can give
        TabGAN(epsilon=1.0, delta=0.5, verbose=False).fit(frame)
    with pytest.raises(PrivacyError, match="callback"):
        TabGAN(epsilon=1.0, epochs=1, batch_size=50, verbose=False).fit(
            frame, callback=lambda m, r: False
        )
    with pytest.raises(PrivacyError, match="too small"):
        TabGAN(epsilon=0.1, epochs=1, batch_size=50, preprocessing_share=0.01,
               verbose=False).fit(frame)
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
