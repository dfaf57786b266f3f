"""Raking at sample time: the span codes against a hand argmax, the capped weights and the
systematic draw against their invariants, raking that brings a pool onto reachable
targets, and a fitted model whose raked sample lies closer to the training table's
marginals than its plain one; the targets through the model file, files without them,
conditional sampling left as it was, and the released targets under DP."""

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import tabgan.gan.raking as raking
from tabgan import TabGAN, sampling
from tabgan.encoding.layout import SpanIndex
from tabgan.errors import ParameterError
from tabgan.gan.raking import RakedPool, Targets, cap, rake, span_codes, systematic
from tabgan.serialize import checksums
from tests.gan.test_train import capture_trainer


def _index(sizes, tanh=0) -> SpanIndex:
    """A SpanIndex of ``tanh`` alpha positions followed by softmax spans of ``sizes``."""
    soft = list(range(tanh, tanh + sum(sizes)))
    segment = [s for s, k in enumerate(sizes) for _ in range(k)]
    dim = tanh + sum(sizes)
    return SpanIndex(
        tanh_index=torch.arange(tanh), soft_index=torch.tensor(soft, dtype=torch.long),
        soft_segment=torch.tensor(segment, dtype=torch.long), inverse_perm=torch.arange(dim),
        disc_segment=torch.zeros(0, dtype=torch.long),
        disc_start=torch.zeros(0, dtype=torch.long), dim=dim, n_segments=len(sizes))


def _weights(draw, rows):
    values = draw(st.lists(st.floats(0.0, 1.0), min_size=rows, max_size=rows))
    w = torch.tensor(values, dtype=torch.float64) ** 4 + 1e-9
    return w / w.sum()


@given(st.data())
@settings(max_examples=60, deadline=None)
def test_cap_keeps_every_weight_at_most_one_nth_and_the_order(data):
    rows = data.draw(st.integers(1, 60))
    n = data.draw(st.integers(1, rows))
    w = _weights(data.draw, rows)
    out = cap(w, n)
    assert torch.isclose(out.sum(), torch.tensor(1.0, dtype=torch.float64))
    assert float(out.max()) <= (1 + 1e-9) / n
    assert (out >= 0).all()
    order = torch.argsort(w)
    assert (out[order].diff() >= -1e-12).all()  # a larger weight never ends up smaller
    # the weights under the cut keep their ratios
    low = out < out.max() - 1e-12
    if low.sum() >= 2:
        ratio = out[low] / w[low]
        assert torch.allclose(ratio, ratio[0].expand_as(ratio))


@given(st.data())
@settings(max_examples=60, deadline=None)
def test_systematic_draws_n_rows_each_within_one_of_its_expected_count(data):
    rows = data.draw(st.integers(1, 60))
    n = data.draw(st.integers(0, 80))
    w = _weights(data.draw, rows)
    rng = torch.Generator().manual_seed(data.draw(st.integers(0, 2**31)))
    index = systematic(w, n, rng)
    assert len(index) == n
    counts = torch.bincount(index, minlength=rows).double()
    assert ((counts - n * w).abs() < 1 + 1e-9).all()
    if n and n <= rows:
        assert torch.bincount(systematic(cap(w, n), n, rng), minlength=rows).max() <= 1


@given(st.lists(st.integers(1, 5), min_size=1, max_size=4), st.integers(0, 3),
       st.integers(1, 30), st.integers(0, 2**31))
@settings(max_examples=40, deadline=None)
def test_span_codes_are_the_argmax_of_every_span(sizes, tanh, rows, seed):
    index = _index(sizes, tanh)
    scores = torch.randn(rows, index.dim, generator=torch.Generator().manual_seed(seed))
    codes = span_codes(scores, index)
    start = 0
    for s, k in enumerate(sizes):
        block = scores[:, tanh + start : tanh + start + k]
        assert torch.equal(codes[:, s], block.argmax(dim=1) + start)
        start += k


def _shares(local, width, weights=None):
    counts = torch.bincount(local, weights=weights, minlength=width).double()
    return counts / counts.sum()


@given(st.lists(st.integers(2, 4), min_size=2, max_size=3), st.integers(0, 2**31))
@settings(max_examples=25, deadline=None)
def test_raking_brings_a_pool_onto_targets_it_can_reach(sizes, seed):
    """A pool of every cell drawn uniformly, and targets from a random joint table: the
    raked weights' one- and two-way shares come within a point of the targets, while the
    pool's own lie far from them."""
    rng = torch.Generator().manual_seed(seed)
    index = _index(sizes)
    rows, keep = 40_000, 2000
    local = torch.stack([torch.randint(k, (rows,), generator=rng) for k in sizes], dim=1)
    starts = np.cumsum([0, *sizes[:-1]])
    codes = local + torch.tensor(starts)
    # a joint table of all spans, sharply uneven, and its one- and two-way marginals
    joint = torch.rand(*sizes, generator=rng, dtype=torch.float64) ** 6 + 0.02
    joint /= joint.sum()
    positions = sum(sizes)
    marginals = torch.zeros(positions, dtype=torch.float64)
    pairs = torch.zeros(positions, positions, dtype=torch.float64)
    for a, ka in enumerate(sizes):
        rest = tuple(d for d in range(len(sizes)) if d != a)
        marginals[starts[a] : starts[a] + ka] = joint.sum(dim=rest) if rest else joint
        for b in range(a + 1, len(sizes)):
            other = tuple(d for d in range(len(sizes)) if d not in (a, b))
            block = joint.sum(dim=other) if other else joint
            pairs[starts[a] : starts[a] + ka, starts[b] : starts[b] + sizes[b]] = block
            pairs[starts[b] : starts[b] + sizes[b], starts[a] : starts[a] + ka] = block.T
    pool = RakedPool(codes, index, Targets(marginals.float(), pairs.float()))
    w = rake(pool, keep, sweeps=30, tolerance=1e-5)
    assert float(w.max()) <= (1 + 1e-9) / keep
    far = near = 0.0
    for a, ka in enumerate(sizes):
        target = marginals[starts[a] : starts[a] + ka]
        near = max(near, 0.5 * float((_shares(local[:, a], ka, w) - target).abs().sum()))
        far = max(far, 0.5 * float((_shares(local[:, a], ka) - target).abs().sum()))
        for b in range(a + 1, len(sizes)):
            key = local[:, a] * sizes[b] + local[:, b]
            target = pairs[starts[a] : starts[a] + ka,
                           starts[b] : starts[b] + sizes[b]].reshape(-1)
            target = target / target.sum()
            near = max(near, 0.5 * float((_shares(key, ka * sizes[b], w)
                                          - target).abs().sum()))
    assert near < 0.01
    assert far > 0.05 or near < far


@given(st.lists(st.integers(2, 4), min_size=1, max_size=3), st.integers(1, 8),
       st.integers(0, 2**31))
@settings(max_examples=30, deadline=None)
def test_targets_the_pool_cannot_reach_keep_every_kept_row_distinct(sizes, pool, seed):
    """A pool that draws one cell of every span only, against targets that give that cell
    nothing: the weights stay within their bounds, and the rows kept are n distinct ones,
    never a few rows over and over."""
    rng = torch.Generator().manual_seed(seed)
    index = _index(sizes)
    keep = 50
    rows = keep * pool
    local = torch.zeros(rows, len(sizes), dtype=torch.long)
    local[: rows // 10, 0] = 1  # a tenth of the rows in a second cell of the first span
    codes = local + torch.tensor(np.cumsum([0, *sizes[:-1]]))
    marginals = torch.cat([torch.tensor([0.0] + [1.0 / (k - 1)] * (k - 1)) for k in sizes])
    w = rake(RakedPool(codes, index, Targets(marginals, None)), keep)
    assert torch.isclose(w.sum(), torch.tensor(1.0, dtype=torch.float64))
    assert float(w.max()) <= (1 + 1e-9) / keep
    assert float(w.min()) >= raking.FLOOR / rows * 0.5
    kept = systematic(w, keep, rng)
    assert len(kept.unique()) == keep


def test_raking_leaves_a_span_without_target_alone_and_ranks_pairs(monkeypatch):
    """A span whose target is all zero is not raked; beyond MAX_PAIRS pairs, the farthest
    from their targets are the ones kept."""
    index = _index([2, 2, 2])
    rng = torch.Generator().manual_seed(0)
    local = torch.randint(2, (5000, 3), generator=rng)
    codes = local + torch.tensor([0, 2, 4])
    marginals = torch.tensor([0.5, 0.5, 0.0, 0.0, 0.5, 0.5])
    pool = RakedPool(codes, index, Targets(marginals, None))
    assert [s for s, _ in pool.ones] == [0, 2]
    pairs = torch.full((6, 6), 0.25)
    pairs[0, 4] = pairs[4, 0] = 0.7  # the pair (0, 2) lies far from the pool
    pairs[1, 5] = pairs[5, 1] = 0.1
    pairs[0, 5] = pairs[5, 0] = pairs[1, 4] = pairs[4, 1] = 0.1
    pool = RakedPool(codes, index, Targets(torch.full((6,), 0.5), pairs))
    assert [(a, b) for a, b, _ in pool.pairs] == [(0, 1), (0, 2), (1, 2)]
    monkeypatch.setattr(raking, "MAX_PAIRS", 1)
    pool = RakedPool(codes, index, Targets(torch.full((6,), 0.5), pairs))
    assert [(a, b) for a, b, _ in pool.pairs] == [(0, 2)]


# ---------------------------------------------------------------------- a fitted model
def _skewed(n=1500, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a = rng.choice(list("abcd"), n, p=[0.55, 0.3, 0.1, 0.05])
    b = np.where(a == "a", rng.choice(["x", "y"], n, p=[0.9, 0.1]), rng.choice(["x", "y"], n))
    x = np.where(rng.random(n) < 0.7, 0.0, rng.gamma(2.0, 10.0, n)).round(1)
    return pd.DataFrame({"a": a, "b": b, "x": x})


def _gap(real: pd.DataFrame, synthetic: pd.DataFrame) -> float:
    """The largest total variation distance of a one- or two-way category share table."""
    gaps = [0.5 * real[c].value_counts(normalize=True).sub(
        synthetic[c].value_counts(normalize=True), fill_value=0).abs().sum() for c in "ab"]
    joint = pd.crosstab(real.a, real.b, normalize=True).sub(
        pd.crosstab(synthetic.a, synthetic.b, normalize=True), fill_value=0)
    gaps.append(0.5 * joint.abs().to_numpy().sum())
    gaps.append(abs((real.x == 0).mean() - (synthetic.x == 0).mean()))
    return max(gaps)


@pytest.fixture(scope="module")
def skewed_model():
    frame = _skewed()
    model = TabGAN(epochs=2, batch_size=100, embedding_dim=16, generator_dims=(32, 32),
                   critic_dims=(32, 32), verbose=False, random_state=0).fit(frame)
    return frame, model


def test_a_raked_sample_lies_closer_to_the_tables_marginals(skewed_model):
    frame, model = skewed_model
    assert model.sample_pool is None and model._fitted.targets is not None  # 8
    raked = model.sample(1500, random_state=1)
    plain = model.set_params(sample_pool=1).sample(1500, random_state=1)
    model.set_params(sample_pool=None)
    assert len(raked) == 1500 and list(raked.columns) == list(frame.columns)
    assert _gap(frame, raked) < 0.03
    assert _gap(frame, raked) < 0.5 * _gap(frame, plain)


def test_raked_rows_are_rows_the_generator_drew(skewed_model):
    """Raking chooses among drawn rows, it changes no value: every raked row's codes and
    alphas are a row of the pool."""
    _, model = skewed_model
    fitted = model._fitted
    rng = torch.Generator().manual_seed(3)
    out = sampling.raked_matrix(fitted, 200, 4, rng)
    pool = sampling.generate_matrix(fitted, 800, torch.Generator().manual_seed(3))
    index = fitted.activation.layout
    pool_rows = torch.cat([span_codes(pool, index).double(), pool[:, index.tanh_index].double()],
                          dim=1)
    out_rows = torch.cat([span_codes(out, index).double(), out[:, index.tanh_index].double()],
                         dim=1)
    match = (out_rows[:, None, :] == pool_rows[None, :, :]).all(dim=2)
    assert match.any(dim=1).all()
    assert (match.sum(dim=0) <= 1).all()  # and each pool row at most once


def test_conditional_samples_are_not_raked(skewed_model):
    _, model = skewed_model
    raked = model.sample(300, {"a": "d"}, random_state=4)
    plain = model.set_params(sample_pool=1).sample(300, {"a": "d"}, random_state=4)
    model.set_params(sample_pool=None)
    pd.testing.assert_frame_equal(raked, plain)
    assert (raked["a"] == "d").all()


def test_sample_pool_must_be_a_positive_integer(skewed_model):
    frame, model = skewed_model
    with pytest.raises(ParameterError, match="sample_pool must be a positive integer"):
        model.set_params(sample_pool=0).sample(10)
    model.set_params(sample_pool=None)
    with pytest.raises(ParameterError, match="sample_pool must be a positive integer"):
        TabGAN(epochs=1, sample_pool=1.5, verbose=False).fit(frame)


def test_the_targets_travel_through_the_model_file(skewed_model, tmp_path):
    _, model = skewed_model
    path = tmp_path / "m.tabgan"
    model.save(path)
    payload = torch.load(path, weights_only=True)
    assert payload["version"] == 4 and set(payload["targets"]) == {"marginals", "pairs"}
    loaded = TabGAN.load(path)
    assert torch.equal(loaded._fitted.targets.marginals, model._fitted.targets.marginals)
    assert torch.equal(loaded._fitted.targets.pairs, model._fitted.targets.pairs)
    pd.testing.assert_frame_equal(loaded.sample(400, random_state=2),
                                  model.sample(400, random_state=2))


def test_a_file_without_targets_samples_every_row_it_draws(skewed_model, tmp_path):
    """A version 3 file (before the targets) loads and samples as pool 1 does."""
    _, model = skewed_model
    path = tmp_path / "m.tabgan"
    model.save(path)
    payload = torch.load(path, weights_only=True)
    del payload["targets"]
    payload["version"] = 3
    payload["checksums"] = checksums(payload)
    torch.save(payload, path)
    old = TabGAN.load(path)
    assert old._fitted.targets is None
    pd.testing.assert_frame_equal(old.sample(300, random_state=5),
                                  model.set_params(sample_pool=1).sample(300, random_state=5))
    model.set_params(sample_pool=None)


def test_a_damaged_target_is_refused(skewed_model, tmp_path):
    from tabgan.errors import ModelFileError

    _, model = skewed_model
    path = tmp_path / "m.tabgan"
    model.save(path)
    payload = torch.load(path, weights_only=True)
    payload["targets"]["marginals"][0] += 0.5
    torch.save(payload, path)
    with pytest.raises(ModelFileError, match="checksum of targets.marginals"):
        TabGAN.load(path)


def test_a_private_fit_rakes_to_its_released_marginals_only(monkeypatch):
    """Under DP the targets are the trainer's released marginals and pairs, not the
    encoded rows' exact ones."""
    from tests.privacy.test_preprocessing import _frame

    captured = capture_trainer(monkeypatch)
    model = TabGAN(epsilon=3.0, epochs=2, batch_size=100, embedding_dim=16,
                   generator_dims=(32, 32), critic_dims=(32, 32), verbose=False,
                   random_state=0).fit(_frame(300))
    trainer = captured["trainer"]
    targets = model._fitted.targets
    assert torch.equal(targets.marginals, trainer._target.cpu())
    assert targets.pairs is not None and torch.equal(targets.pairs, trainer._pairs.cpu())
    exact = trainer.sampler.data.column_means()[list(model.layout_.softmax_positions)]
    assert not torch.allclose(targets.marginals, exact.cpu(), atol=1e-4)  # noisy
    # by default a private model does not rake (its pairs fall back to independence where
    # the noise hides a cell); asked to, it rakes to the released targets
    assert sampling.resolved_pool(None, 3.0) == 1 and sampling.resolved_pool(None, None) == 8
    pd.testing.assert_frame_equal(model.sample(300, random_state=1),
                                  model.set_params(sample_pool=1).sample(300, random_state=1))
    raked = model.set_params(sample_pool=4).sample(300, random_state=1)
    assert len(raked) == 300 and not raked.equals(model.set_params(sample_pool=1).sample(
        300, random_state=1))
