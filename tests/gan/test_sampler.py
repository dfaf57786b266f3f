import numpy as np
import pytest
import torch

from tabgan.encoding.layout import TableLayout
from tabgan.gan.sampler import ConditionalSampler


def _one_hot_table(codes_per_column: list[np.ndarray], sizes: list[int]) -> torch.Tensor:
    """A transformed-looking matrix: a numeric alpha column, then one-hot spans."""
    n = len(codes_per_column[0])
    blocks = [torch.rand(n, 1)]
    for codes, size in zip(codes_per_column, sizes, strict=True):
        block = torch.zeros(n, size)
        block[torch.arange(n), torch.as_tensor(codes)] = 1.0
        blocks.append(block)
    return torch.cat(blocks, dim=1)


def _layout(sizes, numeric: bool = True) -> TableLayout:
    """A numeric alpha column (when ``numeric``), then one categorical column per size."""
    columns = [("x", "numeric", [(1, "tanh")])] if numeric else []
    columns += [(f"c{i}", "categorical", [(size, "softmax")]) for i, size in enumerate(sizes)]
    return TableLayout.build(columns)


@pytest.fixture
def table():
    rng = np.random.default_rng(1)
    sizes = [3, 5, 2]
    codes = [
        rng.choice(3, 2000, p=[0.7, 0.25, 0.05]),
        rng.choice(5, 2000, p=[0.4, 0.3, 0.2, 0.09, 0.01]),
        rng.choice(2, 2000, p=[0.5, 0.5]),
    ]
    return _one_hot_table(codes, sizes), codes, sizes


def test_real_rows_hold_the_conditioned_category_in_every_column(table):
    data, codes, sizes = table
    layout = _layout(sizes)
    sampler = ConditionalSampler.from_data(data, layout)
    g = torch.Generator().manual_seed(0)
    condition = sampler.train_condition(3000, g)
    rows = sampler.rows_for(condition.column, condition.category, g)
    for col in range(len(sizes)):
        chosen = condition.column == col
        assert chosen.sum() > 500
        got = torch.as_tensor(codes[col])[rows[chosen]]
        assert torch.equal(got, condition.category[chosen])
    real = sampler.real_batch(condition, 3000, g)
    for col, column in enumerate(layout.discrete):
        chosen = condition.column == col
        block = real[chosen, column.start : column.stop]
        assert torch.equal(block.argmax(1), condition.category[chosen])


def test_condition_vector_sets_the_right_index_for_every_column(table):
    data, _, sizes = table
    sampler = ConditionalSampler.from_data(data, _layout(sizes))
    offsets = np.cumsum([0] + sizes[:-1])
    for col, size in enumerate(sizes):
        for cat in range(size):
            vec = sampler.fixed_condition(4, col, cat).vector
            expected = torch.zeros(sum(sizes))
            expected[offsets[col] + cat] = 1.0
            assert torch.equal(vec, expected.expand(4, -1))


def test_training_categories_follow_log_frequency(table):
    data, codes, sizes = table
    sampler = ConditionalSampler.from_data(data, _layout(sizes))
    g = torch.Generator().manual_seed(3)
    n = 300_000
    condition = sampler.train_condition(n, g)
    col_share = torch.bincount(condition.column, minlength=3).float() / n
    assert torch.allclose(col_share, torch.full((3,), 1 / 3), atol=0.01)
    chosen = condition.column == 1
    freq = torch.bincount(condition.category[chosen], minlength=5).float() / chosen.sum()
    counts = np.bincount(codes[1], minlength=5)
    expected = np.log1p(counts) / np.log1p(counts).sum()
    assert np.allclose(freq.numpy(), expected, atol=0.01)


def test_generation_categories_follow_plain_frequency(table):
    data, codes, sizes = table
    sampler = ConditionalSampler.from_data(data, _layout(sizes))
    condition = sampler.sample_condition(300_000, torch.Generator().manual_seed(4))
    chosen = condition.column == 0
    freq = torch.bincount(condition.category[chosen], minlength=3).float() / chosen.sum()
    expected = np.bincount(codes[0], minlength=3) / len(codes[0])
    assert np.allclose(freq.numpy(), expected, atol=0.01)


def test_zero_count_category_is_never_drawn():
    counts = torch.tensor([[5.0, 0.0, 3.0, 0.0]])
    sampler = ConditionalSampler(counts, _layout([4], numeric=False))
    g = torch.Generator().manual_seed(0)
    for draw in (sampler.train_condition, sampler.sample_condition):
        cats = draw(50_000, g).category
        assert set(cats.unique().tolist()) == {0, 2}


def test_no_categorical_column_gives_no_condition_and_uniform_rows():
    data = torch.arange(10.0).reshape(10, 1)
    sampler = ConditionalSampler.from_data(data, _layout([]))
    g = torch.Generator().manual_seed(0)
    assert sampler.train_condition(8, g) is None
    rows = sampler.real_batch(None, 5000, g)
    assert set(rows[:, 0].tolist()) == set(range(10))


def test_same_generator_seed_gives_same_batches(table):
    data, _, sizes = table
    sampler = ConditionalSampler.from_data(data, _layout(sizes))
    a = sampler.train_condition(100, torch.Generator().manual_seed(7))
    b = sampler.train_condition(100, torch.Generator().manual_seed(7))
    assert torch.equal(a.vector, b.vector)


def test_importance_weights_turn_training_batches_into_the_tables_marginals(table):
    """Rows drawn by log-frequency over-hold rare categories, in the conditioned column and
    (through the correlations) in the others; weighted by ``condition.weight`` their means
    are the table's plain marginals in every column."""
    rng = np.random.default_rng(2)
    first = rng.choice(3, 4000, p=[0.8, 0.15, 0.05])
    second = np.where(rng.random(4000) < 0.9, first, rng.choice(3, 4000))  # follows first
    data = _one_hot_table([first, second], [3, 3])
    layout = _layout([3, 3])
    sampler = ConditionalSampler.from_data(data, layout)
    g = torch.Generator().manual_seed(0)
    condition = sampler.train_condition(200_000, g)
    real = sampler.real_batch(condition, 200_000, g)
    weight = condition.weight
    assert weight is not None and weight.shape == (200_000,)
    for column, codes in zip(layout.discrete, (first, second), strict=True):
        block = real[:, column.start : column.stop]
        truth = torch.as_tensor(np.bincount(codes, minlength=3) / len(codes), dtype=torch.float)
        plain = block.mean(dim=0)
        weighted = weight @ block / weight.sum()
        assert (plain - truth).abs().max() > 0.1  # the draw is far from the table ...
        torch.testing.assert_close(weighted, truth, atol=0.01, rtol=0)  # ... the weights not


def test_without_log_frequency_every_weight_is_one(table):
    data, _, sizes = table
    sampler = ConditionalSampler.from_data(data, _layout(sizes), log_frequency=False)
    assert sampler.train_condition(100, torch.Generator().manual_seed(0)).weight is None
