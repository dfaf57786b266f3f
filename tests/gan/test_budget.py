"""The wall-clock budget holds inside an epoch: training stops within a step (a few steps
under torch.distributed, on every rank at once) of the deadline, not at the end of the
epoch. The clock is a fake one that each critic step moves on, so nothing is timed."""

from __future__ import annotations

import json
import os
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

import tabgan.gan.schedule as schedule
import tabgan.gan.train as train
from tabgan import TabGAN
from tabgan.gan.train import BUDGET_CHECK_STEPS, GANTrainer

PARAMS = dict(epochs=3, batch_size=20, embedding_dim=8, generator_dims=(16,),
              critic_dims=(16,), verbose=False, random_state=0)
STEPS_PER_EPOCH = 400 // 20


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"x": rng.normal(size=400), "g": rng.choice(["a", "b"], 400)})


class FakeClock:
    """``time`` for tabgan.gan.train: each critic step takes ``step_seconds``."""

    def __init__(self, step_seconds: float):
        self.now = 0.0
        self.step_seconds = step_seconds
        self.steps = 0

    def perf_counter(self) -> float:
        return self.now

    def install(self, monkeypatch) -> None:
        clock = types.SimpleNamespace(perf_counter=self.perf_counter)
        monkeypatch.setattr(train, "time", clock)
        monkeypatch.setattr(schedule, "time", clock)
        original = GANTrainer.critic_step

        def timed(trainer, batch):
            self.steps += 1
            self.now += self.step_seconds
            return original(trainer, batch)

        monkeypatch.setattr(GANTrainer, "critic_step", timed)


def _trainer(monkeypatch) -> GANTrainer:
    captured = {}
    original = GANTrainer.fit

    def capture(self, **kwargs):
        captured["trainer"] = self
        return original(self, **kwargs)

    monkeypatch.setattr(GANTrainer, "fit", capture)
    TabGAN(**dict(PARAMS, epochs=1)).fit(_frame())
    monkeypatch.setattr(GANTrainer, "fit", original)
    return captured["trainer"]


@pytest.mark.parametrize("budget_steps", [1, 3, 7])
def test_a_budget_shorter_than_an_epoch_stops_inside_it(monkeypatch, budget_steps):
    trainer = _trainer(monkeypatch)
    clock = FakeClock(step_seconds=10.0)
    clock.install(monkeypatch)
    deadline = budget_steps * 10.0  # the budget ends after ``budget_steps`` steps
    history = trainer.fit(epochs=5, steps_per_epoch=STEPS_PER_EPOCH, deadline=deadline)
    assert clock.steps == budget_steps  # one process checks after every step
    assert len(history) == 1 and history[0].steps == budget_steps
    assert np.isfinite([history[0].generator_loss, history[0].critic_loss]).all()


def test_a_budget_of_several_epochs_ends_in_the_epoch_it_runs_out(monkeypatch):
    trainer = _trainer(monkeypatch)
    clock = FakeClock(step_seconds=1.0)
    clock.install(monkeypatch)
    history = trainer.fit(epochs=5, steps_per_epoch=STEPS_PER_EPOCH,
                          deadline=2.5 * STEPS_PER_EPOCH)
    assert [r.steps for r in history] == [STEPS_PER_EPOCH, STEPS_PER_EPOCH,
                                          STEPS_PER_EPOCH // 2]
    free = trainer.fit(epochs=2, steps_per_epoch=STEPS_PER_EPOCH)  # no deadline
    assert [r.steps for r in free] == [STEPS_PER_EPOCH] * 2


def test_max_minutes_is_the_deadline_of_the_steps(monkeypatch):
    clock = FakeClock(step_seconds=6.0)  # ten steps a minute
    clock.install(monkeypatch)
    import tabgan.fitting as fitting

    monkeypatch.setattr(fitting, "time", types.SimpleNamespace(perf_counter=clock.perf_counter))
    model = TabGAN(**dict(PARAMS, max_minutes=0.5)).fit(_frame())
    assert clock.steps == 5 and model.history_["steps"].tolist() == [5]


# ---------------------------------------------------------------------- distributed
def _budget_worker(rank: int, world: int, port: int, out: str) -> None:
    """Rank 0's clock runs past the deadline after 3 steps; rank 1's never does."""
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=world)
    import time as real_time

    import tabgan.gan.schedule as schedule_module
    import tabgan.gan.train as train_module
    from tabgan import TabGAN as Model

    seen = {"steps": 0}
    original = train_module.GANTrainer.critic_step

    def counted(trainer, batch):
        seen["steps"] += 1
        return original(trainer, batch)

    def perf_counter() -> float:
        late = rank == 0 and seen["steps"] >= 3
        return real_time.perf_counter() + (1e9 if late else 0.0)

    train_module.GANTrainer.critic_step = counted
    clock = type("Clock", (), {"perf_counter": staticmethod(perf_counter)})
    train_module.time = schedule_module.time = clock
    try:
        model = Model(**dict(PARAMS, max_minutes=600)).fit(_frame())
    finally:
        train_module.GANTrainer.critic_step = original
        train_module.time = schedule_module.time = real_time
    Path(out, f"budget_{rank}.json").write_text(json.dumps(
        {"steps": seen["steps"], "history": model.history_["steps"].tolist()}))
    dist.destroy_process_group()


@pytest.mark.skipif(not dist.is_available() or not dist.is_gloo_available(),
                    reason="needs torch.distributed")
def test_under_torch_distributed_every_rank_stops_at_the_same_step(tmp_path):
    from tests.gan.test_distributed import _free_port

    mp.spawn(_budget_worker, args=(2, _free_port(), str(tmp_path)), nprocs=2)
    r0, r1 = (json.loads((tmp_path / f"budget_{k}.json").read_text()) for k in (0, 1))
    assert r0 == r1  # a collective stop: the ranks agree, so neither waits on the other
    assert r0["steps"] == BUDGET_CHECK_STEPS  # the first check after rank 0 ran late
    assert r0["history"] == [BUDGET_CHECK_STEPS]
