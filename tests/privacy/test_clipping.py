"""Per-record clipping of the critic loss: the factored gradients, their norms and clipped
sums against a brute-force loop of autograd over records, and the removal bound."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from tabgan.errors import PrivacyError
from tabgan.gan.model import Critic
from tabgan.privacy.clipping import (
    clip_and_sum,
    clip_scale,
    clipped_sum,
    critic_loss_factors,
    draw_masks,
    per_record_grads,
    per_record_grads_reference,
    per_record_norms,
)

DIM = 4
LAMBDA = 10.0
CONFIGS = [(), (5,), (7, 4), (6, 5, 3)]


def _critic(hidden, dropout, seed=0, train=True):
    torch.manual_seed(seed)
    critic = Critic(DIM, hidden, pac=1, dropout=dropout).double()
    return critic.train(train)


def _batch(size, seed=0):
    gen = torch.Generator().manual_seed(seed)
    real = torch.randn(size, DIM, generator=gen, dtype=torch.float64)
    fake = torch.randn(size, DIM, generator=gen, dtype=torch.float64)
    alpha = torch.rand(size, generator=gen, dtype=torch.float64)
    return real, fake, alpha


def _brute_force(critic, real, fake, alpha, seed):
    """Each record's loss and its gradient by autograd, one record at a time. The critic draws
    its own dropout masks (fake, real, then interpolate, as ``draw_masks`` orders them) from a
    generator seeded with ``seed``; rows do not interact (pac = 1, no batch norm), so record
    i's loss depends on row i alone."""
    critic.rng = torch.Generator().manual_seed(seed)
    names, params = zip(*critic.named_parameters(), strict=True)
    alpha = alpha[:, None]
    score_fake = critic(fake)[:, 0]
    score_real = critic(real)[:, 0]
    interp = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    (grad_x,) = torch.autograd.grad(critic(interp).sum(), interp, create_graph=True)
    losses = score_fake - score_real + LAMBDA * (grad_x.norm(dim=1) - 1) ** 2
    per_record = [torch.autograd.grad(loss, params, retain_graph=True) for loss in losses]
    grads = {name: torch.stack([g[j] for g in per_record]) for j, name in enumerate(names)}
    return losses.detach(), grads


def _single_record_loop(critic, real, fake, alpha):
    """The same with no dropout, each record in a graph of its own."""
    names, params = zip(*critic.named_parameters(), strict=True)
    rows = []
    for r, f, a in zip(real, fake, alpha, strict=True):
        interp = (a * r + (1 - a) * f)[None].requires_grad_(True)
        (grad_x,) = torch.autograd.grad(critic(interp).sum(), interp, create_graph=True)
        loss = critic(f[None]) - critic(r[None]) + LAMBDA * (grad_x.norm() - 1) ** 2
        rows.append(torch.autograd.grad(loss.sum(), params))
    return {name: torch.stack([g[j] for g in rows]) for j, name in enumerate(names)}


def _factors(critic, real, fake, alpha, seed):
    masks = draw_masks(critic, len(real), generator=torch.Generator().manual_seed(seed))
    return critic_loss_factors(critic, real, fake, alpha, LAMBDA, masks=masks), masks


def _assert_close(got: dict, expected: dict):
    assert got.keys() == expected.keys()
    for name in expected:
        torch.testing.assert_close(got[name], expected[name], rtol=1e-9, atol=1e-10, msg=name)


def _flat_norms(grads: dict) -> torch.Tensor:
    return torch.cat([g.flatten(1) for g in grads.values()], dim=1).norm(dim=1)


@pytest.mark.parametrize("hidden", CONFIGS)
@pytest.mark.parametrize("dropout", [0.0, 0.5])
def test_factored_gradients_equal_a_loop_over_records(hidden, dropout):
    critic = _critic(hidden, dropout)
    real, fake, alpha = _batch(7)
    factors, _ = _factors(critic, real, fake, alpha, seed=3)
    losses, expected = _brute_force(critic, real, fake, alpha, seed=3)
    _assert_close(per_record_grads(factors), expected)
    torch.testing.assert_close(factors.losses, losses, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("hidden", CONFIGS)
def test_eval_mode_equals_records_in_separate_graphs(hidden):
    critic = _critic(hidden, dropout=0.5, train=False)
    real, fake, alpha = _batch(5, seed=1)
    factors = critic_loss_factors(critic, real, fake, alpha, LAMBDA)
    _assert_close(per_record_grads(factors), _single_record_loop(critic, real, fake, alpha))


def test_masks_come_from_the_critic_generator_by_default():
    critic = _critic((6, 5), dropout=0.5)
    real, fake, alpha = _batch(4)
    critic.rng = torch.Generator().manual_seed(11)
    from_rng = critic_loss_factors(critic, real, fake, alpha, LAMBDA)
    given_masks, _ = _factors(critic, real, fake, alpha, seed=11)
    _assert_close(per_record_grads(from_rng), per_record_grads(given_masks))


@pytest.mark.parametrize("hidden", CONFIGS)
@pytest.mark.parametrize("dropout", [0.0, 0.5])
def test_norms_and_clipped_sums_equal_the_brute_force(hidden, dropout):
    critic = _critic(hidden, dropout, seed=2)
    real, fake, alpha = _batch(8, seed=2)
    factors, masks = _factors(critic, real, fake, alpha, seed=5)
    _, expected = _brute_force(critic, real, fake, alpha, seed=5)
    norms = _flat_norms(expected)
    torch.testing.assert_close(per_record_norms(factors), norms, rtol=1e-9, atol=1e-10)
    max_norm = float(norms.median())  # clips about half of the records
    scale = clip_scale(norms, max_norm)
    summed = {name: torch.einsum("i,i...->...", scale, g) for name, g in expected.items()}
    _assert_close(clipped_sum(factors, scale), summed)
    result = clip_and_sum(critic, real, fake, alpha, LAMBDA, max_norm, masks=masks)
    _assert_close(result.grads, summed)
    torch.testing.assert_close(result.norms, norms, rtol=1e-9, atol=1e-10)


def test_clipped_sum_equals_opacus_clipping_of_the_reference_grad_sample():
    from opacus.optimizers import DPOptimizer

    critic = _critic((6, 5), dropout=0.5)
    real, fake, alpha = _batch(6)
    masks = draw_masks(critic, 6, generator=torch.Generator().manual_seed(0))
    reference = per_record_grads_reference(critic, real, fake, alpha, LAMBDA, masks=masks)
    optimizer = DPOptimizer(
        torch.optim.SGD(critic.parameters(), lr=0.1),
        noise_multiplier=0.0,
        max_grad_norm=0.5,
        expected_batch_size=6,
    )
    for name, p in critic.named_parameters():
        p.grad_sample = reference[name]
    optimizer.clip_and_accumulate()
    ours = clip_and_sum(critic, real, fake, alpha, LAMBDA, 0.5, masks=masks).grads
    _assert_close(ours, {name: p.summed_grad for name, p in critic.named_parameters()})


@settings(max_examples=40, deadline=None)
@given(
    size=st.integers(1, 6),
    hidden=st.sampled_from(CONFIGS),
    dropout=st.sampled_from([0.0, 0.3]),
    max_norm=st.floats(1e-3, 10.0),
    seed=st.integers(0, 2**16),
    data=st.data(),
)
def test_removing_one_record_moves_the_clipped_sum_by_at_most_max_norm(
    size, hidden, dropout, max_norm, seed, data
):
    critic = _critic(hidden, dropout, seed=seed)
    real, fake, alpha = _batch(size, seed=seed)
    real, fake = real * 3, fake * 3  # large gradients, so that clipping binds
    masks = draw_masks(critic, size, generator=torch.Generator().manual_seed(seed))
    drop = data.draw(st.integers(0, size - 1))
    keep = torch.arange(size) != drop
    kept_masks = None if masks is None else [m[:, keep] for m in masks]
    full = clip_and_sum(critic, real, fake, alpha, LAMBDA, max_norm, masks=masks).grads
    rest = clip_and_sum(
        critic, real[keep], fake[keep], alpha[keep], LAMBDA, max_norm, masks=kept_masks
    ).grads
    change = torch.cat([(full[n] - rest[n]).flatten() for n in full]).norm()
    assert change <= max_norm * (1 + 1e-9)


@pytest.mark.parametrize("hidden", CONFIGS)
@pytest.mark.parametrize("dropout", [0.0, 0.5])
def test_torch_func_reference_equals_the_brute_force(hidden, dropout):
    critic = _critic(hidden, dropout, seed=4)
    real, fake, alpha = _batch(6, seed=4)
    masks = draw_masks(critic, 6, generator=torch.Generator().manual_seed(9))
    reference = per_record_grads_reference(critic, real, fake, alpha, LAMBDA, masks=masks)
    _assert_close(reference, _brute_force(critic, real, fake, alpha, seed=9)[1])


@pytest.mark.parametrize("hidden", CONFIGS[1:])
def test_biases_get_no_penalty_gradient(hidden):
    critic = _critic(hidden, dropout=0.0, seed=6)
    real, fake, alpha = _batch(5, seed=6)
    interp = (alpha[:, None] * real + (1 - alpha[:, None]) * fake).requires_grad_(True)

    def penalty() -> torch.Tensor:
        (grad_x,) = torch.autograd.grad(critic(interp).sum(), interp, create_graph=True)
        return LAMBDA * ((grad_x.norm(dim=1) - 1) ** 2).sum()

    biases = [layer.bias for layer in critic.hidden] + [critic.out.bias]
    for bias_grad in torch.autograd.grad(penalty(), biases, allow_unused=True):
        assert bias_grad is None or torch.all(bias_grad == 0)
    # Finite differences: a small move of any bias leaves the penalty where it was.
    base = penalty().item()
    for bias in biases:
        for j in range(bias.numel()):
            with torch.no_grad():
                bias[j] += 1e-4
            moved = penalty().item()
            with torch.no_grad():
                bias[j] -= 1e-4
            assert moved == pytest.approx(base, rel=1e-12, abs=1e-12)
    # And the factored bias gradient is D(f) - D(r)'s alone.
    factors = critic_loss_factors(critic, real, fake, alpha, LAMBDA)
    no_penalty = critic_loss_factors(critic, real, fake, alpha, 0.0)
    got, expected = per_record_grads(factors), per_record_grads(no_penalty)
    for name in got:
        if name.endswith("bias"):
            torch.testing.assert_close(got[name], expected[name], rtol=0, atol=0)
    assert torch.all(got["out.bias"] == 0)


def test_float32_norms_survive_cancellation():
    # With fake rows next to the real ones and no penalty, D(f) - D(r)'s gradient is a small
    # difference of large terms; its norm must still come out right in float32.
    critic = _critic((16, 16), dropout=0.0, train=False)
    real, fake, alpha = _batch(6)
    fake = real + 1e-4 * fake
    expected = _flat_norms(_single_record_loop_without_penalty(critic, real, fake))
    critic = critic.float()
    factors = critic_loss_factors(critic, real.float(), fake.float(), alpha.float(), 0.0)
    torch.testing.assert_close(per_record_norms(factors).double(), expected, rtol=1e-2, atol=0)


def _single_record_loop_without_penalty(critic, real, fake):
    names, params = zip(*critic.named_parameters(), strict=True)
    rows = [
        torch.autograd.grad((critic(f[None]) - critic(r[None])).sum(), params)
        for r, f in zip(real, fake, strict=True)
    ]
    return {name: torch.stack([g[j] for g in rows]) for j, name in enumerate(names)}


def test_packed_critic_is_refused():
    critic = Critic(DIM, (5,), pac=2, dropout=0.0)
    real, fake, alpha = (t.float() for t in _batch(4))
    with pytest.raises(PrivacyError, match="pac = 1"):
        critic_loss_factors(critic, real, fake, alpha, LAMBDA)
