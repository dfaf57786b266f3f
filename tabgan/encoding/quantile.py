"""Quantile bins: a numeric column as its quantile function cut into bins.

A column's values are split in two parts:

- **spikes**: exact values that hold at least one bin's share of the rows (a 90% share of
  zeros, a 40-hours week). Each is a mode of its own and comes back exactly.
- the **rest**, through its quantile function ``Q``: its probability range [0, 1] is cut into
  ``n_bins`` bins of equal probability (fewer when the rest holds less of the column). A
  value ``x`` of the rest becomes the bin of its quantile level ``u = F(x)`` and, as alpha,
  its position inside that bin (-0.99 at the bin's lower edge, +0.99 at its upper edge,
  the range ``tanh`` reaches); going back, ``x = Q(u)``.

A column with at most ``n_bins`` distinct values is all spikes: every value is a mode, as a
category would be. Otherwise ``Q`` is kept exactly, as the sorted distinct values and their
cumulative shares, while there are at most ``MAX_STEPS`` of them (a value then comes back
as one of the values seen, and ties are spread over their share of ``u`` at random); beyond
that, as ``KNOTS`` quantiles joined by straight lines (a value held by many rows keeps a
flat run, and comes back exactly). Released (DP) statistics are
histograms: their quantile function is drawn through the bins by straight lines, unless the
column is integer and the bins are its integers (one integer each); the exact values they
release beside the bins (a count of zeros) are spikes.

Compared with a Gaussian mixture, every value is reached (the tails as well as the
middle), outliers stay in the top or bottom quantiles instead of stretching a mode over the
range, and each bin holds a known share of the rows, which the generator's marginal term
can match.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from tabgan.encoding.numeric import ALPHA_CLIP, NumericCodec
from tabgan.encoding.statistics import ColumnStatistics
from tabgan.table.columns import ColumnMetadata

__all__ = ["QuantileCodec", "DEFAULT_BINS", "MAX_STEPS", "KNOTS"]

DEFAULT_BINS = 16
MAX_STEPS = 4096  # distinct values up to which the quantile function is kept exactly
KNOTS = 1025  # quantiles kept beyond that, joined by straight lines


class QuantileCodec(NumericCodec):
    """Spikes as exact modes; the rest as bins of equal probability of its quantile
    function, with the position inside a bin as alpha."""

    encoding = "quantile"

    def __init__(self, meta: ColumnMetadata, n_bins: int = DEFAULT_BINS):
        super().__init__(meta)
        self.n_bins = int(n_bins)
        self.spikes = np.zeros(0)  # the exact values with modes of their own
        self.spike_weights = np.zeros(0)
        self.rest_weight = 1.0  # share of the non-null values that are not spikes
        self.n_rest = 0  # bins of the rest
        self.levels = np.zeros(0)  # Q: cumulative shares of the rest (knot levels) ...
        self.values = np.zeros(0)  # ... and the values at them
        self.steps = True  # Q is a step function of the values (else straight lines)

    # ------------------------------------------------------------------ fit
    def fit_statistics(self, stat: ColumnStatistics) -> None:
        super().fit_statistics(stat)
        if stat.support is None:  # public bounds only: uniform over the range
            self._fit_histogram(np.array([(self.low + self.high) / 2]), np.ones(1))
            return
        values = np.asarray(stat.support, dtype=np.float64)
        weights = (np.ones(len(values)) if stat.counts is None
                   else np.asarray(stat.counts, dtype=np.float64))
        finite = np.isfinite(values) & (weights >= 0)
        values, weights = values[finite], weights[finite]
        if not np.any(weights > 0):
            values, weights = np.array([self.low]), np.array([1.0])
        order = np.argsort(values, kind="stable")
        values, weights = values[order], weights[order]
        distinct, first = np.unique(values, return_index=True)
        mass = np.add.reduceat(weights, first)
        mass = mass / mass.sum()
        held = mass > 0
        if stat.exact or (self.meta.kind == "integer" and _unit_steps(distinct[held])):
            self._fit_shares(distinct[held], mass[held])
        else:  # a released histogram: its bin centres and noisy counts, and exact spikes
            exact = (np.isin(distinct, stat.spikes) if stat.spikes is not None
                     else np.zeros(len(distinct), dtype=bool))
            # empty bins between held ones stay: each bin keeps its own edges, and no
            # value is drawn inside an empty one
            inner = ~exact & held
            if inner.any():
                index, bins = np.arange(len(distinct)), np.flatnonzero(inner)
                inner = ~exact & (index >= bins[0]) & (index <= bins[-1])
            spikes = exact & held
            self._fit_histogram(distinct[inner], mass[inner], distinct[spikes], mass[spikes])

    def _fit_histogram(self, centres: np.ndarray, mass: np.ndarray,
                       spikes: np.ndarray | None = None,
                       spike_mass: np.ndarray | None = None) -> None:
        """``spikes`` as exact modes; the rest's ``Q`` through the bins by straight lines,
        each bin's share spread evenly between its edges (half-way to the next centres,
        and the range's ends); a bin of zero mass gets no value."""
        spikes = np.zeros(0) if spikes is None else spikes
        spike_mass = np.zeros(0) if spike_mass is None else spike_mass
        self.spikes, self.spike_weights = spikes, spike_mass
        self.rest_weight = float(max(1.0 - spike_mass.sum(), 0.0))
        if len(centres) == 0 or self.rest_weight <= 0:
            self.n_rest, self.levels, self.values, self.steps = 0, np.zeros(0), np.zeros(0), True
            return
        if len(centres) > 1:
            mid = (centres[1:] + centres[:-1]) / 2
            first = max(self.low, centres[0] - (mid[0] - centres[0]))
            last = min(self.high, centres[-1] + (centres[-1] - mid[-1]))
            edges = np.r_[first, mid, last]
        else:
            edges = np.array([self.low, self.high])
        cdf = np.r_[0.0, np.cumsum(mass)]
        cdf = cdf / cdf[-1]
        # at least a quarter of the bins: positions inside a released bin are drawn, not
        # generated, so the rest's dependence on the other columns is carried by its bins
        least = max(1, self.n_bins // 4)
        self.n_rest = int(np.clip(round(self.n_bins * self.rest_weight), least, self.n_bins))
        # Q through the bin edges themselves: an empty bin is a flat run of the levels,
        # inside which no level falls
        self.steps = False
        self.levels, self.values = cdf, edges

    def _fit_shares(self, distinct: np.ndarray, mass: np.ndarray) -> None:
        """Split distinct values and their shares into spikes and the rest's ``Q``."""
        if len(distinct) <= self.n_bins:
            spike = np.ones(len(distinct), dtype=bool)
        else:
            spike = mass >= 1.0 / self.n_bins
        self.spikes, self.spike_weights = distinct[spike], mass[spike]
        rest, rest_mass = distinct[~spike], mass[~spike]
        self.rest_weight = float(rest_mass.sum())
        if len(rest) == 0:
            self.n_rest, self.levels, self.values, self.steps = 0, np.zeros(0), np.zeros(0), True
            return
        self.n_rest = int(np.clip(round(self.n_bins * self.rest_weight), 1, self.n_bins))
        cum = np.cumsum(rest_mass) / self.rest_weight
        if len(rest) <= MAX_STEPS:
            self.steps = True
            self.levels, self.values = np.minimum(cum, 1.0), rest
        else:
            self.steps = False
            # KNOTS quantiles of the step function, joined by straight lines: a value held
            # by more than one knot's share of the rows keeps a flat run, so it comes back
            # exactly; between knots, values are drawn on the line.
            grid = np.linspace(0.0, 1.0, KNOTS)
            index = np.minimum(np.searchsorted(cum, grid, side="left"), len(rest) - 1)
            self.levels, self.values = grid, rest[index]

    # ------------------------------------------------------------------ modes
    @property
    def mode_weights(self) -> np.ndarray:
        rest = np.full(self.n_rest, self.rest_weight / max(self.n_rest, 1))
        return np.r_[rest, self.spike_weights]

    def _fill(self) -> float:
        return float(self._quantile(np.array([0.5]))[0]) if self.n_rest else \
            float(self.spikes[np.argmax(self.spike_weights)])

    def _quantile(self, u: np.ndarray) -> np.ndarray:
        """``Q(u)`` of the rest, for levels in [0, 1]."""
        if self.steps:
            index = np.searchsorted(self.levels, u, side="left")
            return self.values[np.minimum(index, len(self.values) - 1)]
        return np.interp(u, self.levels, self.values)

    def _level(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """``F(x)`` of the rest: a level in [0, 1] whose ``Q`` gives ``x`` back (for a step
        function, uniform over the value's share, so that ties spread over it)."""
        if self.steps:
            index = np.clip(np.searchsorted(self.values, x, side="left"), 0,
                            len(self.values) - 1)
            upper = self.levels[index]
            lower = np.where(index > 0, self.levels[np.maximum(index - 1, 0)], 0.0)
            # away from the share's ends, so that float32 alphas land inside it
            return lower + (0.01 + 0.98 * rng.random(len(x))) * (upper - lower)
        # the inverse of the straight lines; flat runs (equal knot values) take their middle
        values, first = np.unique(self.values, return_index=True)
        last = np.r_[first[1:] - 1, len(self.values) - 1]
        mid = (self.levels[first] + self.levels[last]) / 2
        return np.interp(x, values, mid)

    def _encode_values(self, x: np.ndarray, rng: np.random.Generator):
        n_spikes = len(self.spikes)
        alpha = np.zeros(len(x))
        mode = np.zeros(len(x), dtype=np.int64)
        spike = np.zeros(len(x), dtype=bool)
        if n_spikes:
            at = np.clip(np.searchsorted(self.spikes, x), 0, n_spikes - 1)
            spike = self.spikes[at] == x
            mode[spike] = self.n_rest + at[spike]
        rest = ~spike
        if self.n_rest and rest.any():
            u = self._level(x[rest], rng) * self.n_rest
            k = np.clip(np.floor(u), 0, self.n_rest - 1)
            mode[rest] = k.astype(np.int64)
            # scaled, not clipped, into the range tanh reaches: the whole bin stays reachable
            alpha[rest] = ALPHA_CLIP * (2.0 * (u - k) - 1.0)
        elif rest.any():  # a value that is no spike, and no rest: the nearest spike
            mode[~spike] = self.n_rest + _nearest(self.spikes, x[~spike])
        return alpha, mode

    def _position(self, alpha: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """A released histogram's bins: the position inside a bin is drawn from the
        released shape (uniform in ``u``), not read from the generator, whose positions a
        noisy critic cannot teach (they piled a DP fit's ages on every other integer)."""
        if not self.drawn_positions:
            return alpha
        return rng.uniform(-ALPHA_CLIP, ALPHA_CLIP, len(alpha))

    def _decode_values(self, alpha: np.ndarray, mode: np.ndarray) -> np.ndarray:
        x = np.empty(len(alpha))
        rest = mode < self.n_rest
        if rest.any():
            position = np.clip((alpha[rest] / ALPHA_CLIP + 1.0) / 2.0, 0.0, 1.0)
            u = (mode[rest] + position) / self.n_rest
            x[rest] = self._quantile(np.clip(u, 0.0, 1.0))
        if (~rest).any():
            x[~rest] = self.spikes[mode[~rest] - self.n_rest]
        return x

    # ------------------------------------------------------------------ state
    def _modes_state(self) -> dict:
        return {
            "n_bins": self.n_bins,
            "spikes": self.spikes.tolist(),
            "spike_weights": self.spike_weights.tolist(),
            "rest_weight": self.rest_weight,
            "n_rest": self.n_rest,
            "levels": self.levels.tolist(),
            "values": self.values.tolist(),
            "steps": self.steps,
        }

    def _load_modes(self, state: Mapping) -> None:
        self.n_bins = int(state["n_bins"])
        self.spikes = np.asarray(state["spikes"], dtype=np.float64)
        self.spike_weights = np.asarray(state["spike_weights"], dtype=np.float64)
        self.rest_weight = float(state["rest_weight"])
        self.n_rest = int(state["n_rest"])
        self.levels = np.asarray(state["levels"], dtype=np.float64)
        self.values = np.asarray(state["values"], dtype=np.float64)
        self.steps = bool(state["steps"])


def _nearest(sorted_values: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The index of the nearest of ``sorted_values`` to each of ``x``."""
    right = np.clip(np.searchsorted(sorted_values, x), 0, len(sorted_values) - 1)
    left = np.maximum(right - 1, 0)
    closer_left = np.abs(x - sorted_values[left]) <= np.abs(x - sorted_values[right])
    return np.where(closer_left, left, right)


def _unit_steps(values: np.ndarray) -> bool:
    """Whether sorted ``values`` are integers of which two are one apart (or only one):
    released bins of one integer each, not wider bins whose centres happen to be whole."""
    if not np.all(values == np.round(values)):
        return False
    return len(values) < 2 or float(np.min(np.diff(values))) == 1.0
