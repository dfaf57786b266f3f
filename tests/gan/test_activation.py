"""Segment softmax and the condition loss over flat, unpadded spans."""

from __future__ import annotations

import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tabgan.encoding.layout import TableLayout
from tabgan.gan.activation import segment_softmax
from tabgan.gan.model import conditional_loss

PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(widths=st.lists(st.integers(1, 9), min_size=1, max_size=6), seed=st.integers(0, 10**6))
def test_segment_softmax_equals_a_softmax_per_span(widths, seed):
    layout = TableLayout.build(
        [(f"c{i}", "categorical", [(w, "softmax")]) for i, w in enumerate(widths)]).index()
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(7, layout.dim, generator=g) * 5
    soft, lse = segment_softmax(x[:, layout.soft_index], layout.soft_segment, layout.n_segments)
    start = 0
    for i, w in enumerate(widths):
        block = x[:, start : start + w]
        assert torch.allclose(soft[:, start : start + w], torch.softmax(block, 1), atol=1e-6)
        assert torch.allclose(lse[:, i], torch.logsumexp(block, 1), atol=1e-5)
        start += w


def test_a_wide_column_costs_its_own_width_only():
    # one 3000-wide span and 20 narrow ones: no (spans x widest) padding anywhere
    columns = [("wide", "categorical", [(3000, "softmax")])]
    columns += [(f"x{i}", "numeric", [(1, "tanh"), (3, "softmax")]) for i in range(20)]
    layout = TableLayout.build(columns).index()
    assert layout.soft_index.numel() == 3000 + 60
    raw = torch.randn(4, layout.dim, requires_grad=True)
    loss = conditional_loss(raw, layout, torch.zeros(4, dtype=torch.long),
                            torch.tensor([0, 5, 2999, 7]))
    expect = torch.nn.functional.cross_entropy(raw[:, :3000], torch.tensor([0, 5, 2999, 7]))
    assert torch.allclose(loss, expect, atol=1e-5)
    loss.backward()
    assert raw.grad[:, 3000:].abs().sum() == 0
