"""The fit's target marginals of the softmax spans, and how far a batch lies from them.

Every softmax span (a category, a bin or spike of a numeric column, a null slot) has a
target one-way marginal, and every two spans a target two-way marginal: statistics of the
encoded rows without DP, private releases under DP. The generator's loss pulls a batch's
(soft) marginals towards them by cross-entropy; :func:`marginal_gap` measures the total
variation distance of a sample's hard draws from them, what
:mod:`tabgan.gan.select` chooses the sampling weights by.
"""

from __future__ import annotations

import torch

from tabgan.encoding.layout import SpanIndex
from tabgan.gan.activation import segment_max

__all__ = ["between_spans", "pair_blocks", "row_shares", "span_draws", "marginal_loss",
           "pair_loss", "marginal_gap"]


def between_spans(index: SpanIndex) -> torch.Tensor:
    """``(P, P)`` mask of the cells of two different spans' joint tables."""
    seg = index.soft_segment
    return seg[:, None] != seg[None, :]


def pair_blocks(index: SpanIndex) -> int:
    """The number of ordered pairs of two different spans (at least 1)."""
    return max(index.n_segments * (index.n_segments - 1), 1)


def span_draws(scores: torch.Tensor, index: SpanIndex) -> torch.Tensor:
    """``(B, P)`` boolean: where each row's softmax ``scores (B, P)`` are largest within
    their span (the draw, for Gumbel-max scores)."""
    top = segment_max(scores, index.soft_segment, index.n_segments)
    return scores == top[:, index.soft_segment]


def row_shares(weight: torch.Tensor | None, rows: torch.Tensor) -> torch.Tensor:
    """Each row's share of a weighted batch mean: ``weight`` normalised, or 1/B for all."""
    if weight is None:
        return rows.new_full((rows.shape[0],), 1.0 / rows.shape[0])
    return weight.to(rows.dtype) / weight.sum().clamp_min(1e-12)


def marginal_loss(soft: torch.Tensor, target: torch.Tensor, index: SpanIndex,
                  weight: torch.Tensor | None = None) -> torch.Tensor:
    """Cross-entropy of the target one-way marginals ``(P,)`` against the batch's mean
    softmax outputs ``soft (B, P)``, averaged over the spans that have a target."""
    means = row_shares(weight, soft) @ soft
    per_span = target.new_zeros(index.n_segments).index_add(0, index.soft_segment, target)
    spans = (per_span > 0).sum().clamp_min(1)
    return -(target * torch.log(means + 1e-8)).sum() / spans


def pair_loss(soft: torch.Tensor, pairs: torch.Tensor, index: SpanIndex,
              weight: torch.Tensor | None = None) -> torch.Tensor:
    """Cross-entropy of the target two-way marginals ``pairs (P, P)`` (zero within a span)
    against the batch's joint of ``soft (B, P)``, averaged over the pairs of spans."""
    joint = (soft * row_shares(weight, soft)[:, None]).T @ soft  # (P, P)
    return -(pairs * torch.log(joint + 1e-8)).sum() / pair_blocks(index)


def marginal_gap(shares: torch.Tensor, target: torch.Tensor, index: SpanIndex,
                 joint: torch.Tensor | None = None, pairs: torch.Tensor | None = None
                 ) -> torch.Tensor:
    """How far a sample lies from the targets: the total variation distance of each
    span's shares (``shares (P,)``, the sample's share of rows hot at each position) from
    its target one-way marginal, averaged over the spans that have one, plus (given the
    sample's ``joint (P, P)`` shares and the target ``pairs``) that of every two spans'
    joint shares from their two-way marginal, averaged over the pairs of spans. 0 for a
    sample that matches every target; at most 2."""
    seg = index.soft_segment
    per_span = target.new_zeros(index.n_segments).index_add(0, seg, (shares - target).abs())
    mass = target.new_zeros(index.n_segments).index_add(0, seg, target)
    has = mass > 0
    gap = 0.5 * (per_span * has).sum() / has.sum().clamp_min(1)
    if joint is not None and pairs is not None:
        cells = ((joint - pairs).abs() * between_spans(index)).sum()
        gap = gap + 0.5 * cells / pair_blocks(index)
    return gap
