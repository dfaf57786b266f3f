"""Where a fit runs and where its randomness comes from: the device, seeds, and the
seeding of torch's default generator for parameter initialization."""

from __future__ import annotations

import numpy as np
import torch

from tabgan.errors import DeviceError, ParameterError
from tabgan.gan import distributed

__all__ = ["resolve_device", "draw_seed", "rank_seed", "torch_seeded"]


def resolve_device(device: str | torch.device) -> torch.device:
    """``"auto"`` is CUDA when available, else CPU. A device this machine lacks (no CUDA
    GPU, a GPU index past the last one, a kind other than CPU and CUDA) raises a
    DeviceError that names the device."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = device if isinstance(device, torch.device) else torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise DeviceError(f"unknown device {device!r}; use 'auto', 'cpu' or 'cuda'.") from exc
    if resolved.type not in ("cpu", "cuda"):
        raise DeviceError(
            f"device {str(device)!r} is not supported; tabgan runs on 'cpu' or 'cuda' "
            "(or 'auto')."
        )
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise DeviceError(
            f"device {str(device)!r} was asked for but no CUDA GPU is available on this "
            "machine; use 'auto' or 'cpu'."
        )
    if resolved.type == "cuda" and resolved.index is not None:
        count = torch.cuda.device_count()
        if resolved.index >= count:
            raise DeviceError(
                f"device {str(device)!r} was asked for but this machine has {count} CUDA "
                f"GPU{'' if count == 1 else 's'} (cuda:0 to cuda:{count - 1}); use one of "
                "them, or 'auto'."
            )
    return resolved


def draw_seed(random_state: int | None) -> int:
    """``random_state`` as a seed, or a fresh one when it is None."""
    if random_state is None:
        return int(np.random.default_rng().integers(2**62))
    if isinstance(random_state, bool) or not isinstance(random_state, int | np.integer):
        raise ParameterError(f"random_state must be an int or None, got {random_state!r}.")
    return int(random_state) % 2**62


def rank_seed(seed: int) -> int:
    """The seed of this process's batch draws: ``seed`` itself on one process."""
    return (seed + 7919 * distributed.rank()) % 2**62


class torch_seeded:
    """Seed torch's default generator for a block and restore its state afterwards, so
    that parameter initialization is reproducible without touching the caller's RNG."""

    def __init__(self, seed: int):
        self.seed = seed

    def __enter__(self):
        self.state = torch.random.get_rng_state()
        self.cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None
        torch.manual_seed(self.seed)

    def __exit__(self, *exc):
        torch.random.set_rng_state(self.state)
        if self.cuda is not None:
            torch.cuda.set_rng_state_all(self.cuda)
