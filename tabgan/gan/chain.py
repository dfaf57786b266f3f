"""The output chain: each column's draw conditioned on the draws of the columns before it.

A plain generator outputs every softmax span's logits at once, and each span is drawn
from its own logits independently of the others: two columns that always go together
(a code and its label, a title and a sex) only agree as often as both sets of logits
are certain. The chain adds to the raw logits of every group of spans a linear function
of the one-hots drawn for the groups before it, so a column's draw can follow the draws
it depends on; the alphas of numeric columns then get a linear function of every draw,
their own bin included. The weights start at zero: an untrained chain is the plain
generator.

Spans are taken in row order, in at most ``max_groups`` consecutive groups, so that a
pass costs that many small matrix products whatever the table's width.
"""

from __future__ import annotations

import torch
from torch import nn

from tabgan.encoding.layout import SpanIndex
from tabgan.gan.activation import segment_max, segment_softmax

__all__ = ["OutputChain", "MAX_GROUPS", "MAX_CHAIN_POSITIONS", "chain_groups", "chain_size",
           "has_chain"]

MAX_GROUPS = 16
MAX_CHAIN_POSITIONS = 4096  # softmax positions beyond which a table gets no chain
# The chain's weights are stored divided by this gain. A one-hot input moves a logit by a
# handful of weights where the generator's last layer sums hundreds, so at one learning
# rate the chain would learn that much slower; Adam's steps do not scale with the
# gradient, so the gain is the chain's learning rate relative to the rest.
GAIN = 30.0


def chain_groups(index: SpanIndex, max_groups: int = MAX_GROUPS) -> list[tuple[int, int]]:
    """The softmax positions ``[start, stop)`` of each group: consecutive spans, at most
    ``max_groups`` groups of about as many spans each."""
    n_segments = index.n_segments
    ends = torch.cumsum(torch.bincount(index.soft_segment.cpu(), minlength=n_segments),
                        0).tolist()
    n_groups = max(1, min(max_groups, n_segments))
    cuts = sorted({max(1, min(n_segments, round(n_segments * (g + 1) / n_groups)))
                   for g in range(n_groups)})
    bounds, start = [], 0
    for cut in cuts:
        stop = ends[cut - 1]
        if stop > start:
            bounds.append((start, stop))
            start = stop
    return bounds


def has_chain(config, index: SpanIndex) -> bool:
    """Whether a generator of ``config`` for ``index`` gets an output chain: when the
    config asks for one and the table has softmax spans, at most ``MAX_CHAIN_POSITIONS``
    positions of them."""
    return bool(config.output_chain) and 0 < len(index.soft_index) <= MAX_CHAIN_POSITIONS


def chain_size(index: SpanIndex, max_groups: int = MAX_GROUPS) -> int:
    """The number of weights of the chain of ``index``."""
    bounds = chain_groups(index, max_groups)
    return (sum(a * (b - a) for a, b in bounds[1:])
            + len(index.soft_index) * len(index.tanh_index))


class OutputChain(nn.Module):
    """Chained draws of the softmax spans of ``index``, and alphas that see every draw."""

    def __init__(self, index: SpanIndex, max_groups: int = MAX_GROUPS):
        super().__init__()
        segment = index.soft_segment.cpu()
        n_soft, n_tanh = len(index.soft_index), len(index.tanh_index)
        self.bounds = chain_groups(index, max_groups)
        self.weights = nn.ParameterList(
            nn.Parameter(torch.zeros(a, b - a)) for a, b in self.bounds[1:]
        )
        self.alpha_weight = nn.Parameter(torch.zeros(n_soft, n_tanh))
        for g, (a, b) in enumerate(self.bounds):
            local = segment[a:b] - segment[a]
            self.register_buffer(f"_segment{g}", local, persistent=False)
        for name in ("soft_index", "tanh_index", "inverse_perm"):
            self.register_buffer(name, getattr(index, name).clone(), persistent=False)

    def _segment(self, g: int) -> tuple[torch.Tensor, int]:
        local = getattr(self, f"_segment{g}")
        return local, int(local[-1]) + 1

    def _logits(self, soft_raw: torch.Tensor, drawn: list[torch.Tensor], g: int
                ) -> torch.Tensor:
        a, b = self.bounds[g]
        logits = soft_raw[:, a:b]
        if g > 0:
            logits = logits + torch.cat(drawn, dim=1) @ (GAIN * self.weights[g - 1])
        return logits

    def _assemble(self, tanh_part: torch.Tensor, soft_part: torch.Tensor) -> torch.Tensor:
        return torch.cat([tanh_part, soft_part], dim=1)[:, self.inverse_perm]

    def forward(self, raw: torch.Tensor, tau: float, gumbel) -> tuple[torch.Tensor, torch.Tensor]:
        """Chained raw logits and Gumbel-softmax output ``(B, D)`` each, from the
        generator's raw output; ``gumbel(like)`` gives standard Gumbel noise."""
        soft_raw = raw[:, self.soft_index]
        drawn, logits = [], []
        for g in range(len(self.bounds)):
            chained = self._logits(soft_raw, drawn, g)
            local, n_segments = self._segment(g)
            soft, _ = segment_softmax((chained + gumbel(chained)) / tau, local, n_segments)
            logits.append(chained)
            drawn.append(soft)
        draws = torch.cat(drawn, dim=1)
        tanh_raw = raw[:, self.tanh_index]
        alphas = torch.tanh(tanh_raw + draws @ (GAIN * self.alpha_weight))
        return (self._assemble(tanh_raw, torch.cat(logits, dim=1)),
                self._assemble(alphas, draws))

    @torch.no_grad()
    def sample_scores(self, raw: torch.Tensor, gumbel) -> torch.Tensor:
        """Alphas, and for every softmax span scores whose argmax is its chained draw."""
        soft_raw = raw[:, self.soft_index]
        drawn, scores = [], []
        for g in range(len(self.bounds)):
            noisy = self._logits(soft_raw, drawn, g)
            noisy = noisy + gumbel(noisy)
            local, n_segments = self._segment(g)
            top = segment_max(noisy, local, n_segments)
            drawn.append((noisy >= top.gather(1, local.expand(noisy.shape[0], -1))).to(
                noisy.dtype))
            scores.append(noisy)
        draws = torch.cat(drawn, dim=1)
        alphas = torch.tanh(raw[:, self.tanh_index] + draws @ (GAIN * self.alpha_weight))
        return self._assemble(alphas, torch.cat(scores, dim=1))
