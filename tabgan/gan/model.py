"""The networks and losses of the conditional tabular GAN. Tensors only: no pandas here.

- ``Generator``: CTGAN's residual generator. Each block is Linear + BatchNorm + ReLU and
  concatenates its input to its output, so later layers see everything before them.
- ``Critic``: a PacGAN critic that scores ``pac`` rows at once (Linear + LeakyReLU 0.2 +
  Dropout), trained with WGAN-GP.
- ``wgan_gp_losses``: the critic's loss and gradient penalty, in one forward pass.
- ``conditional_loss``: the cross-entropy that makes the generator honour its condition.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from tabgan.encoding.layout import SpanIndex
from tabgan.gan.activation import segment_softmax
from tabgan.gan.chain import OutputChain, has_chain

__all__ = ["new_generator", "Generator", "Critic", "conditional_loss", "wgan_gp_losses"]


class _Residual(nn.Module):
    def __init__(self, i: int, o: int):
        super().__init__()
        self.fc = nn.Linear(i, o)
        self.bn = nn.BatchNorm1d(o)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([F.relu(self.bn(self.fc(x))), x], dim=1)


class Generator(nn.Module):
    """Noise and condition ``(B, embedding + cond)`` to raw outputs ``(B, data_dim)``."""

    def __init__(self, input_dim: int, hidden: Sequence[int], data_dim: int,
                 chain: nn.Module | None = None):
        super().__init__()
        self.chain = chain  # an OutputChain: the draws of later spans follow earlier ones
        layers: list[nn.Module] = []
        dim = input_dim
        for width in hidden:
            layers.append(_Residual(dim, width))
            dim += width
        layers.append(nn.Linear(dim, data_dim))
        self.seq = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.seq(x)

    @torch.no_grad()
    def infer(self, x: torch.Tensor, chunk: int = 4096) -> torch.Tensor:
        """The eval-mode forward pass, fast: batch norm folded into each Linear, each
        Linear's weight split by the pieces of its input so the residual inputs are never
        concatenated, and rows taken ``chunk`` at a time so that activations stay in cache.
        Equal to ``self.eval()(x)`` up to float error."""
        layers = []  # (weight pieces, bias) per Linear, pieces in input order
        widths = [x.shape[1]]  # piece widths, newest first as torch.cat([h, x]) orders them
        *blocks, last = list(self.seq)
        for block in blocks:
            scale = block.bn.weight / torch.sqrt(block.bn.running_var + block.bn.eps)
            weight = block.fc.weight * scale[:, None]
            bias = (block.fc.bias - block.bn.running_mean) * scale + block.bn.bias
            layers.append((_split_columns(weight, widths), bias))
            widths = [block.fc.out_features, *widths]
        layers.append((_split_columns(last.weight, widths), last.bias))
        out = x.new_empty(x.shape[0], last.out_features)
        for start in range(0, x.shape[0], chunk):
            pieces = [x[start : start + chunk]]
            for weights, bias in layers[:-1]:
                pieces.insert(0, torch.relu(_split_linear(pieces, weights, bias)))
            weights, bias = layers[-1]
            out[start : start + chunk] = _split_linear(pieces, weights, bias)
        return out


def new_generator(config, layout, device=None) -> Generator:
    """The generator network of ``config`` for ``layout``, freshly initialized, with its
    output chain when the config asks for one and the table's softmax positions allow."""
    index = layout.index(device)
    chain = OutputChain(index) if has_chain(config, index) else None
    return Generator(config.embedding_dim + layout.cond_dim, config.generator_dims,
                     layout.dim, chain)


def _split_columns(weight: torch.Tensor, widths: list[int]) -> list[torch.Tensor]:
    pieces, start = [], 0
    for width in widths:
        pieces.append(weight[:, start : start + width].contiguous())
        start += width
    return pieces


def _split_linear(pieces, weights, bias) -> torch.Tensor:
    """``torch.cat(pieces, 1) @ torch.cat(weights, 1).T + bias`` without the concatenation."""
    out = F.linear(pieces[0], weights[0], bias)
    for piece, weight in zip(pieces[1:], weights[1:], strict=True):
        out.addmm_(piece, weight.T)
    return out


class Critic(nn.Module):
    """Scores packs of ``pac`` rows: input ``(B, dim)`` with B a multiple of pac, output
    ``(B / pac, 1)``.

    Dropout masks are drawn from ``self.rng`` (a ``torch.Generator``) when one is set, so
    that training is reproducible without the global generator.
    """

    def __init__(self, input_dim: int, hidden: Sequence[int], pac: int, dropout: float):
        super().__init__()
        self.pac = pac
        self.pac_dim = input_dim * pac
        self.dropout = dropout
        self.rng: torch.Generator | None = None
        dims = [self.pac_dim, *hidden]
        pairs = zip(dims[:-1], dims[1:], strict=True)
        self.hidden = nn.ModuleList(nn.Linear(i, o) for i, o in pairs)
        self.out = nn.Linear(dims[-1], 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x.reshape(-1, self.pac_dim)
        for layer in self.hidden:
            h = F.leaky_relu(layer(h), 0.2)
            if self.training and self.dropout > 0:
                keep = torch.rand(h.shape, generator=self.rng, device=h.device) >= self.dropout
                h = h * keep / (1.0 - self.dropout)
        return self.out(h)


def wgan_gp_losses(
    critic: Critic,
    real: torch.Tensor,
    fake: torch.Tensor,
    generator: torch.Generator | None = None,
    gp_lambda: float = 10.0,
    *,
    pac: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The critic's WGAN loss ``mean D(fake) - mean D(real)`` and its gradient penalty,
    from one forward pass over fake, real and interpolated packs stacked together (one
    larger matrix product per layer instead of three). ``critic`` may be a wrapper (such
    as ``DistributedDataParallel``) when ``pac`` is given."""
    pac = critic.pac if pac is None else pac
    packs = real.shape[0] // pac
    alpha = torch.rand(packs, 1, 1, generator=generator, device=real.device, dtype=real.dtype)
    alpha = alpha.expand(packs, pac, real.shape[1]).reshape(real.shape)
    interp = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    scores = critic(torch.cat([fake, real, interp], dim=0))  # (3 * packs, 1)
    s_fake, s_real, s_interp = scores.split(packs)
    (grads,) = torch.autograd.grad(s_interp.sum(), interp, create_graph=True)
    norms = grads.reshape(packs, -1).norm(2, dim=1)
    penalty = gp_lambda * ((norms - 1) ** 2).mean()
    return s_fake.mean() - s_real.mean(), penalty


def conditional_loss(
    raw: torch.Tensor, layout: SpanIndex, column: torch.Tensor, category: torch.Tensor
) -> torch.Tensor:
    """Cross-entropy of each row's raw logits for its chosen column against its chosen
    category, averaged over the batch (CTGAN's condition loss, vectorized)."""
    _, lse = segment_softmax(raw[:, layout.soft_index], layout.soft_segment, layout.n_segments)
    rows = torch.arange(raw.shape[0], device=raw.device)
    target = raw[rows, layout.disc_start[column] + category]
    return (lse[rows, layout.disc_segment[column]] - target).mean()
