"""``TableLayout``: one description of the encoded row, and every view of it agreeing."""

from __future__ import annotations

import json

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from tabgan import TableTransformer
from tabgan.encoding.layout import SOFTMAX, TANH, TableLayout

_COLUMN = st.one_of(
    st.tuples(st.just("numeric"), st.integers(1, 6)),  # tanh + that many modes
    st.tuples(st.just("categorical"), st.integers(1, 9)),
    st.tuples(st.just("id"), st.just(0)),
)


def _build(columns) -> TableLayout:
    spec = []
    for i, (kind, width) in enumerate(columns):
        spans = {"numeric": [(1, TANH), (width, SOFTMAX)], "categorical": [(width, SOFTMAX)],
                 "id": []}[kind]
        spec.append((f"c{i}", kind, spans))
    return TableLayout.build(spec)


@settings(max_examples=80, deadline=None)
@given(columns=st.lists(_COLUMN, min_size=1, max_size=8))
def test_every_view_of_the_layout_agrees(columns):
    layout = _build(columns)
    # spans tile the row, columns in order, ids take no place
    position = 0
    for column in layout.columns:
        assert column.start == position
        for span in column.spans:
            assert span.start == position
            position += span.dim
        assert column.stop == position and column.slice == slice(column.start, column.stop)
    assert layout.dim == position
    # the condition vector: one slot per category, in column order
    cond = 0
    for column in layout.discrete:
        assert column.cond_start == cond
        cond += column.n_categories
    assert layout.cond_dim == cond
    # the index tensors say the same as the spans
    index = layout.index()
    assert index.dim == layout.dim
    assert index.tanh_index.tolist() == list(layout.alpha_positions)
    assert index.soft_index.tolist() == list(layout.softmax_positions)
    assert index.n_segments == len(layout.softmax_starts)
    perm = torch.cat([index.tanh_index, index.soft_index])
    assert torch.equal(perm[index.inverse_perm], torch.arange(layout.dim))
    starts = [s.start for s in layout.spans if s.activation == SOFTMAX]
    assert index.disc_start.tolist() == [c.start for c in layout.discrete]
    assert [starts[i] for i in index.disc_segment.tolist()] == [c.start for c in layout.discrete]
    # and the JSON form rebuilds the same layout
    assert TableLayout.from_dict(json.loads(json.dumps(layout.to_dict()))) == layout


@settings(max_examples=40, deadline=None)
@given(columns=st.lists(_COLUMN, min_size=1, max_size=6), seed=st.integers(0, 1000))
def test_span_vectors_land_on_their_positions(columns, seed):
    layout = _build(columns)
    soft = [s for s in layout.spans if s.activation == SOFTMAX]
    g = torch.Generator().manual_seed(seed)
    per_span = [torch.rand(s.dim, generator=g) + 0.1 if i % 2 == 0 else None
                for i, s in enumerate(soft)]
    flat = layout.position_marginals(per_span)
    assert flat.shape == (len(layout.softmax_positions),)
    offset = 0
    for span, vector in zip(soft, per_span, strict=True):
        block = flat[offset : offset + span.dim]
        if vector is None:
            assert torch.all(block == 0)
        else:
            assert torch.allclose(block, vector / vector.sum())
        offset += span.dim
    counts = [torch.arange(s.dim, dtype=torch.float32) + 1 for s in soft]
    rows = layout.discrete_rows(counts)
    for i, column in enumerate(layout.discrete):
        assert torch.equal(rows[i, : column.n_categories],
                           torch.arange(column.n_categories, dtype=torch.float32) + 1)
        assert torch.all(rows[i, column.n_categories :] == 0)


def test_the_transformer_builds_the_layout_of_its_columns(mixed_frame):
    tt = TableTransformer(random_state=0).fit(mixed_frame)
    layout = tt.layout_
    assert [c.name for c in layout.columns] == list(mixed_frame.columns)
    kinds = {c.name: c.kind for c in layout.columns}
    assert kinds["amount"] == "numeric" and kinds["group"] == "categorical"
    assert layout.column("when").spans[0].activation == TANH
    assert layout.column("group").n_categories == len(tt.categories("group"))
    assert layout.discrete_index("size") == [c.name for c in layout.discrete].index("size")
    assert tt.transform(mixed_frame).shape == (len(mixed_frame), layout.dim)
    assert tt.column_slice("flag") == layout.column("flag").slice
    with pytest.raises(KeyError):
        layout.column("nope")


def test_bad_layouts_are_refused():
    with pytest.raises(ValueError, match="kind"):
        TableLayout.build([("a", "text", [])])
    with pytest.raises(ValueError, match="activation"):
        TableLayout.build([("a", "numeric", [(1, "relu")])])
    with pytest.raises(ValueError, match="one softmax span"):
        TableLayout.build([("a", "categorical", [(1, TANH)])])
