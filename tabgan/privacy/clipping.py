"""Per-record clipping of the WGAN-GP critic loss without per-record gradient tensors.

Under differential privacy each record ``i`` contributes one loss

    l_i = D(f_i) - D(r_i) + lambda * (||grad_x D(x_i)|| - 1)^2,   x_i = a_i r_i + (1 - a_i) f_i

and DP-SGD needs ``||grad l_i||`` and ``sum_i min(1, C / ||grad l_i||) grad l_i``. For the
``Critic`` (Linear, LeakyReLU 0.2 and dropout, pac = 1) the gradient of ``l_i`` with respect to
a hidden weight matrix is a sum of three outer products ("ghost clipping", extended to the
gradient penalty):

- ``D(f_i)`` and ``D(r_i)``: (d score / d layer output) x (layer input), as usual;
- the penalty: (d score / d layer output at x_i) x (the adjoint ``psi`` that the second
  backward pass carries to that layer). LeakyReLU and dropout are piecewise linear, so the
  penalty reaches a weight only through the backward pass that computes ``grad_x D``, and
  does not depend on any bias (its bias gradient is zero).

So one batched forward pass (fake, real and interpolate stacked), one batched backward pass
and one tangent pass give every factor; norms come from 3 x 3 Gram matrices of the factors,
and the clipped sum of a weight is a single matmul. Nothing of shape ``(B, out, in)`` is built.

- ``draw_masks``: the dropout masks of one step, drawn as ``Critic`` draws them.
- ``critic_loss_factors``: the factors and the per-record losses (``CriticGradFactors``).
- ``per_record_norms``, ``clip_scale``, ``clipped_sum``: what DP-SGD needs from them.
- ``clip_and_sum``: all of the above in one call.
- ``per_record_grads``: the factors expanded to ``(B, *param.shape)`` (small critics, tests).
- ``per_record_grads_reference``: the same through ``torch.func`` (``vmap`` over ``grad``, a
  nested ``grad`` for the penalty); usable as Opacus's ``grad_sample``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch.func import functional_call, grad, vmap

from tabgan.errors import PrivacyError
from tabgan.gan.model import Critic

__all__ = [
    "NEGATIVE_SLOPE",
    "CriticGradFactors",
    "ClippedGrad",
    "draw_masks",
    "critic_loss_factors",
    "per_record_norms",
    "clip_scale",
    "clipped_sum",
    "clip_and_sum",
    "per_record_grads",
    "per_record_grads_reference",
]

NEGATIVE_SLOPE = 0.2  # the critic's LeakyReLU slope, as in Critic.forward
_SIGN = (1.0, -1.0, 1.0)  # the loss's sign on D at (fake, real, interpolate)


@dataclass
class CriticGradFactors:
    """The per-record gradient of the critic loss, in factored form. Index 0, 1, 2 of the
    leading axis of a factor is the fake row, the real row and the penalty.

    For hidden layer ``l`` (width ``n_l``, input width ``n_{l-1}``) and record ``i``:

        grad W_l = sum_k outer(grad_out[l][k, i], grad_in[l][k, i])
        grad b_l = grad_out[l][0, i] + grad_out[l][1, i]      (no penalty term)
    """

    names: list[str]  # parameter names, as in critic.named_parameters()
    grad_out: list[torch.Tensor]  # per hidden layer: (3, B, n_l) d(+-score)/d pre-activation
    grad_in: list[torch.Tensor]  # per hidden layer: (3, B, n_{l-1}) input at f, r; tangent psi
    out_weight: torch.Tensor  # (B, n_L) per-record gradient of out.weight (its bias gets 0)
    losses: torch.Tensor  # (B,) the per-record losses l_i

    @property
    def batch_size(self) -> int:
        return self.losses.shape[0]


class ClippedGrad(NamedTuple):
    grads: dict[str, torch.Tensor]  # name -> sum_i scale_i grad_i, shaped like the parameter
    norms: torch.Tensor  # (B,) each record's whole-gradient L2 norm, before clipping
    losses: torch.Tensor  # (B,) per-record losses


def _check_critic(critic: Critic) -> None:
    if critic.pac != 1:
        raise PrivacyError(
            f"per-record clipping needs a critic with pac = 1 (got pac = {critic.pac}): with "
            "pac > 1 one gradient mixes several records. Build the critic with pac=1 under DP."
        )


def _check_batch(critic: Critic, real: torch.Tensor, fake: torch.Tensor, alpha: torch.Tensor):
    if real.shape != fake.shape or real.dim() != 2 or real.shape[1] != critic.pac_dim:
        raise ValueError(
            f"real and fake must both be (B, {critic.pac_dim}); got {tuple(real.shape)} and "
            f"{tuple(fake.shape)}"
        )
    if alpha.numel() != real.shape[0]:
        raise ValueError(f"alpha needs one weight per record ({real.shape[0]}), got {alpha.shape}")
    return alpha.reshape(-1, 1).to(real.dtype)


def draw_masks(
    critic: Critic,
    batch: int,
    *,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
) -> list[torch.Tensor] | None:
    """Dropout multipliers for one step: per hidden layer a ``(3, batch, n_l)`` tensor of
    ``keep / (1 - p)`` (0 or ``1 / (1 - p)``) for the fake, real and interpolated rows, in the
    critic's dtype. ``None`` when the critic has no dropout or is in eval mode.

    Drawn as ``Critic.forward`` draws its masks, so a generator in the same state gives the
    masks of ``critic(fake)``, ``critic(real)``, ``critic(interp)`` called in that order.
    ``generator`` defaults to ``critic.rng``."""
    if not critic.training or critic.dropout <= 0:
        return None
    gen = critic.rng if generator is None else generator
    weight = critic.out.weight
    device = weight.device if device is None else device
    masks = [torch.empty((3, batch, layer.out_features), device=device) for layer in critic.hidden]
    for k in range(3):
        for mask in masks:
            torch.rand(mask.shape[1:], generator=gen, device=device, out=mask[k])
    scale = 1.0 / (1.0 - critic.dropout)
    return [mask.ge_(critic.dropout).mul_(scale).to(weight.dtype) for mask in masks]


def _resolve_masks(critic, batch, masks, generator, device):
    if masks is None:
        return draw_masks(critic, batch, generator=generator, device=device)
    if critic.dropout <= 0 or len(masks) != len(critic.hidden):
        raise ValueError(
            f"masks must hold one (3, B, width) tensor per hidden layer ({len(critic.hidden)}) "
            "of a critic with dropout > 0"
        )
    return masks


@torch.no_grad()
def critic_loss_factors(
    critic: Critic,
    real: torch.Tensor,
    fake: torch.Tensor,
    alpha: torch.Tensor,
    gp_lambda: float,
    *,
    masks: Sequence[torch.Tensor] | None = None,
    generator: torch.Generator | None = None,
) -> CriticGradFactors:
    """Factors of each record's critic-loss gradient (see ``CriticGradFactors``).

    ``real``, ``fake``: ``(B, dim)``; ``alpha``: ``(B,)`` or ``(B, 1)`` interpolation weights.
    Dropout: ``masks`` from ``draw_masks``, else masks drawn from ``generator`` (default
    ``critic.rng``) when the critic is in training mode; none in eval mode. Each of the three
    evaluations keeps its masks for its forward and both backward passes.
    """
    _check_critic(critic)
    alpha = _check_batch(critic, real, fake, alpha)
    batch = real.shape[0]
    masks = _resolve_masks(critic, batch, masks, generator, real.device)
    layers = list(critic.hidden)
    w_out = critic.out.weight[0]  # (n_L,)

    # Forward at fake, real and interpolate as one (3B, .) batch. The activation is
    # z * slope(z) and dropout multiplies by the mask: h = z * diag, diag kept for later.
    inputs = [torch.cat([fake, real, alpha * real + (1 - alpha) * fake])]  # (3B, d)
    diags = []
    for index, layer in enumerate(layers):
        z = torch.addmm(layer.bias, inputs[-1], layer.weight.T)  # (3B, n_l)
        diag = torch.sign(z).clamp_(min=NEGATIVE_SLOPE)  # LeakyReLU's slope: 1 if z > 0
        if masks is not None:
            diag.mul_(masks[index].view(z.shape))
        diags.append(diag)
        inputs.append(z.mul_(diag))
    scores = torch.addmm(critic.out.bias, inputs[-1], critic.out.weight.T).view(3, batch)

    # Backward of +D(f), -D(r), +D(x) in one pass: grad_out[l] = d(+-score)/d z_l.
    sign = real.new_tensor(_SIGN).view(3, 1, 1)
    grad_out = []  # filled from the last layer down
    top = sign * w_out  # (3, 1, n_L): d(+-score)/d h_L, before the last diag
    grad_x = w_out.expand(batch, -1)  # (B, d): grad_x D(x_i), when there is no hidden layer
    for index in reversed(range(len(layers))):
        delta = diags[index].view(3, batch, top.shape[-1]) * top  # (3, B, n_l)
        grad_out.insert(0, delta)
        if index > 0:
            top = (delta.flatten(0, 1) @ layers[index].weight).unflatten(0, (3, batch))
        else:  # only the interpolate needs the input gradient
            grad_x = delta[2] @ layers[0].weight

    # Penalty: d/du of lambda (||u|| - 1)^2, then the tangent pass psi_l = diag_l (W_l psi_{l-1})
    # at the interpolate; psi_{l-1} takes the interpolate's slot of the layer inputs.
    norm = torch.linalg.vector_norm(grad_x, dim=1)  # (B,)
    coef = 2.0 * gp_lambda * (norm - 1.0) / norm
    psi = grad_x * torch.where(norm > 0, coef, torch.zeros_like(coef))[:, None]  # (B, d)
    stacked = [h.unflatten(0, (3, batch)) for h in inputs]
    stacked[0][2] = psi
    for index, layer in enumerate(layers):
        psi = (psi @ layer.weight.T).mul_(diags[index][2 * batch :])
        stacked[index + 1][2] = psi

    last = stacked[-1]
    losses = scores[0] - scores[1] + gp_lambda * (norm - 1.0) ** 2
    return CriticGradFactors(
        names=[name for name, _ in critic.named_parameters()],
        grad_out=grad_out,
        grad_in=stacked[:-1],
        out_weight=last[0] - last[1] + last[2],
        losses=losses,
    )


def _gram(factor: torch.Tensor) -> torch.Tensor:
    """(3, B, n) -> (B, 3, 3) inner products, in float64: the norm is a sum of Gram products
    that can cancel, and float32 would lose what is left."""
    f = factor.double()
    return torch.einsum("kbn,jbn->bkj", f, f)


def per_record_norms(factors: CriticGradFactors) -> torch.Tensor:
    """``(B,)`` L2 norm of each record's gradient over all the critic's parameters."""
    total = factors.out_weight.double().square().sum(1)
    for out, inp in zip(factors.grad_out, factors.grad_in, strict=True):
        gram_out = _gram(out)  # (B, 3, 3)
        total += (gram_out * _gram(inp)).sum((1, 2))  # ||sum_k b_k a_k^T||_F^2
        total += gram_out[:, 0, 0] + gram_out[:, 1, 1] + 2 * gram_out[:, 0, 1]  # bias
    return total.clamp_min(0).sqrt().to(factors.losses.dtype)


def clip_scale(norms: torch.Tensor, max_norm: float) -> torch.Tensor:
    """``min(1, C / (norm + 1e-6))``, Opacus's clipping factor."""
    return (max_norm / (norms + 1e-6)).clamp(max=1.0)


def clipped_sum(factors: CriticGradFactors, scale: torch.Tensor) -> dict[str, torch.Tensor]:
    """``sum_i scale_i * grad l_i`` for every parameter, keyed by name, shaped like it."""
    scale = scale.to(factors.losses.dtype)
    result = {}
    names = iter(factors.names)
    for out, inp in zip(factors.grad_out, factors.grad_in, strict=True):
        scaled = out * scale[:, None]  # (3, B, n_l)
        result[next(names)] = scaled.flatten(0, 1).T @ inp.flatten(0, 1)
        result[next(names)] = scaled[0].sum(0) + scaled[1].sum(0)
    result[next(names)] = (scale @ factors.out_weight)[None]
    result[next(names)] = factors.out_weight.new_zeros(1)
    return result


def clip_and_sum(
    critic: Critic,
    real: torch.Tensor,
    fake: torch.Tensor,
    alpha: torch.Tensor,
    gp_lambda: float,
    max_norm: float,
    *,
    masks: Sequence[torch.Tensor] | None = None,
    generator: torch.Generator | None = None,
) -> ClippedGrad:
    """Each record's critic-loss gradient clipped to ``max_norm`` and summed over the batch.

    Add the noise and divide by the expected batch size yourself, or hand the sums to an
    Opacus ``DPOptimizer`` as ``p.summed_grad`` and call its ``add_noise`` and ``scale_grad``.
    """
    factors = critic_loss_factors(
        critic, real, fake, alpha, gp_lambda, masks=masks, generator=generator
    )
    norms = per_record_norms(factors)
    grads = clipped_sum(factors, clip_scale(norms, max_norm))
    return ClippedGrad(grads, norms, factors.losses)


def per_record_grads(factors: CriticGradFactors) -> dict[str, torch.Tensor]:
    """The factors expanded to ``(B, *param.shape)`` per-record gradients. Memory grows as
    B x params: for tests and small critics."""
    result = {}
    names = iter(factors.names)
    for out, inp in zip(factors.grad_out, factors.grad_in, strict=True):
        result[next(names)] = torch.einsum("kbo,kbi->boi", out, inp)
        result[next(names)] = out[0] + out[1]
    result[next(names)] = factors.out_weight[:, None]
    result[next(names)] = factors.out_weight.new_zeros(factors.batch_size, 1)
    return result


def per_record_grads_reference(
    critic: Critic,
    real: torch.Tensor,
    fake: torch.Tensor,
    alpha: torch.Tensor,
    gp_lambda: float,
    *,
    masks: Sequence[torch.Tensor] | None = None,
    generator: torch.Generator | None = None,
) -> dict[str, torch.Tensor]:
    """Per-record gradients ``(B, *param.shape)`` by ``torch.func``: ``vmap`` over ``grad`` of
    each record's loss, with a nested ``grad`` for the penalty. Same masks and arguments as
    ``critic_loss_factors``. Costs B x params memory; set the result as ``p.grad_sample``."""
    _check_critic(critic)
    alpha = _check_batch(critic, real, fake, alpha)
    masks = _resolve_masks(critic, real.shape[0], masks, generator, real.device)
    params = {name: p.detach() for name, p in critic.named_parameters()}
    if real.shape[0] == 0:  # vmap cannot map over an empty batch
        return {name: p.new_zeros((0, *p.shape)) for name, p in params.items()}

    def score(p, x, keep):  # x (d,), keep: per layer (n_l,) or None
        h = x
        for index, layer in enumerate(critic.hidden):
            own = {"weight": p[f"hidden.{index}.weight"], "bias": p[f"hidden.{index}.bias"]}
            h = torch.nn.functional.leaky_relu(functional_call(layer, own, (h,)), NEGATIVE_SLOPE)
            if keep is not None:
                h = h * keep[index]
        own = {"weight": p["out.weight"], "bias": p["out.bias"]}
        return functional_call(critic.out, own, (h,)).squeeze()

    def loss(p, r, f, a, keeps):
        x = a * r + (1 - a) * f
        kf, kr, kx = keeps if keeps is not None else (None, None, None)
        u = grad(score, argnums=1)(p, x, kx)
        penalty = gp_lambda * (torch.linalg.vector_norm(u) - 1) ** 2
        return score(p, f, kf) - score(p, r, kr) + penalty

    if masks is None:
        per_record = vmap(lambda r, f, a: grad(loss)(params, r, f, a, None))
        return per_record(real, fake, alpha)
    keeps = tuple([m[k] for m in masks] for k in range(3))
    per_record = vmap(grad(loss), in_dims=(None, 0, 0, 0, 0))
    return per_record(params, real, fake, alpha, keeps)
