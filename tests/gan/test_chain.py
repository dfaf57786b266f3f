"""The output chain: each group of spans drawn given the draws of the groups before it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tabgan import TabGAN
from tabgan.encoding.layout import TableLayout
from tabgan.gan.activation import segment_softmax
from tabgan.gan.chain import GAIN, OutputChain, chain_groups, chain_size

PROPERTY = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])

columns = st.lists(
    st.one_of(
        st.tuples(st.just("categorical"), st.integers(1, 6)),
        st.tuples(st.just("numeric"), st.integers(1, 6)),
    ),
    min_size=1, max_size=20,
)


def _layout(spec):
    return TableLayout.build([
        (f"c{i}", kind, [(width, "softmax")] if kind == "categorical"
         else [(1, "tanh"), (width, "softmax")])
        for i, (kind, width) in enumerate(spec)
    ])


@PROPERTY
@given(spec=columns, max_groups=st.integers(1, 16))
def test_groups_cover_every_span_whole_and_in_order(spec, max_groups):
    index = _layout(spec).index()
    bounds = chain_groups(index, max_groups)
    assert bounds[0][0] == 0 and bounds[-1][1] == len(index.soft_index)
    assert all(a[1] == b[0] for a, b in zip(bounds[:-1], bounds[1:], strict=True))
    assert len(bounds) == min(max_groups, index.n_segments)
    segment = index.soft_segment
    for a, _ in bounds:  # no span is cut between two groups
        assert a == 0 or segment[a] != segment[a - 1]
    chain = OutputChain(index, max_groups)
    assert sum(p.numel() for p in chain.parameters()) == chain_size(index, max_groups)


@PROPERTY
@given(spec=columns, seed=st.integers(0, 10**6))
def test_an_untrained_chain_is_the_plain_activation(spec, seed):
    index = _layout(spec).index()
    raw = torch.randn(9, index.dim, generator=torch.Generator().manual_seed(seed)) * 3
    chain = OutputChain(index)
    zero = torch.zeros_like  # no Gumbel noise: the draws are the softmax itself
    chained_raw, out = chain(raw, 0.2, zero)
    soft = index.soft_index
    expect = torch.cat([torch.tanh(raw[:, index.tanh_index]),
                        _segment_softmax(raw[:, soft] / 0.2, index)], 1)[:, index.inverse_perm]
    assert torch.allclose(out, expect, atol=1e-5)
    assert torch.equal(chained_raw, raw)
    scores = chain.sample_scores(raw.clone(), zero)
    assert torch.allclose(scores[:, soft], raw[:, soft])
    assert torch.allclose(scores[:, index.tanh_index], torch.tanh(raw[:, index.tanh_index]))


def _segment_softmax(x, index):
    return segment_softmax(x, index.soft_segment, index.n_segments)[0]


def test_a_later_span_follows_the_draw_of_an_earlier_one():
    # two columns of four categories; the chain's weight makes the second copy the first
    index = _layout([("categorical", 4), ("categorical", 4)]).index()
    chain = OutputChain(index)
    with torch.no_grad():
        chain.weights[0].copy_(torch.eye(4) * 50.0 / GAIN)
    g = torch.Generator().manual_seed(0)
    raw = torch.zeros(2000, index.dim)  # both spans uniform on their own
    gumbel = lambda like: -torch.log(-torch.log(torch.rand(like.shape, generator=g)))  # noqa: E731
    scores = chain.sample_scores(raw, gumbel)
    first, second = scores[:, :4].argmax(1), scores[:, 4:].argmax(1)
    assert torch.equal(first, second)
    assert len(first.unique()) == 4  # the first is still drawn, not fixed
    _, out = chain(raw, 0.2, gumbel)  # training: the soft draws agree too
    assert (out[:, :4].argmax(1) == out[:, 4:].argmax(1)).float().mean() > 0.99


def _dependent_frame(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.choice(list("abcdefgh"), n)
    code = pd.Series(a).map({k: 10 * i for i, k in enumerate("abcdefgh")}).to_numpy()
    return pd.DataFrame({"a": a, "code": code, "x": rng.normal(size=n)})


def test_the_chain_learns_a_column_that_is_a_function_of_another():
    frame = _dependent_frame()
    mapping = {k: 10 * i for i, k in enumerate("abcdefgh")}
    agree = {}
    for chain in (False, True):
        model = TabGAN(epochs=40, batch_size=200, output_chain=chain, verbose=False,
                       random_state=0, sample_pool=1).fit(frame)  # the generator's own draws
        assert (model.generator_.chain is not None) is chain
        out = model.sample(4000, random_state=1)
        agree[chain] = float((out["code"] == out["a"].map(mapping)).mean())
    # 600 steps: without the chain the two columns agree in about 20% of rows (nearly
    # independent draws of eight categories), with it in about 58%
    assert agree[True] > agree[False] + 0.2, agree


def test_a_chained_model_saves_and_samples_the_same_rows(tmp_path):
    model = TabGAN(epochs=2, batch_size=200, verbose=False,
                   random_state=0).fit(_dependent_frame(600))
    path = tmp_path / "chain.tabgan"
    model.save(path)
    loaded = TabGAN.load(path)
    assert loaded.generator_.chain is not None
    pd.testing.assert_frame_equal(loaded.sample(200, random_state=3),
                                  model.sample(200, random_state=3))
