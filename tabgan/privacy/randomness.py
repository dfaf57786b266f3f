"""The secret randomness of a private fit.

Every draw that a differential-privacy guarantee rests on comes from here: the noise of
every Gaussian mechanism (the row count, the histograms, the category counts, DP-SGD), the
Poisson sampling that decides which records a DP-SGD step uses, and every other draw of the
critic step that depends on the records it uses (their conditions, the fake rows paired
with them, the interpolation weights, dropout masks), and the encoder's draws of each
record's mixture mode. The generators are seeded from the operating system's
cryptographic source (:mod:`secrets`, i.e. ``os.urandom``) and their seeds are never
stored, printed or derived from ``random_state``: a model file cannot replay them.

``random_state`` still seeds what reads no record: parameter initialization, the generator
steps, the mixture fits to released statistics, and sampling from the fitted model.
"""

from __future__ import annotations

import secrets

import numpy as np
import torch

from tabgan.gan import distributed

__all__ = [
    "secret_numpy_rng",
    "shared_secret_numpy_rng",
    "secret_torch_generator",
    "FloatSafeNormal",
]


def secret_numpy_rng() -> np.random.Generator:
    """A numpy generator (PCG64) seeded with 128 bits from the system's secure source."""
    return np.random.default_rng(secrets.randbits(128))


def shared_secret_numpy_rng() -> np.random.Generator:
    """A numpy generator seeded with 63 secret bits drawn on rank 0 and shared with every
    rank of a process group (held in memory only), so that every rank releases the same
    private statistics; :func:`secret_numpy_rng` on one process."""
    if not distributed.active():
        return secret_numpy_rng()
    return np.random.default_rng(distributed.broadcast_int(secrets.randbits(63)))


def secret_torch_generator(device: torch.device | str = "cpu") -> torch.Generator:
    """A torch generator on ``device`` seeded with 64 bits from the system's secure
    source (the widest seed torch takes)."""
    return torch.Generator(device=device).manual_seed(secrets.randbits(64))


class FloatSafeNormal:
    """Standard normal draws made as Opacus makes DP-SGD noise in ``secure_mode``: a first
    draw thrown away, then the sum of four draws halved (still a standard normal), against
    attacks on the floating-point representation of a single draw (Holohan and Braghin,
    2021). Wraps a numpy generator; the preprocessing noise under ``secure_mode``."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.rng.standard_normal()

    def standard_normal(self, size=None):
        draws = self.rng.standard_normal((4,) if size is None else (4, *np.atleast_1d(size)))
        return draws.sum(axis=0) / 2.0
