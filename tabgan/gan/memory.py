"""How much memory a fit will take, known before training starts.

The estimate adds up what a fit holds at once: the encoded table (alphas and hot
positions, see :mod:`tabgan.encoding.encoded`) and the sampler's row index, the two networks with
their gradients and Adam's two moments, and the activations of one training step. The
widths come from the encoded table's layout, so a column of thousands of categories shows up
before it costs anything: each category widens the generator's output, the condition
vector, and the critic's input ``pac`` times over.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass

from tabgan.encoding.layout import TableLayout
from tabgan.gan.chain import chain_size, has_chain
from tabgan.gan.config import GANConfig

__all__ = ["MemoryEstimate", "MemoryWarning", "estimate_training_memory", "available_memory"]

_MIB = 1024**2


class MemoryWarning(UserWarning):
    """The estimated memory of a fit exceeds what the device has free."""


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes a fit needs, by part."""

    data: int  # the encoded table and the sampler's index
    networks: int  # parameters, gradients and Adam moments of generator and critic
    step: int  # activations of one critic step and one generator step
    data_dim: int  # width of a transformed row
    cond_dim: int  # width of the condition vector
    widest_column: tuple[str, int] | None  # the categorical column with most slots

    @property
    def total(self) -> int:
        return self.data + self.networks + self.step

    def to_dict(self) -> dict:
        return {
            "total_bytes": self.total,
            "data_bytes": self.data,
            "network_bytes": self.networks,
            "step_bytes": self.step,
            "data_dim": self.data_dim,
            "cond_dim": self.cond_dim,
        }

    def __str__(self) -> str:
        return (
            f"about {self.total / _MIB:,.0f} MiB (data {self.data / _MIB:,.0f}, networks "
            f"{self.networks / _MIB:,.0f}, per step {self.step / _MIB:,.0f}); rows encode "
            f"to {self.data_dim} values, conditions to {self.cond_dim}"
        )


def _linear(i: int, o: int) -> int:
    return i * o + o


def estimate_training_memory(layout: TableLayout, n_rows: int,
                             config: GANConfig) -> MemoryEstimate:
    """The memory a fit of ``n_rows`` rows with ``config`` will take, from the layout of
    the encoded table."""
    dim = layout.dim
    cond = layout.cond_dim
    n_alpha = len(layout.alpha_positions)
    n_soft = len(layout.softmax_starts)
    n_disc = len(layout.discrete)
    slot_bytes = 2 if dim < 2**15 else 4
    data = n_rows * (4 * n_alpha + slot_bytes * n_soft + 2 * 4 * n_disc)

    width = config.embedding_dim + cond
    gen = buffers = 0
    for h in config.generator_dims:
        gen += _linear(width, h) + 2 * h  # Linear, batch-norm scale and shift
        buffers += 2 * h  # batch-norm running mean and variance
        width += h
    gen += _linear(width, dim)
    index = layout.index()
    if has_chain(config, index):
        gen += chain_size(index)
    critic_in = (dim + cond) * config.pac
    dims = [critic_in, *config.critic_dims]
    crit = sum(_linear(i, o) for i, o in zip(dims[:-1], dims[1:], strict=True))
    crit += _linear(dims[-1], 1)
    # weights, gradients and two Adam moments, float32; and the batch-norm statistics
    networks = 4 * 4 * (gen + crit) + 4 * buffers
    if config.generator_ema > 0:  # the generator's weight average
        networks += 4 * (gen + buffers)

    b = config.batch_size
    # critic step: fake, real, interpolated rows with their conditions, the penalty's
    # input gradients and their double-backward graph; hidden layers for 3 batches
    rows = b * (dim + cond) * 4 * 8
    hidden = 3 * b * sum(config.critic_dims) * 4 * 6
    generator = b * (sum(config.generator_dims) + width + 3 * dim) * 4 * 4
    step = rows + hidden + generator

    widest = None
    if layout.discrete:
        column = max(layout.discrete, key=lambda c: c.n_categories)
        widest = (str(column.name), column.n_categories)
    return MemoryEstimate(data, networks, step, dim, cond, widest)


def available_memory(device) -> int | None:
    """Free memory of ``device`` in bytes (None when it cannot be read)."""
    import torch

    device = torch.device(device)
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return int(free)
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def warn_if_too_large(estimate: MemoryEstimate, device) -> None:
    """Warn, naming the fixes, when ``estimate`` exceeds the device's free memory."""
    free = available_memory(device)
    if free is None or estimate.total <= free:
        return
    hint = ""
    if estimate.widest_column is not None and estimate.widest_column[1] > 100:
        name, k = estimate.widest_column
        hint = (f" The widest categorical column, {name!r}, has {k} categories: pool the "
                "rare ones with max_categories (--max-categories).")
    warnings.warn(
        f"this fit needs {estimate} but only {free / _MIB:,.0f} MiB are free on {device}."
        f"{hint} A smaller batch_size or pac also helps.",
        MemoryWarning,
        stacklevel=3,
    )
