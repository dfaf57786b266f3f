"""Training under torch.distributed: two CPU processes on loopback with the gloo backend
must take the optimizer steps one process takes, keep their networks identical, and (under
DP) account the same epsilon."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from tabgan.encoding.layout import TableLayout
from tabgan.gan.sampler import ConditionalSampler

pytestmark = pytest.mark.skipif(
    not dist.is_available() or not dist.is_gloo_available(), reason="needs torch.distributed"
)

PARAMS = dict(epochs=3, batch_size=100, verbose=False, random_state=0, embedding_dim=16,
              generator_dims=(32, 32), critic_dims=(32, 32))


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 400
    g = rng.choice(["a", "b", "c"], n, p=[0.6, 0.3, 0.1])
    return pd.DataFrame({
        "x": np.where(g == "a", rng.normal(0, 1, n), rng.normal(5, 1, n)),
        "g": g,
        "k": rng.integers(0, 5, n),
    })


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _fit_worker(rank: int, world: int, port: int, epsilon, out: str) -> None:
    """Fit on ``rank`` of ``world`` processes (world 1: no process group) and write what
    the test compares."""
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    if world > 1:
        dist.init_process_group("gloo", rank=rank, world_size=world)
    import tabgan.gan.train as train
    from tabgan import TabGAN
    from tabgan.privacy.dp_train import DPGANTrainer

    seen = {"critic": 0, "generator": 0, "local_batch": None, "rows": 0}
    trainer_cls = DPGANTrainer if epsilon else train.GANTrainer
    critic_step, generator_step = trainer_cls.critic_step, train.GANTrainer.generator_step
    trainers = []

    def count_critic(self, batch):
        seen["critic"] += 1
        seen["local_batch"] = batch
        trainers.append(self)
        return critic_step(self, batch)

    def count_generator(self, batch):
        seen["generator"] += 1
        return generator_step(self, batch)

    trainer_cls.critic_step = count_critic
    train.GANTrainer.generator_step = count_generator
    try:
        model = TabGAN(epsilon=epsilon, **PARAMS).fit(_frame())
    finally:
        trainer_cls.critic_step = critic_step
        train.GANTrainer.generator_step = generator_step
    trainer = trainers[-1]
    flat = lambda m: torch.cat([p.detach().flatten() for p in m.parameters()])  # noqa: E731
    result = {
        "steps": seen,
        "adam_steps": [float(s["step"]) for s in trainer.g_opt.state.values()][:1],
        "generator": flat(model.generator_).tolist(),
        "critic": flat(trainer.critic).tolist(),
        "epochs": len(model.history_),
        # under DP the history has no critic loss (a mean over real rows)
        "history": model.history_[[c for c in ("generator_loss", "critic_loss")
                                   if c in model.history_]].to_numpy().tolist(),
        "epsilon": model.privacy_ledger_.epsilon if epsilon else None,
        "sigma": model.privacy_ledger_.mechanisms[-1].noise_multiplier if epsilon else None,
        "sample_ok": bool(model.sample(50)["g"].dropna().isin(["a", "b", "c"]).all()),
    }
    Path(out, f"{world}_{rank}.json").write_text(json.dumps(result))
    if world > 1:
        dist.destroy_process_group()


def _run(tmp_path, epsilon):
    mp.spawn(_fit_worker, args=(2, _free_port(), epsilon, str(tmp_path)), nprocs=2)
    _fit_worker(0, 1, _free_port(), epsilon, str(tmp_path))
    load = lambda name: json.loads((tmp_path / name).read_text())  # noqa: E731
    return load("1_0.json"), load("2_0.json"), load("2_1.json")


def test_two_gloo_processes_take_the_single_process_steps(tmp_path):
    single, r0, r1 = _run(tmp_path, None)
    # same optimizer steps: 400 rows // 100 per batch = 4 steps per epoch, 3 epochs
    for r in (r0, r1):
        assert r["steps"]["critic"] == single["steps"]["critic"] == 12
        assert r["steps"]["generator"] == single["steps"]["generator"] == 12
        assert r["adam_steps"] == single["adam_steps"] == [12.0]
        assert r["epochs"] == single["epochs"] == 3
        assert r["sample_ok"]
    # each rank draws half of every batch
    assert single["steps"]["local_batch"] == 100
    assert r0["steps"]["local_batch"] == r1["steps"]["local_batch"] == 50
    # DistributedDataParallel keeps both networks identical on the two ranks
    assert np.allclose(r0["generator"], r1["generator"], atol=1e-6)
    assert np.allclose(r0["critic"], r1["critic"], atol=1e-6)
    assert r0["history"] == r1["history"]  # losses are averaged over the ranks
    # ...and the ranks did train (not a copy of the single-process run or of the start)
    assert not np.allclose(r0["generator"], single["generator"])


def test_two_gloo_processes_account_the_single_process_epsilon(tmp_path):
    single, r0, r1 = _run(tmp_path, 3.0)
    # Every run releases its own noisy row count (from its own secret noise), so the
    # single process and the pair differ; the two ranks share one release and one ledger.
    assert r0["epsilon"] == r1["epsilon"] and r0["sigma"] == r1["sigma"]
    assert r0["steps"]["critic"] == r1["steps"]["critic"]
    for r in (single, r0, r1):
        assert r["epsilon"] <= 3.0
        assert r["steps"]["critic"] in (9, 12, 15)  # 3 epochs of round(n / 100) steps
        assert r["sample_ok"]
    # the private optimizer reduced the noisy clipped gradients: critics stay identical
    assert np.allclose(r0["critic"], r1["critic"], atol=1e-6)
    assert np.allclose(r0["generator"], r1["generator"], atol=1e-6)


def _scaling_worker(rank: int, world: int, port: int, out: str) -> None:
    """One noiseless private step from known per-rank gradient sums."""
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    if world > 1:
        dist.init_process_group("gloo", rank=rank, world_size=world)
    from opacus.optimizers import (
        DistributedDPOptimizerFastGradientClipping,
        DPOptimizerFastGradientClipping,
    )

    param = torch.nn.Parameter(torch.zeros(3))
    expected = 8.0  # expected global batch
    sums = [torch.tensor([1.0, 2.0, 3.0]), torch.tensor([4.0, -1.0, 0.5])]
    if world > 1:
        opt = DistributedDPOptimizerFastGradientClipping(
            torch.optim.SGD([param], lr=1.0), noise_multiplier=0.0, max_grad_norm=1.0,
            expected_batch_size=expected / world)
        param.grad = sums[rank].clone()
    else:
        opt = DPOptimizerFastGradientClipping(
            torch.optim.SGD([param], lr=1.0), noise_multiplier=0.0, max_grad_norm=1.0,
            expected_batch_size=expected)
        param.grad = (sums[0] + sums[1]).clone()
    opt.step()
    Path(out, f"scale_{world}_{rank}.json").write_text(json.dumps(param.detach().tolist()))
    if world > 1:
        dist.destroy_process_group()


def test_the_distributed_private_step_divides_by_the_global_expected_batch(tmp_path):
    mp.spawn(_scaling_worker, args=(2, _free_port(), str(tmp_path)), nprocs=2)
    _scaling_worker(0, 1, _free_port(), str(tmp_path))
    single = json.loads((tmp_path / "scale_1_0.json").read_text())
    assert np.allclose(single, [-5 / 8, -1 / 8, -3.5 / 8])
    for rank in (0, 1):
        assert np.allclose(json.loads((tmp_path / f"scale_2_{rank}.json").read_text()), single)


def test_poisson_shards_make_up_the_single_process_sample():
    data = torch.eye(3)[torch.randint(0, 3, (997,))]
    sampler = ConditionalSampler.from_data(
        data, TableLayout.build([("c", "categorical", [(3, "softmax")])]))
    whole, _ = sampler.anchored_batch(0.3, torch.Generator().manual_seed(5))
    parts = [sampler.anchored_batch(0.3, torch.Generator().manual_seed(5), shard=(k, 3))[0]
             for k in range(3)]
    assert torch.equal(torch.sort(torch.cat(parts)).values, whole)
    for k, part in enumerate(parts):
        assert torch.all(part % 3 == k)


def test_torchrun_fits_and_rank_zero_alone_writes(tmp_path):
    csv = tmp_path / "data.csv"
    _frame().to_csv(csv, index=False)
    model = tmp_path / "model.tabgan"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    done = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2",
         "--master-port", str(_free_port()), "-m", "tabgan", "fit", str(csv), "-o", str(model),
         "--epochs", "2", "--batch-size", "100", "--seed", "0", "--quiet"],
        capture_output=True, text=True, env=env, timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    from tabgan import TabGAN

    loaded = TabGAN.load(model)
    assert len(loaded.history_) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv", "model.tabgan"]
