"""The training loop: no wasted gradients, the marginal term, the generator's weight
average."""

import copy

import pytest
import torch

from tabgan import TabGAN
from tabgan.gan.train import GANTrainer


def capture_trainer(monkeypatch) -> dict:
    """From now on, every GANTrainer that trains is kept in the dict, as "trainer"."""
    captured = {}
    original = GANTrainer.fit

    def capture(self, **kwargs):
        captured["trainer"] = self
        return original(self, **kwargs)

    monkeypatch.setattr(GANTrainer, "fit", capture)
    return captured


def _fit_and_capture_trainer(monkeypatch, frame, **params):
    """Fit a TabGAN and return the GANTrainer it trained with."""
    captured = capture_trainer(monkeypatch)
    TabGAN(**params).fit(frame)
    return captured["trainer"]


def test_critic_step_builds_no_generator_gradients(monkeypatch, mixed_frame, tiny_model_params):
    trainer = _fit_and_capture_trainer(monkeypatch, mixed_frame, **tiny_model_params)
    for p in trainer.generator.parameters():
        p.grad = None
    trainer.critic_step(trainer.config.batch_size)
    assert all(p.grad is None for p in trainer.generator.parameters())
    assert any(p.grad is not None for p in trainer.critic.parameters())


def test_marginal_term_targets_the_real_span_means(monkeypatch, mixed_frame,
                                                   tiny_model_params):
    off = _fit_and_capture_trainer(monkeypatch, mixed_frame,
                                   **dict(tiny_model_params, marginal_weight=0.0))
    assert off._marginals is None  # marginal_weight=0 turns the term off
    trainer = _fit_and_capture_trainer(monkeypatch, mixed_frame, **tiny_model_params)
    assert trainer._marginals is not None
    dense = trainer.sampler.data.dense()  # the one-hot rows the compact table stands for
    lay = trainer.span_index
    assert torch.allclose(trainer._marginals, dense[:, lay.soft_index].mean(0), atol=1e-6)
    # every span's target is a distribution
    per_span = torch.zeros(lay.n_segments).index_add(0, lay.soft_segment, trainer._marginals)
    assert torch.allclose(per_span, torch.ones(lay.n_segments), atol=1e-5)


def test_pair_term_targets_the_real_joint_of_every_two_spans(monkeypatch, mixed_frame,
                                                            tiny_model_params):
    off = _fit_and_capture_trainer(monkeypatch, mixed_frame,
                                   **dict(tiny_model_params, pair_weight=0.0))
    assert off._pairs is None  # pair_weight=0 turns the term off
    trainer = _fit_and_capture_trainer(monkeypatch, mixed_frame,
                                       **dict(tiny_model_params, pair_weight=1.0))
    lay = trainer.span_index
    soft = trainer.sampler.data.dense()[:, lay.soft_index]
    seg = lay.soft_segment
    joint = soft.T @ soft / len(soft)
    between = seg[:, None] != seg[None, :]
    torch.testing.assert_close(trainer._pairs, joint * between, atol=1e-6, rtol=0)
    # every block of two spans is a joint distribution
    for a, b in ((0, 1), (lay.n_segments - 2, lay.n_segments - 1)):
        block = trainer._pairs[seg == a][:, seg == b]
        assert abs(float(block.sum()) - 1.0) < 1e-5
    # the real rows themselves are the term's minimum: shuffling one span's column
    # against the others keeps every one-way marginal and scores worse
    table = trainer.sampler.data.dense()
    span = lay.soft_index[seg == 0]
    shuffled = table.clone()
    order = torch.randperm(len(table), generator=torch.Generator().manual_seed(0))
    shuffled[:, span] = table[order][:, span]
    assert len(span) > 1
    assert float(trainer._pair_loss(shuffled)) > float(trainer._pair_loss(table)) + 1e-4


def test_pair_term_weights_log_frequency_batches_back_to_the_table(monkeypatch, mixed_frame,
                                                                  tiny_model_params):
    """A real batch drawn by training-by-sampling, importance-weighted, scores the pair
    term of the whole table; unweighted it scores worse (it over-holds rare categories)."""
    trainer = _fit_and_capture_trainer(monkeypatch, mixed_frame,
                                       **dict(tiny_model_params, pair_weight=1.0))
    g = torch.Generator().manual_seed(0)
    condition = trainer.sampler.train_condition(50_000, g)
    batch = trainer.sampler.real_batch(condition, 50_000, g)
    lay = trainer.span_index
    table = trainer.sampler.data.dense()
    best = float(trainer._pair_loss(table))
    weighted = float(trainer._pair_loss(batch, condition.weight))
    plain = float(trainer._pair_loss(batch))
    assert condition.weight is not None and lay.n_segments > 1
    assert abs(weighted - best) < 0.02 * abs(best)
    assert plain - best > 2 * (weighted - best)


def test_generator_weight_average_is_what_samples(monkeypatch, mixed_frame, tiny_model_params):
    captured = {}
    original_step = GANTrainer.generator_step

    def first_step(self, batch):
        if "before" not in captured:
            captured["before"] = copy.deepcopy(list(self.generator.parameters()))
        out = original_step(self, batch)
        if "after" not in captured:
            captured["after"] = copy.deepcopy(list(self.generator.parameters()))
            captured["ema"] = copy.deepcopy(list(self.ema_generator.parameters()))
        return out

    monkeypatch.setattr(GANTrainer, "generator_step", first_step)
    trainer = _fit_and_capture_trainer(monkeypatch, mixed_frame,
                                       **dict(tiny_model_params, generator_ema=0.99))
    # the first update uses the warm-up decay 0.1: 0.1 * start + 0.9 * live
    for b, a, e in zip(captured["before"], captured["after"], captured["ema"], strict=True):
        assert torch.allclose(e, 0.1 * b + 0.9 * a, atol=1e-6)
    # after training the average differs from the live weights, and it is the sampler
    live = torch.cat([p.flatten() for p in trainer.generator.parameters()])
    avg = torch.cat([p.flatten() for p in trainer.ema_generator.parameters()])
    assert not torch.allclose(live, avg)
    assert trainer.sampling_generator is trainer.ema_generator
    assert all(not p.requires_grad for p in trainer.ema_generator.parameters())

    off = _fit_and_capture_trainer(monkeypatch, mixed_frame,
                                   **dict(tiny_model_params, generator_ema=0.0))
    assert off.ema_generator is None and off.sampling_generator is off.generator
    with pytest.raises(ValueError, match="generator_ema"):
        TabGAN(**dict(tiny_model_params, generator_ema=1.0)).fit(mixed_frame)


def test_weight_average_follows_its_ramp_and_spans_the_last_tenth(monkeypatch, mixed_frame,
                                                                   tiny_model_params):
    seen = []
    original_step = GANTrainer.generator_step

    def record(self, batch):
        if not seen:
            seen.append([p.detach().clone() for p in self.generator.parameters()])
        out = original_step(self, batch)
        seen.append([p.detach().clone() for p in self.generator.parameters()])
        return out

    monkeypatch.setattr(GANTrainer, "generator_step", record)
    params = dict(tiny_model_params, epochs=10, generator_ema=0.999)
    trainer = _fit_and_capture_trainer(monkeypatch, mixed_frame, **params)
    steps = len(seen) - 1
    assert steps == 10 * (len(mixed_frame) // trainer.config.batch_size)
    cap = 1 - 10 / max(steps, 20)  # about the last tenth of the planned steps
    average = copy.deepcopy(seen[0])
    for t, live in enumerate(seen[1:]):
        decay = min(0.999, (1 + t) / (10 + t), cap)
        average = [a * decay + w * (1 - decay) for a, w in zip(average, live, strict=True)]
    for a, e in zip(average, trainer.ema_generator.parameters(), strict=True):
        assert torch.allclose(a, e, atol=1e-5)
