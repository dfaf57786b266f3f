"""Pooling of rare categories (``max_categories``): one slot for the rare ones, restored
by their frequencies, noisy ones under DP."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from tabgan import TabGAN, TableTransformer
from tabgan.encoding.categorical import OTHER
from tabgan.errors import ConditionError, MetadataError
from tests.zipf import zipf_frame as _zipf_frame


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
    assert model.layout_.column("city").dim == 30  # 2,000 cities in 30 slots
    out = model.sample(300)
    assert out["city"].isin(set(df["city"])).all()
    rare = df["city"].value_counts().index[45]  # a pooled value
    hit = model.sample(10, conditions={"city": rare})
    assert (hit["city"] == rare).all()
    with pytest.raises(ConditionError, match="in all"):
        model.sample(5, conditions={"city": "nowhere"})


def test_private_fit_pools_by_the_noisy_counts():
    df = _zipf_frame(4000)
    # the noise is secret (not seeded): an epsilon at which the top 5 clear the threshold
    model = TabGAN(epochs=1, batch_size=400, max_categories=4, epsilon=10.0, verbose=False,
                   random_state=0).fit(df)
    cats = model.transformer_.categories("city")
    released = len(model.transformer_.pooled_categories("city")[0]) + 3
    assert released > 4  # more categories were released than slots allowed
    assert cats[:3] == ["c1", "c2", "c3"] and cats[3] is OTHER  # the noisy top 3, pooled rest
    assert model.sample(50)["city"].notna().any()
