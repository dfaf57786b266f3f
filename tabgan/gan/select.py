"""The epoch whose sampling weights sample best.

The sampling generator (the weight average, or the live generator without one) does not
improve with every epoch: from one epoch to the next its samples' marginals move by a few
points either way, and the last epoch is rarely the closest. Every few epochs, and after
the last, :class:`EpochSelection` draws a fixed probe of rows from it (the same noise,
conditions and draws every time, so that two epochs differ by their weights alone) and
measures the probe's :func:`~tabgan.gan.marginals.marginal_gap` to the fit's target
one-way and two-way marginals; over the second half of training it keeps a copy of the
weights of the closest epoch, which the sampling generator takes after training.

The choice reads the generator's own draws and the fit's targets only. Under DP the
targets and the conditions' frequencies are released statistics, so the choice is
post-processing of released values and costs no privacy.
"""

from __future__ import annotations

import math

import torch

from tabgan.encoding.layout import SpanIndex
from tabgan.gan import distributed
from tabgan.gan.activation import OutputActivation
from tabgan.gan.marginals import marginal_gap, span_draws
from tabgan.gan.sampler import ConditionalSampler

__all__ = ["EpochSelection", "PROBE_ROWS", "START"]

PROBE_ROWS = 8192  # rows of the probe
START = 0.5  # share of training after which an epoch may be chosen
# An epoch is probed once the rows trained since the last probe reach this many probes'
# rows (or when it is the last): the probe then costs a few percent of the training time
# whatever the table's size.
EVERY = 2
_SEED = 0x7AB6A5  # the probe's generator: fixed, and apart from the fit's
_CHUNK = 2048


class EpochSelection:
    """Probes the sampling generator at the end of epochs and keeps the closest weights.

    Parameters
    ----------
    index:
        The softmax spans of the encoded table.
    conditions:
        The sampler whose ``sample_condition`` draws the probe's conditions (by the
        frequencies that sampling uses).
    target:
        The target one-way marginal of every softmax position ``(P,)``.
    pairs:
        The target two-way marginals ``(P, P)``, zero within a span; None to measure the
        one-way marginals only.
    embedding_dim:
        Size of the generator's noise vector.
    rows, start:
        Rows of the probe (``PROBE_ROWS``), and the share of training after which an
        epoch may be chosen (``START``).
    """

    def __init__(self, index: SpanIndex, conditions: ConditionalSampler, target: torch.Tensor,
                 pairs: torch.Tensor | None, *, embedding_dim: int, rows: int | None = None,
                 start: float | None = None):
        self.index = index
        self.conditions = conditions
        self.target = target
        self.pairs = pairs
        self.embedding_dim = embedding_dim
        self.rows = PROBE_ROWS if rows is None else rows
        self.start = START if start is None else start
        self.device = target.device
        self.best_gap = math.inf
        self.best_epoch: int | None = None
        self.best_weights: dict[str, torch.Tensor] | None = None
        self.rows_since = 0  # rows trained since the last probe

    @torch.no_grad()
    def gap(self, generator, activation: OutputActivation) -> float:
        """The probe's marginal gap for ``generator`` as it is now."""
        rng = torch.Generator(device=self.device).manual_seed(_SEED)
        lay = self.index
        n_soft = len(lay.soft_index)
        counts = torch.zeros(n_soft, device=self.device)
        joint = (torch.zeros(n_soft, n_soft, device=self.device)
                 if self.pairs is not None else None)
        was_training = generator.training
        generator.eval()
        for start in range(0, self.rows, _CHUNK):
            m = min(_CHUNK, self.rows - start)
            z = torch.randn(m, self.embedding_dim, generator=rng, device=self.device)
            if self.conditions.n_columns:
                z = torch.cat([z, self.conditions.sample_condition(m, rng).vector], dim=1)
            scores = activation.sample_scores(generator.infer(z), rng, generator.chain)
            soft = scores[:, lay.soft_index].float()
            hot = span_draws(soft, lay).float()
            counts += hot.sum(dim=0)
            if joint is not None:
                joint += hot.T @ hot
        generator.train(was_training)
        joint = None if joint is None else joint / self.rows
        return float(marginal_gap(counts / self.rows, self.target, lay, joint, self.pairs))

    def consider(self, generator, activation: OutputActivation, *, epoch: int,
                 progress: float, trained_rows: int, last: bool) -> float | None:
        """After an epoch of ``trained_rows`` rows: probe ``generator`` when it is due (or
        ``last``), and keep its weights when the epoch may be chosen (``progress`` past
        ``start``) and is the closest so far. Returns the gap, or None when not probed.
        Under a process group every rank takes the same decisions."""
        self.rows_since += trained_rows
        if not distributed.agree(last or self.rows_since >= EVERY * self.rows):
            return None
        self.rows_since = 0
        gap = self.gap(generator, activation)
        if distributed.agree(progress >= self.start) and gap < self.best_gap:
            self.best_gap, self.best_epoch = gap, epoch
            self.best_weights = {k: v.detach().clone()
                                 for k, v in generator.state_dict().items()}
        return gap

    def apply(self, generator) -> None:
        """Give ``generator`` the kept weights (nothing when none were kept)."""
        if self.best_weights is not None:
            generator.load_state_dict(self.best_weights)

    def state_dict(self) -> dict:
        return {"gap": self.best_gap, "epoch": self.best_epoch, "rows_since": self.rows_since,
                "weights": self.best_weights}

    def load_state_dict(self, state: dict) -> None:
        self.best_gap = float(state["gap"])
        self.best_epoch = None if state["epoch"] is None else int(state["epoch"])
        self.rows_since = int(state["rows_since"])
        weights = state["weights"]
        self.best_weights = (None if weights is None else
                             {k: v.to(self.device) for k, v in weights.items()})
