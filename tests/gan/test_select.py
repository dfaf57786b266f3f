"""The choice of the sampling weights among epochs: the gap against a hand count, the
lowest-gap epoch kept and sampled with, a probe that never moves the fit's randomness,
the choice carried through a checkpoint, and the switch."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import tabgan.gan.select as select
from tabgan import TabGAN
from tabgan.checkpoint import FILE_NAME, read_checkpoint
from tabgan.errors import ParameterError
from tabgan.gan.marginals import marginal_gap
from tabgan.gan.select import EpochSelection
from tests.gan.test_train import capture_trainer
from tests.test_checkpoint import _interrupted, _params, _same_model


def _index(sizes):
    segment = torch.tensor([s for s, k in enumerate(sizes) for _ in range(k)])
    return SimpleNamespace(soft_segment=segment, n_segments=len(sizes))


@st.composite
def _samples(draw):
    sizes = draw(st.lists(st.integers(1, 4), min_size=1, max_size=4))
    n = draw(st.integers(1, 25))
    picks = np.array([[draw(st.integers(0, k - 1)) for k in sizes] for _ in range(n)])
    weights = [np.array(draw(st.lists(st.integers(0, 5), min_size=k, max_size=k)), float)
               for k in sizes]
    return sizes, picks, weights


def _one_hot(sizes, picks):
    starts = np.cumsum([0, *sizes[:-1]])
    hot = np.zeros((len(picks), sum(sizes)))
    for r, row in enumerate(picks):
        hot[r, starts + row] = 1.0
    return hot


@settings(max_examples=60, deadline=None)
@given(_samples(), st.integers(0, 2**31 - 1))
def test_the_gap_is_the_mean_total_variation_of_spans_and_pairs_of_spans(sample, seed):
    sizes, picks, weights = sample
    hot = _one_hot(sizes, picks)
    # a target: a distribution per span (none where its weights are all zero), and a
    # target joint from another set of rows
    target = np.concatenate([w / w.sum() if w.sum() else w for w in weights])
    other = np.random.default_rng(seed).integers(0, sizes, size=(7, len(sizes)))
    other_hot = _one_hot(sizes, other)
    pairs = other_hot.T @ other_hot / len(other)
    starts = np.cumsum([0, *sizes])
    spans = [slice(starts[i], starts[i + 1]) for i in range(len(sizes))]
    shares, joint = hot.mean(0), hot.T @ hot / len(hot)
    one_way = [0.5 * np.abs(shares[s] - target[s]).sum()
               for s, w in zip(spans, weights, strict=True) if w.sum()]
    expected = np.mean(one_way) if one_way else 0.0
    two_way = [0.5 * np.abs(joint[a, b] - pairs[a, b]).sum()
               for i, a in enumerate(spans) for j, b in enumerate(spans) if i != j]
    t = lambda x: torch.tensor(x, dtype=torch.float64)  # noqa: E731
    index = _index(sizes)
    got = marginal_gap(t(shares), t(target), index)
    assert float(got) == pytest.approx(expected, abs=1e-12)
    pairs_off = pairs.copy()
    for s in spans:
        pairs_off[s, s] = 0.0  # the trainer's pair targets hold no cell within a span
    got = marginal_gap(t(shares), t(target), index, t(joint), t(pairs_off))
    assert float(got) == pytest.approx(expected + (np.mean(two_way) if two_way else 0.0),
                                       abs=1e-12)
    # a sample's own statistics as the target: no gap
    assert float(marginal_gap(t(shares), t(shares), index, t(joint), t(joint))) == 0.0


def _planted(monkeypatch, gaps: dict[int, float]) -> None:
    """Every epoch probed, with the gap ``gaps[epoch]``."""
    monkeypatch.setattr(select, "EVERY", 0)
    original = EpochSelection.consider

    def consider(self, generator, activation, *, epoch, **kwargs):
        self.gap = lambda g, a: gaps[epoch]
        return original(self, generator, activation, epoch=epoch, **kwargs)

    monkeypatch.setattr(EpochSelection, "consider", consider)


def _weights_by_epoch(snapshots: dict):
    def keep(model, record):
        snapshots[record.epoch] = {k: v.clone() for k, v in
                                   model.generator_.state_dict().items()}
    return keep


def _equal(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_the_fit_samples_with_the_lowest_gap_epoch_of_its_second_half(monkeypatch,
                                                                      mixed_frame):
    # epoch 2 is the closest but lies in the first half: epoch 4 is chosen
    _planted(monkeypatch, {1: 5.0, 2: 0.1, 3: 3.0, 4: 1.0, 5: 2.0, 6: 4.0})
    snapshots = {}
    model = TabGAN(**_params(epochs=6)).fit(mixed_frame, callback=_weights_by_epoch(snapshots))
    final = model.generator_.state_dict()
    assert _equal(final, snapshots[4]) and not _equal(final, snapshots[6])
    assert model.history_["marginal_gap"].tolist() == [5.0, 0.1, 3.0, 1.0, 2.0, 4.0]
    # switched off: the last epoch's weights, and no gap in the history
    monkeypatch.undo()
    snapshots = {}
    model = TabGAN(**_params(epochs=6, select_epoch=False)).fit(
        mixed_frame, callback=_weights_by_epoch(snapshots))
    assert _equal(model.generator_.state_dict(), snapshots[6])
    assert model.history_["marginal_gap"].isna().all()


def test_the_probe_is_fixed_and_never_moves_the_fits_randomness(monkeypatch, mixed_frame):
    captured = capture_trainer(monkeypatch)
    TabGAN(**_params(epochs=2)).fit(mixed_frame)
    trainer = captured["trainer"]
    selection = trainer.selection
    before = trainer.rng.get_state()
    first = selection.gap(trainer.sampling_generator, trainer.activation)
    assert selection.gap(trainer.sampling_generator, trainer.activation) == first
    assert torch.equal(trainer.rng.get_state(), before)
    assert 0.0 < first < 2.0
    # the last epoch is always probed, and the fit took its weights (the only candidate)
    assert selection.best_epoch == 2 and selection.best_gap == first
    # a generator that draws every span's first position lies farther from the targets
    broken = {k: v.clone() for k, v in trainer.sampling_generator.state_dict().items()}
    last = [k for k in broken if k.startswith("seq.") and k.endswith(".bias")][-1]
    broken[last][trainer.span_index.soft_index] = -1e4
    starts = torch.cat([torch.tensor([True]), trainer.span_index.soft_segment[1:]
                        != trainer.span_index.soft_segment[:-1]])
    broken[last][trainer.span_index.soft_index[starts]] = 1e4
    trainer.sampling_generator.load_state_dict(broken)
    assert selection.gap(trainer.sampling_generator, trainer.activation) > first + 0.2


def test_a_resumed_fit_keeps_the_epoch_chosen_before_the_interruption(monkeypatch,
                                                                      mixed_frame, tmp_path):
    gaps = {1: 5.0, 2: 5.0, 3: 3.0, 4: 1.0, 5: 2.0, 6: 4.0}
    params = _params(epochs=6)
    _planted(monkeypatch, gaps)
    whole = TabGAN(**params).fit(mixed_frame)
    steps_per_epoch = len(mixed_frame) // 40
    _planted(monkeypatch, gaps)
    # killed in the 6th epoch: the checkpoint of epoch 5 holds the choice of epoch 4
    _interrupted(monkeypatch, 5 * steps_per_epoch + 1, lambda: TabGAN(**params).fit(
        mixed_frame, checkpoint_dir=tmp_path, checkpoint_every=1))
    assert read_checkpoint(tmp_path / FILE_NAME).epoch == 5
    _planted(monkeypatch, gaps)
    resumed = TabGAN(**params).fit(mixed_frame, checkpoint_dir=tmp_path, resume=True)
    _same_model(whole, resumed)


def test_select_epoch_refuses_anything_but_a_flag(mixed_frame):
    with pytest.raises(ParameterError, match="select_epoch must be True or False"):
        TabGAN(**_params(select_epoch="no")).fit(mixed_frame)


def test_a_private_fit_probes_with_the_private_conditions(monkeypatch):
    from tests.privacy.test_preprocessing import _frame

    captured = capture_trainer(monkeypatch)
    model = TabGAN(**_params(epsilon=3.0, epochs=2, batch_size=100)).fit(_frame(300))
    trainer = captured["trainer"]
    assert trainer.selection.conditions is trainer.prior  # released counts, not the rows'
    assert model.history_["marginal_gap"].notna().iloc[-1]
