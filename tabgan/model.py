"""The networks and losses of the conditional tabular GAN. Tensors only: no pandas here.

- ``Generator``: CTGAN's residual generator. Each block is Linear + BatchNorm + ReLU and
  concatenates its input to its output, so later layers see everything before them.
- ``Critic``: a PacGAN critic that scores ``pac`` rows at once (Linear + LeakyReLU 0.2 +
  Dropout), trained with WGAN-GP.
- ``OutputActivation``: tanh on every alpha, Gumbel-softmax on every mode / category span,
  all spans in one padded tensor operation.
- ``conditional_loss``: the cross-entropy that makes the generator honour its condition.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn import functional as F

__all__ = [
    "segment_max",
    "segment_softmax",
    "GANConfig",
    "Generator",
    "Critic",
    "OutputActivation",
    "conditional_loss",
    "wgan_gp_losses",
    "SpanLayout",
]


@dataclass
class GANConfig:
    """Hyperparameters of the networks and their optimizers (CTGAN's defaults)."""

    embedding_dim: int = 128  # size of the noise vector fed to the generator
    generator_dims: tuple[int, ...] = (256, 256)  # widths of the residual blocks
    critic_dims: tuple[int, ...] = (256, 256)  # widths of the critic's hidden layers
    pac: int = 10  # rows the critic scores together (PacGAN), against mode collapse
    batch_size: int = 500  # rows per step; a multiple of pac
    generator_lr: float = 2e-4
    critic_lr: float = 2e-4
    generator_decay: float = 1e-6  # Adam weight decay
    critic_decay: float = 1e-6
    betas: tuple[float, float] = (0.5, 0.9)  # Adam betas, as WGAN-GP recommends
    critic_steps: int = 1  # critic updates per generator update
    generator_steps: int = 1  # generator updates per round (free under DP: post-processing)
    epochs: int = 300
    gumbel_tau: float = 0.2  # temperature of the Gumbel-softmax on discrete spans
    gp_lambda: float = 10.0  # weight of the gradient penalty
    dropout: float = 0.5  # critic dropout
    log_frequency: bool = True  # training-by-sampling draws categories by log-frequency
    marginal_weight: float = 1.0  # pull each softmax span's batch mean to its marginal
    generator_ema: float = 0.999  # decay of the generator's weight average (0: off)
    # GPU fast paths (the estimator turns them off on CPU)
    bf16_autocast: bool = False  # forward passes in bfloat16 autocast
    torch_compile: bool = False  # the generator through torch.compile
    cuda_graphs: bool = False  # torch.compile's "reduce-overhead" mode: CUDA graphs

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> GANConfig:
        data = dict(data)
        for key in ("generator_dims", "critic_dims", "betas"):
            if key in data:
                data[key] = tuple(data[key])
        return cls(**data)


@dataclass
class SpanLayout:
    """Index tensors that let every span be handled in one vectorized operation.

    ``spans`` is a list of ``(dim, activation)``; ``discrete`` lists the data offset and size
    of each categorical column's span (the ones the condition vector refers to). Softmax
    spans are segments of one flat vector, never padded to a common width, so that one
    column of thousands of categories costs its own width and no more.
    """

    tanh_index: torch.Tensor  # (T,) positions of alpha columns
    soft_index: torch.Tensor  # (P,) positions of softmax entries, in data order
    soft_segment: torch.Tensor  # (P,) the softmax span of each of those entries
    inverse_perm: torch.Tensor  # (dim,) puts [tanh | softmax] back in data order
    disc_segment: torch.Tensor  # (C,) the softmax span of each categorical column
    disc_start: torch.Tensor  # (C,) data position of each categorical column's first entry
    dim: int
    n_segments: int = 0

    @classmethod
    def build(
        cls, spans: Sequence[tuple[int, str]], discrete: Sequence[tuple[int, int]]
    ) -> SpanLayout:
        tanh, soft, segment, starts = [], [], [], {}
        offset = 0
        for dim, activation in spans:
            positions = list(range(offset, offset + dim))
            if activation == "tanh":
                tanh.extend(positions)
            elif activation == "softmax":
                starts[offset] = len(starts)
                soft.extend(positions)
                segment.extend([len(starts) - 1] * dim)
            else:
                raise ValueError(f"unknown activation {activation!r}")
            offset += dim
        total = offset
        inverse = torch.empty(total, dtype=torch.long)
        inverse[torch.tensor(tanh + soft, dtype=torch.long)] = torch.arange(total)
        long = dict(dtype=torch.long)
        return cls(
            tanh_index=torch.tensor(tanh, **long),
            soft_index=torch.tensor(soft, **long),
            soft_segment=torch.tensor(segment, **long),
            inverse_perm=inverse,
            disc_segment=torch.tensor([starts[s] for s, _ in discrete], **long),
            disc_start=torch.tensor([s for s, _ in discrete], **long),
            dim=total,
            n_segments=len(starts),
        )

    def to(self, device: torch.device) -> SpanLayout:
        return SpanLayout(
            *(getattr(self, k).to(device) for k in
              ("tanh_index", "soft_index", "soft_segment", "inverse_perm", "disc_segment",
               "disc_start")),
            dim=self.dim,
            n_segments=self.n_segments,
        )


def segment_max(x: torch.Tensor, segment: torch.Tensor, n_segments: int) -> torch.Tensor:
    """Row-wise maximum of ``x (B, P)`` within each segment: ``(B, n_segments)``."""
    index = segment.expand(x.shape[0], -1)
    out = x.new_full((x.shape[0], n_segments), float("-inf"))
    return out.scatter_reduce(1, index, x, "amax", include_self=True)


def segment_softmax(
    x: torch.Tensor, segment: torch.Tensor, n_segments: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Softmax of ``x (B, P)`` within each segment, and each segment's log-sum-exp
    ``(B, n_segments)``."""
    index = segment.expand(x.shape[0], -1)
    top = segment_max(x.detach(), segment, n_segments)
    e = torch.exp(x - top.gather(1, index))
    total = x.new_zeros(x.shape[0], n_segments).scatter_add(1, index, e)
    return e / total.gather(1, index), top + torch.log(total)


class OutputActivation(nn.Module):
    """tanh on alphas and Gumbel-softmax on every softmax span, with no loop over spans."""

    def __init__(self, layout: SpanLayout, tau: float):
        super().__init__()
        self.layout = layout
        self.tau = tau

    def forward(self, raw: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        lay = self.layout
        alphas = torch.tanh(raw[:, lay.tanh_index])
        logits = raw[:, lay.soft_index]
        logits = (logits + _gumbel(logits, generator)) / self.tau
        soft, _ = segment_softmax(logits, lay.soft_segment, lay.n_segments)
        return torch.cat([alphas, soft], dim=1)[:, lay.inverse_perm]

    def sample_scores(
        self, raw: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Alphas, and for every softmax span scores whose argmax is a draw from
        softmax(raw) (the Gumbel-max trick): what decoding needs, without the softmax.
        Works in place on ``raw``, with one temporary of its size."""
        lay = self.layout
        alphas = torch.tanh(raw[:, lay.tanh_index])
        raw.add_(_gumbel_(torch.empty_like(raw), generator))
        raw[:, lay.tanh_index] = alphas
        return raw


def _gumbel(like: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    return _gumbel_(torch.empty_like(like), generator)


def _gumbel_(out: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    """Fill ``out`` with standard Gumbel noise, in place."""
    out.uniform_(generator=generator)
    return out.clamp_(1e-10, 1.0 - 1e-7).log_().neg_().log_().neg_()


class _Residual(nn.Module):
    def __init__(self, i: int, o: int):
        super().__init__()
        self.fc = nn.Linear(i, o)
        self.bn = nn.BatchNorm1d(o)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([F.relu(self.bn(self.fc(x))), x], dim=1)


class Generator(nn.Module):
    """Noise and condition ``(B, embedding + cond)`` to raw outputs ``(B, data_dim)``."""

    def __init__(self, input_dim: int, hidden: Sequence[int], data_dim: int):
        super().__init__()
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
    raw: torch.Tensor, layout: SpanLayout, column: torch.Tensor, category: torch.Tensor
) -> torch.Tensor:
    """Cross-entropy of each row's raw logits for its chosen column against its chosen
    category, averaged over the batch (CTGAN's condition loss, vectorized)."""
    _, lse = segment_softmax(raw[:, layout.soft_index], layout.soft_segment, layout.n_segments)
    rows = torch.arange(raw.shape[0], device=raw.device)
    target = raw[rows, layout.disc_start[column] + category]
    return (lse[rows, layout.disc_segment[column]] - target).mean()
