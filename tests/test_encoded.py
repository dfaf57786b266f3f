"""The compact encoded table, pooled rare categories, segment softmax and the memory
estimate: the pieces that let large and wide tables train in bounded memory."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tabgan import TabGAN, TableTransformer
from tabgan.encoded import DenseRows, EncodedTable
from tabgan.errors import ConditionError, MetadataError
from tabgan.memory import MemoryWarning, estimate_training_memory
from tabgan.model import SpanLayout, conditional_loss, segment_softmax
from tabgan.sampler import ConditionalSampler
from tabgan.transform import OTHER
from tests.strategies import tables

PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _zipf_frame(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    city = rng.zipf(1.6, n) % 2000
    return pd.DataFrame({
        "city": [f"c{c}" for c in city],
        "x": rng.normal(size=n),
        "g": rng.choice(["a", "b", None], n),
    })


# ---------------------------------------------------------------------- EncodedTable
@PROPERTY
@given(table=tables(max_rows=30))
def test_encode_expands_to_exactly_the_dense_transform(table):
    tt = TableTransformer(random_state=0).fit(table.frame, table.metadata)
    encoded = tt.encode(table.frame)
    dense = TableTransformer(random_state=0).fit(table.frame, table.metadata).transform(
        table.frame)
    assert len(encoded) == len(table.frame)
    assert torch.equal(encoded.dense(), dense)
    # every softmax span has exactly one hot entry, at the stored position
    spans = [s for s in tt.spans_ if s.activation == "softmax"]
    assert encoded.slots.shape[1] == len(spans)
    rows = torch.arange(len(encoded))
    for j in range(len(spans)):
        assert torch.all(dense[rows, encoded.slots[:, j].long()] == 1.0)
    assert torch.allclose(encoded.column_means()[encoded.slots.long().unique()],
                          dense.mean(0)[encoded.slots.long().unique()], atol=1e-6)


def test_encoded_rows_and_codes_match_the_dense_matrix(mixed_frame):
    tt = TableTransformer(random_state=0).fit(mixed_frame)
    encoded = tt.encode(mixed_frame)
    dense = encoded.dense()
    rows = torch.tensor([5, 0, 5, 119])
    assert torch.equal(encoded.dense(rows), dense[rows])
    for info in tt.discrete_:
        expect = dense[:, info.data_offset : info.data_offset + info.n_categories].argmax(1)
        assert torch.equal(encoded.codes(info.data_offset, info.n_categories), expect)
        assert torch.equal(DenseRows(dense).codes(info.data_offset, info.n_categories), expect)
    assert encoded.nbytes < DenseRows(dense).nbytes / 3


def test_sampler_reads_compact_and_dense_tables_alike(mixed_frame):
    tt = TableTransformer(random_state=0).fit(mixed_frame)
    encoded = tt.encode(mixed_frame)
    discrete = [(d.data_offset, d.n_categories) for d in tt.discrete_]
    compact = ConditionalSampler.from_data(encoded, discrete)
    dense = ConditionalSampler.from_data(encoded.dense(), discrete)
    assert torch.equal(compact.counts, dense.counts)
    assert torch.equal(compact.codes.long(), dense.codes.long())
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    cond = compact.train_condition(64, g1)
    cond2 = dense.train_condition(64, g2)
    assert torch.equal(compact.real_batch(cond, 64, g1), dense.real_batch(cond2, 64, g2))


# ---------------------------------------------------------------------- segment softmax
@PROPERTY
@given(widths=st.lists(st.integers(1, 9), min_size=1, max_size=6), seed=st.integers(0, 10**6))
def test_segment_softmax_equals_a_softmax_per_span(widths, seed):
    spans = [(w, "softmax") for w in widths]
    layout = SpanLayout.build(spans, [])
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
    spans = [(3000, "softmax")] + [(1, "tanh"), (3, "softmax")] * 20
    layout = SpanLayout.build(spans, [(0, 3000)])
    assert layout.soft_index.numel() == 3000 + 60
    raw = torch.randn(4, layout.dim, requires_grad=True)
    loss = conditional_loss(raw, layout, torch.zeros(4, dtype=torch.long),
                            torch.tensor([0, 5, 2999, 7]))
    expect = torch.nn.functional.cross_entropy(raw[:, :3000], torch.tensor([0, 5, 2999, 7]))
    assert torch.allclose(loss, expect, atol=1e-5)
    loss.backward()
    assert raw.grad[:, 3000:].abs().sum() == 0


# ---------------------------------------------------------------------- pooled categories
def test_max_categories_pools_the_rarest_and_restores_them_by_frequency():
    df = _zipf_frame()
    tt = TableTransformer(max_categories=20, random_state=0).fit(df)
    cats = tt.categories("city")
    assert len(cats) == 20 and cats[-1] is OTHER
    counts = df["city"].value_counts()
    assert set(cats[:-1]) == set(counts.index[:19])  # the 19 most frequent are kept
    members, weights = tt.pooled_categories("city")
    assert set(members) == set(counts.index[19:])
    assert np.isclose(sum(weights), 1.0)
    # kept categories round-trip exactly; pooled ones come back as pooled ones
    back = tt.inverse_transform(tt.transform(df), random_state=1)
    kept = df["city"].isin(cats[:-1])
    assert (back["city"][kept] == df["city"][kept]).all()
    assert back["city"][~kept].isin(members).all()
    # ...in proportion to their frequencies
    big = tt.inverse_transform(np.tile(tt.transform(df)[~kept.to_numpy()][:1], (20000, 1)),
                               random_state=2)["city"].value_counts(normalize=True)
    top = counts.index[19]
    assert abs(big[top] - weights[members.index(top)]) < 0.02
    # nulls of other columns are untouched; the state survives JSON
    state = json.loads(json.dumps(tt.state_dict()))
    again = TableTransformer().load_state_dict(state)
    assert again.categories("city")[-1] is OTHER
    assert again.pooled_categories("city") == (members, weights)
    assert torch.equal(again.encode(df).slots[:, 0], tt.encode(df).slots[:, 0])  # city


def test_max_categories_leaves_narrow_columns_alone_and_checks_its_value(mixed_frame):
    plain = TableTransformer(random_state=0).fit(mixed_frame)
    pooled = TableTransformer(max_categories=3, random_state=0).fit(mixed_frame)
    # three categories (a null slot is not one): nothing to pool
    assert pooled.categories("size") == plain.categories("size")
    assert pooled.categories("group") == plain.categories("group")
    two = TableTransformer(max_categories=2, random_state=0).fit(mixed_frame)
    assert two.categories("group") == ["red", OTHER, None]  # the null slot is never pooled
    assert set(two.pooled_categories("group")[0]) == {"green", "blue"}
    with pytest.raises(MetadataError, match="max_categories"):
        TableTransformer(max_categories=1).fit(mixed_frame)


def test_a_high_cardinality_column_trains_narrow_and_conditions_on_pooled_values():
    df = _zipf_frame(2000)
    model = TabGAN(epochs=2, batch_size=200, max_categories=30, verbose=False,
                   random_state=0).fit(df)
    assert model.transformer_.output_dim_ < 60
    out = model.sample(300)
    assert out["city"].isin(set(df["city"])).all()
    rare = df["city"].value_counts().index[45]  # a pooled value
    hit = model.sample(10, conditions={"city": rare})
    assert (hit["city"] == rare).all()
    with pytest.raises(ConditionError, match="in all"):
        model.sample(5, conditions={"city": "nowhere"})


def test_private_fit_pools_by_the_noisy_counts():
    df = _zipf_frame(4000)
    model = TabGAN(epochs=1, batch_size=400, max_categories=4, epsilon=5.0, verbose=False,
                   random_state=0).fit(df)
    cats = model.transformer_.categories("city")
    released = len(model.transformer_.pooled_categories("city")[0]) + 3
    assert released > 4  # more categories were released than slots allowed
    assert cats[:3] == ["c1", "c2", "c3"] and cats[3] is OTHER  # the noisy top 3, pooled rest
    assert model.sample(50)["city"].notna().any()


# ---------------------------------------------------------------------- memory
def test_memory_estimate_counts_the_real_parameters_and_data(monkeypatch, mixed_frame,
                                                              tiny_model_params):
    import tabgan.train as train

    captured = {}
    original = train.GANTrainer.__init__

    def capture(self, *args, **kwargs):
        original(self, *args, **kwargs)
        captured["trainer"] = self

    monkeypatch.setattr(train.GANTrainer, "__init__", capture)
    model = TabGAN(**tiny_model_params).fit(mixed_frame)
    est = model.memory_estimate_
    trainer = captured["trainer"]
    params = sum(p.numel() for m in (trainer.generator, trainer.critic)
                 for p in m.parameters())
    buffers = sum(b.numel() for b in trainer.generator.buffers() if b.dtype.is_floating_point)
    average = sum(t.numel() for t in [*trainer.ema_generator.parameters(),
                                      *trainer.ema_generator.buffers()]
                  if t.dtype.is_floating_point)
    # weights, grads and two Adam moments, float32; batch-norm statistics once; the
    # generator's weight average
    assert est.networks == 16 * params + 4 * buffers + 4 * average
    sampler = trainer.sampler
    index = sampler.codes.nbytes + sampler._rows.nbytes
    assert est.data == sampler.data.nbytes + index
    assert est.total == est.data + est.networks + est.step
    assert est.data_dim == model.transformer_.output_dim_


def test_memory_estimate_grows_with_categories_and_warns_past_free_memory(monkeypatch):
    df = _zipf_frame(2000)
    from tabgan.model import GANConfig

    wide = estimate_training_memory(TableTransformer().fit(df), 10**6, GANConfig())
    narrow = estimate_training_memory(TableTransformer(max_categories=20).fit(df), 10**6,
                                      GANConfig())
    assert wide.networks > 3 * narrow.networks
    assert wide.widest_column[0] == "city"

    monkeypatch.setattr("tabgan.memory.available_memory", lambda device: 1024)
    with pytest.warns(MemoryWarning, match="max_categories"):
        TabGAN(epochs=1, batch_size=200, verbose=False, random_state=0).fit(df)
    with warnings.catch_warnings():
        warnings.simplefilter("error", MemoryWarning)
        monkeypatch.setattr("tabgan.memory.available_memory", lambda device: None)
        TabGAN(epochs=1, batch_size=200, verbose=False, random_state=0).fit(df)


def test_encoded_table_round_trips_devices_and_empty_tables():
    table = EncodedTable.empty(0, [0], [1], 4)
    assert table.dense().shape == (0, 4)
    assert table.to("cpu").dim == 4
    assert table.column_means().shape == (4,)
