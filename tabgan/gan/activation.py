"""Output activations over every span at once: tanh on alphas, Gumbel-softmax on every
mode / category span, with no loop over spans (see
:class:`~tabgan.encoding.layout.SpanIndex`)."""

from __future__ import annotations

import torch
from torch import nn

from tabgan.encoding.layout import SpanIndex

__all__ = ["segment_max", "segment_softmax", "OutputActivation"]


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

    def __init__(self, layout: SpanIndex, tau: float):
        super().__init__()
        self.layout = layout
        self.tau = tau

    def activate(self, raw: torch.Tensor, generator: torch.Generator | None = None,
                 chain=None) -> tuple[torch.Tensor, torch.Tensor]:
        """The raw logits the draws came from (chained, with a chain) and the output."""
        if chain is None:
            return raw, self(raw, generator)
        return chain(raw, self.tau, _gumbel_like(generator))

    def forward(self, raw: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        lay = self.layout
        alphas = torch.tanh(raw[:, lay.tanh_index])
        logits = raw[:, lay.soft_index]
        logits = (logits + _gumbel_(torch.empty_like(logits), generator)) / self.tau
        soft, _ = segment_softmax(logits, lay.soft_segment, lay.n_segments)
        return torch.cat([alphas, soft], dim=1)[:, lay.inverse_perm]

    def sample_scores(
        self, raw: torch.Tensor, generator: torch.Generator | None = None, chain=None
    ) -> torch.Tensor:
        """Alphas, and for every softmax span scores whose argmax is a draw from
        softmax(raw) (the Gumbel-max trick): what decoding needs, without the softmax.
        Works in place on ``raw``, with one temporary of its size. With a ``chain``
        (:class:`~tabgan.gan.chain.OutputChain`), each span's draw follows the earlier
        spans' draws."""
        if chain is not None:
            return chain.sample_scores(raw, _gumbel_like(generator))
        lay = self.layout
        alphas = torch.tanh(raw[:, lay.tanh_index])
        raw.add_(_gumbel_(torch.empty_like(raw), generator))
        raw[:, lay.tanh_index] = alphas
        return raw


def _gumbel_like(generator: torch.Generator | None):
    """``gumbel(like)``: standard Gumbel noise of ``like``'s shape, from ``generator``."""
    return lambda like: _gumbel_(torch.empty_like(like), generator)


def _gumbel_(out: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    """Fill ``out`` with standard Gumbel noise, in place."""
    out.uniform_(generator=generator)
    return out.clamp_(1e-10, 1.0 - 1e-7).log_().neg_().log_().neg_()
