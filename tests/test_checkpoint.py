"""Checkpoints and resume: a resumed fit is the uninterrupted one, bit for bit without DP and
budget for budget under DP; the file is tensors plus JSON; a resume of another fit is
refused; a process killed with SIGKILL continues from its last checkpoint."""

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from tabgan import TabGAN
from tabgan.checkpoint import FILE_NAME, Interval, read_checkpoint
from tabgan.errors import CheckpointError, ParameterError
from tabgan.gan.train import GANTrainer
from tabgan.privacy.dp_train import DPGANTrainer
from tests.privacy.test_preprocessing import _frame

ROOT = Path(__file__).resolve().parents[1]


def _params(**extra) -> dict:
    return {"epochs": 5, "batch_size": 40, "embedding_dim": 16, "generator_dims": (32, 32),
            "critic_dims": (32, 32), "verbose": False, "random_state": 0, **extra}


def _interrupted(monkeypatch, at_step: int, fit) -> None:
    """Run ``fit`` and stop it with KeyboardInterrupt at its ``at_step``-th critic step, as
    a kill in the middle of an epoch stops it."""
    calls = []

    def counting(original):
        def step(self, batch):
            calls.append(batch)
            if len(calls) == at_step:
                raise KeyboardInterrupt
            return original(self, batch)

        return step

    for cls in (GANTrainer, DPGANTrainer):  # each has its own critic step
        monkeypatch.setattr(cls, "critic_step", counting(cls.__dict__["critic_step"]))
    with pytest.raises(KeyboardInterrupt):
        fit()
    monkeypatch.undo()


def _same_model(a: TabGAN, b: TabGAN) -> None:
    for network in ("generator_",):
        sa, sb = getattr(a, network).state_dict(), getattr(b, network).state_dict()
        assert sa.keys() == sb.keys()
        for key in sa:
            assert torch.equal(sa[key], sb[key]), key
    pd.testing.assert_frame_equal(a.history_.drop(columns="seconds"),
                                  b.history_.drop(columns="seconds"))
    pd.testing.assert_frame_equal(a.sample(200, random_state=3), b.sample(200, random_state=3))


def test_a_resumed_fit_is_the_uninterrupted_fit_bit_for_bit(monkeypatch, mixed_frame, tmp_path):
    params = _params()
    whole = TabGAN(**params).fit(mixed_frame)
    steps_per_epoch = len(mixed_frame) // 40
    # killed in the 4th epoch: the checkpoint of epoch 2 is the last one (every 2 epochs)
    _interrupted(monkeypatch, 3 * steps_per_epoch + 2, lambda: TabGAN(**params).fit(
        mixed_frame, checkpoint_dir=tmp_path, checkpoint_every=2))
    assert read_checkpoint(tmp_path / FILE_NAME).epoch == 2  # at most one interval lost
    resumed = TabGAN(**params).fit(mixed_frame, checkpoint_dir=tmp_path, resume=True)
    _same_model(whole, resumed)
    assert len(resumed.history_) == 5 and resumed.seed_ == whole.seed_


def test_a_resumed_fit_with_a_drawn_seed_keeps_it(monkeypatch, mixed_frame, tmp_path):
    params = _params(random_state=None, epochs=3)
    _interrupted(monkeypatch, 2 * (len(mixed_frame) // 40) + 1, lambda: TabGAN(**params).fit(
        mixed_frame, checkpoint_dir=tmp_path, checkpoint_every=1))
    seed = read_checkpoint(tmp_path / FILE_NAME).seed
    resumed = TabGAN(**params).fit(mixed_frame, checkpoint_dir=tmp_path, resume=True)
    assert resumed.seed_ == seed
    _same_model(TabGAN(**_params(random_state=seed, epochs=3)).fit(mixed_frame), resumed)


def test_a_resumed_private_fit_spends_the_budget_of_an_uninterrupted_one(monkeypatch, tmp_path):
    frame = _frame(600)
    params = _params(epsilon=2.0, epochs=2, batch_size=100)
    whole = TabGAN(**params).fit(frame)
    _interrupted(monkeypatch, 8, lambda: TabGAN(**params).fit(
        frame, checkpoint_dir=tmp_path, checkpoint_every=1))
    saved = read_checkpoint(tmp_path / FILE_NAME).meta
    per_epoch = round(saved["release"]["n_rows"] / 100)  # the released (noisy) row count's
    assert saved["epoch"] == 1 and saved["privacy"]["steps"] == per_epoch
    assert saved["privacy"]["ledger"]["mechanisms"][-1]["steps"] == per_epoch

    # the statistics released before training are read back, not released again
    import tabgan.plans

    def no_second_release(*args, **kwargs):
        raise AssertionError("the private statistics were released twice")

    monkeypatch.setattr(tabgan.plans, "private_statistics", no_second_release)
    monkeypatch.setattr(tabgan.plans, "release_pairs", no_second_release)
    assert saved["release"]["pairs"] is not None  # the two-way marginals, kept
    resumed = TabGAN(**params).fit(frame, checkpoint_dir=tmp_path, resume=True)
    b = resumed.privacy_ledger_
    # the uninterrupted fit of the same release: its mechanisms and noise, and every step
    stored = saved["privacy"]["ledger"]["mechanisms"]
    assert [m.noise_multiplier for m in b.mechanisms] == [m["noise_multiplier"] for m in stored]
    assert b.training().steps == 2 * per_epoch
    assert b.epsilon <= 2.0 and b.epsilon == pytest.approx(2.0, rel=2e-3)  # calibrated to it
    assert whole.privacy_ledger_.epsilon == pytest.approx(b.epsilon, rel=2e-3)
    assert len(resumed.history_) == 2


def test_the_checkpoint_is_tensors_and_json_with_one_generator_state(monkeypatch, tmp_path):
    """Read with weights_only=True; the only generator state in it is the batch generator's:
    under DP the noise of DP-SGD has a source of its own, which is not saved."""
    captured = {}
    original = GANTrainer.fit

    def capture(self, **kwargs):
        captured["trainer"] = self
        return original(self, **kwargs)

    monkeypatch.setattr(GANTrainer, "fit", capture)
    frame = _frame(300)
    TabGAN(**_params(epsilon=3.0, epochs=2, batch_size=100)).fit(
        frame, checkpoint_dir=tmp_path, checkpoint_every=1)
    payload = torch.load(tmp_path / FILE_NAME, weights_only=True)
    assert set(payload) == {"format", "version", "meta", "trainer"}
    # (the DP recipe turns the generator's weight average off)
    assert set(payload["trainer"]) == {"generator", "critic", "generator_optimizer",
                                       "critic_optimizer", "rng", "selection"}
    assert set(payload["trainer"]["selection"]) == {"gap", "epoch", "rows_since", "weights"}
    meta = json.loads(payload["meta"])
    per_epoch = round(meta["release"]["n_rows"] / 100)
    assert meta["release"]["mechanisms"] and meta["privacy"]["steps"] == 2 * per_epoch

    def states(value):
        if isinstance(value, torch.Tensor):
            return [value] if value.dtype == torch.uint8 else []
        if isinstance(value, dict):
            return [s for v in value.values() for s in states(v)]
        if isinstance(value, list | tuple):
            return [s for v in value for s in states(v)]
        return []

    trainer = captured["trainer"]
    stored = states(payload)
    assert len(stored) == 1 and torch.equal(stored[0], trainer.rng.get_state())
    noise = getattr(trainer.c_opt, "generator", None)
    if isinstance(noise, torch.Generator) and noise is not trainer.rng:
        assert not any(torch.equal(s, noise.get_state()) for s in stored)


def test_resume_refuses_another_fit(mixed_frame, tmp_path):
    params = _params(epochs=2)
    TabGAN(**params).fit(mixed_frame, checkpoint_dir=tmp_path)

    def resume(frame=mixed_frame, **changes):
        with pytest.raises(CheckpointError) as info:
            TabGAN(**{**params, **changes}).fit(frame, checkpoint_dir=tmp_path, resume=True)
        return str(info.value)

    changed = mixed_frame.copy()
    changed.loc[3, "amount"] += 1.0
    assert "the table's values" in resume(changed)
    assert "rows" in resume(mixed_frame.iloc[:100])
    assert "columns" in resume(mixed_frame.drop(columns="flag"))
    assert "epochs (2 in the checkpoint, 3 now)" in resume(epochs=3)
    assert "critic_lr" in resume(critic_lr=1e-3)
    with pytest.raises(CheckpointError, match="metadata"):
        TabGAN(**params).fit(mixed_frame, discrete_columns=["count"], checkpoint_dir=tmp_path,
                             resume=True)
    # what does not change the training may change
    TabGAN(**{**params, "verbose": True, "max_minutes": 5.0}).fit(
        mixed_frame, checkpoint_dir=tmp_path, resume=True)


def test_a_new_fit_never_overwrites_a_checkpoint(mixed_frame, tmp_path):
    params = _params(epochs=1)
    TabGAN(**params).fit(mixed_frame, checkpoint_dir=tmp_path)
    before = (tmp_path / FILE_NAME).read_bytes()
    with pytest.raises(CheckpointError, match="resume=True"):
        TabGAN(**params).fit(mixed_frame, checkpoint_dir=tmp_path)
    assert (tmp_path / FILE_NAME).read_bytes() == before
    with pytest.raises(ParameterError, match="checkpoint_dir"):
        TabGAN(**params).fit(mixed_frame, resume=True)
    with pytest.raises(ParameterError, match="checkpoint_every"):
        TabGAN(**params).fit(mixed_frame, checkpoint_dir=tmp_path / "x", checkpoint_every=0)
    (tmp_path / FILE_NAME).write_bytes(before[: len(before) // 2])
    with pytest.raises(CheckpointError, match="Delete it"):
        TabGAN(**params).fit(mixed_frame, checkpoint_dir=tmp_path, resume=True)


def test_resume_without_a_checkpoint_starts_a_new_fit(mixed_frame, tmp_path):
    params = _params(epochs=2)
    fresh = TabGAN(**params).fit(mixed_frame, checkpoint_dir=tmp_path / "new", resume=True)
    _same_model(TabGAN(**params).fit(mixed_frame), fresh)
    assert read_checkpoint(tmp_path / "new" / FILE_NAME).epoch == 2


def test_resuming_a_finished_fit_trains_nothing(monkeypatch, mixed_frame, tmp_path):
    params = _params(epochs=3)
    done = TabGAN(**params).fit(mixed_frame, checkpoint_dir=tmp_path, checkpoint_every="1h")
    assert read_checkpoint(tmp_path / FILE_NAME).epoch == 3  # the last epoch is written

    def no_step(self, batch):
        raise AssertionError("a finished fit trained again")

    monkeypatch.setattr(GANTrainer, "critic_step", no_step)
    again = TabGAN(**params).fit(mixed_frame, checkpoint_dir=tmp_path, resume=True)
    _same_model(done, again)
    assert again.fit_seconds_ >= done.fit_seconds_


@given(st.integers(1, 10**6))
def test_an_epoch_count_is_an_interval_of_epochs(n):
    assert Interval.parse(n) == Interval.parse(str(n)) == Interval(epochs=n)
    assert Interval(epochs=n).due(n, 0.0) and Interval(epochs=n).due(3 * n, 0.0)
    assert not Interval(epochs=n).due(n + 1, 1e9) or n == 1


def test_durations_are_intervals_of_seconds():
    assert Interval.parse("30s") == Interval(seconds=30.0)
    assert Interval.parse("5min") == Interval.parse("5 m") == Interval(seconds=300.0)
    assert Interval.parse("1.5h") == Interval(seconds=5400.0)
    assert Interval.parse(timedelta(minutes=2)) == Interval(seconds=120.0)
    assert Interval(seconds=60.0).due(1, 61.0) and not Interval(seconds=60.0).due(7, 59.0)
    for bad in (0, -1, True, 2.5, "0", "5 parsecs", "", timedelta(0), None):
        with pytest.raises(ParameterError, match="checkpoint_every"):
            Interval.parse(bad)


_KILLED_FIT = """
import json, sys, time
import pandas as pd, torch
torch.set_num_threads(1)
from tabgan import TabGAN
frame = pd.read_parquet(sys.argv[1])
TabGAN(**json.loads(sys.argv[2])).fit(frame, checkpoint_dir=sys.argv[3], checkpoint_every=1,
                                      callback=lambda model, record: time.sleep(0.25))
"""


def test_a_fit_killed_with_sigkill_resumes_from_its_last_checkpoint(mixed_frame, tmp_path):
    params = _params(epochs=20)
    data, directory = tmp_path / "data.parquet", tmp_path / "checkpoints"
    mixed_frame.to_parquet(data)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-c", _KILLED_FIT, str(data), json.dumps(params), str(directory)],
        env=env, stderr=subprocess.PIPE)
    try:
        give_up = time.monotonic() + 300
        while not (directory / FILE_NAME).exists():
            assert process.poll() is None, process.stderr.read().decode()
            assert time.monotonic() < give_up, "no checkpoint was written"
            time.sleep(0.02)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stderr.close()
    assert process.returncode == -signal.SIGKILL
    frame = pd.read_parquet(data)
    killed_at = read_checkpoint(directory / FILE_NAME).epoch
    (directory / f".{FILE_NAME}.x1y2.tmp").write_bytes(b"half a write")  # as a kill may leave
    assert 1 <= killed_at < 20
    resumed = TabGAN(**params).fit(frame, checkpoint_dir=directory, resume=True)
    _same_model(TabGAN(**params).fit(frame), resumed)
    assert np.isfinite(resumed.history_["generator_loss"]).all()
    assert sorted(p.name for p in directory.iterdir()) == [FILE_NAME]


def test_the_last_epoch_is_written_only_when_the_loop_stops_at_its_end(monkeypatch,
                                                                       mixed_frame, tmp_path):
    """A loop that stops after two of four epochs (as a time budget does) leaves their
    checkpoint; one that stops inside the third leaves none newer than the last interval:
    the state inside an epoch is not the state at the end of the one before."""
    original = GANTrainer.fit

    def stop_after_two(partial: bool):
        def fit(self, **kwargs):
            history = original(self, **{**kwargs, "epochs": 2})
            if partial:
                self.critic_step(self.local_batch)  # a part of epoch 3
            return history

        return fit

    monkeypatch.setattr(GANTrainer, "fit", stop_after_two(partial=False))
    TabGAN(**_params(epochs=4)).fit(mixed_frame, checkpoint_dir=tmp_path / "a",
                                    checkpoint_every=3)
    assert read_checkpoint(tmp_path / "a" / FILE_NAME).epoch == 2
    monkeypatch.setattr(GANTrainer, "fit", stop_after_two(partial=True))
    TabGAN(**_params(epochs=4)).fit(mixed_frame, checkpoint_dir=tmp_path / "b",
                                    checkpoint_every=3)
    assert not (tmp_path / "b" / FILE_NAME).exists()
