"""Training on several processes with PyTorch's distributed engine.

Under an initialized process group (``torchrun --nproc-per-node N -m tabgan fit ...``, or
``torch.distributed.init_process_group`` in your own script), ``TabGAN.fit`` trains the
same model as one process would, with the work split:

- every rank fits the same transformer (the seed is broadcast from rank 0, so under
  differential privacy the noisy statistics are one release, not N);
- every batch is split between the ranks, each drawing its own share with its own random
  generator; the step count per epoch is the single-process one;
- generator and critic are wrapped in ``DistributedDataParallel``, which averages the
  gradients of the shares, so a step sees the whole logical batch;
- under DP, each record belongs to one rank (row ``i`` to rank ``i mod N``), and each rank
  draws its own records by Poisson sampling at the global rate ``q``, so the union is the
  single-process Poisson sample. Opacus's distributed optimizer sums the clipped gradients
  of all ranks and adds the noise once (on rank 0); the accountant sees ``q`` and the
  global step count, and the epsilon is the single-process one.

Only rank 0 writes files; every rank returns the same fitted model.
"""

from __future__ import annotations

import os

import torch
import torch.distributed as dist

__all__ = [
    "active",
    "rank",
    "world_size",
    "is_writer",
    "init_from_env",
    "local_device",
    "broadcast_int",
    "agree",
    "mean_over_ranks",
    "wrap",
    "broadcast_parameters",
]


def active() -> bool:
    """Whether a process group with more than one process is running."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def rank() -> int:
    return dist.get_rank() if active() else 0


def world_size() -> int:
    return dist.get_world_size() if active() else 1


def is_writer() -> bool:
    """Whether this process writes files and prints: always, except on ranks other than 0
    of a distributed run."""
    return rank() == 0


def init_from_env() -> bool:
    """Start the process group that ``torchrun`` describes in the environment (NCCL on
    CUDA, gloo on CPU). Returns whether one is running afterwards."""
    if active():
        return True
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1 or not dist.is_available():
        return False
    if dist.is_initialized():
        return active()
    backend = "nccl" if torch.cuda.is_available() and dist.is_nccl_available() else "gloo"
    dist.init_process_group(backend=backend)
    if backend == "nccl":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    return True


def local_device(device: torch.device) -> torch.device:
    """On CUDA, each process of a node takes the GPU of its local rank."""
    if active() and device.type == "cuda" and device.index is None:
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    return device


def _collective_device() -> torch.device:
    backend = dist.get_backend()
    return torch.device("cuda", torch.cuda.current_device()) if backend == "nccl" else \
        torch.device("cpu")


def broadcast_int(value: int) -> int:
    """Rank 0's ``value``, on every rank."""
    if not active():
        return value
    t = torch.tensor([value], dtype=torch.long, device=_collective_device())
    dist.broadcast(t, src=0)
    return int(t.item())


def agree(flag: bool) -> bool:
    """True on every rank when ``flag`` is True on any rank (a collective stop)."""
    if not active():
        return flag
    t = torch.tensor([int(flag)], dtype=torch.long, device=_collective_device())
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item())


def mean_over_ranks(values: torch.Tensor) -> torch.Tensor:
    """The mean of ``values`` over the ranks (a copy; every rank gets it)."""
    if not active():
        return values
    out = values.detach().clone().to(_collective_device())
    dist.all_reduce(out, op=dist.ReduceOp.SUM)
    return (out / world_size()).to(values.device)


def wrap(module: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """``module`` in ``DistributedDataParallel`` (itself when not distributed)."""
    if not active():
        return module
    import warnings

    from torch.nn.parallel import DistributedDataParallel

    # The gradient penalty's double backward leaves some gradients in another memory
    # layout than DDP's buckets: harmless, and said once per step otherwise.
    warnings.filterwarnings("ignore", message="Grad strides do not match bucket view strides")
    ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(module, device_ids=ids)


def broadcast_parameters(module: torch.nn.Module) -> None:
    """Rank 0's parameters and buffers, on every rank (Opacus's private DDP does the
    same: the gradients are then reduced by its distributed optimizer)."""
    if not active():
        return
    with torch.no_grad():
        for t in [*module.parameters(), *module.buffers()]:
            dist.broadcast(t.data, src=0)
