"""Numeric columns (continuous, integer, datetime): an alpha and a one-hot mode.

Every numeric codec turns a value into one ``tanh`` span (its alpha, in [-1, 1]) and one
``softmax`` span over its modes, plus a slot that marks a null when the column has nulls.
What a mode is depends on the codec:

- :class:`MixtureCodec`: CTGAN's mode-specific normalization. A Gaussian mixture is fitted
  to the column; a value ``x`` becomes ``alpha = (x - mu_k) / (4 sigma_k)``, clipped to
  +-0.99, and the one-hot of its mode ``k``, sampled from the posterior.
- :class:`~tabgan.encoding.quantile.QuantileCodec`: the column's quantile function cut into
  bins of equal probability, frequent exact values in bins of their own.

The range the values are clipped to, nulls, rounding and the restored dtype are shared
here. Datetimes are modelled in epoch seconds (see :mod:`tabgan.table.datetimes`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from tabgan.encoding.layout import SOFTMAX, TANH
from tabgan.encoding.mixture import Mixture, mixture_log_posterior
from tabgan.encoding.statistics import ColumnStatistics, numeric_values
from tabgan.errors import UnexpectedNullError
from tabgan.table import datetimes
from tabgan.table.columns import ColumnMetadata

__all__ = ["ALPHA_CLIP", "NumericCodec", "MixtureCodec", "grid_mixture"]

ALPHA_CLIP = 0.99
_ROW_CHUNK = 65_536


class NumericCodec:
    """What every numeric codec shares: the range, nulls, the datetime step, rounding and
    the restored dtype. Subclasses say what a mode is (``_encode_values``,
    ``_decode_values``, ``mode_weights``, ``_modes_state``)."""

    encoding = ""

    def __init__(self, meta: ColumnMetadata):
        self.meta = meta
        self.nullable = False
        self.low = self.high = 0.0
        self.step_ns = 1  # datetime rounding step
        # False when the statistics were released under DP: out-of-range values and
        # unexpected nulls are then coerced by rule rather than refused.
        self.strict = True
        self.drawn_positions = False
        self.unit = datetimes.column_unit(meta.dtype, meta.datetime_format)
        self.int_limits = _integer_limits(meta.dtype)
        self.decimals: int | None = None  # continuous values are rounded to these digits

    def fit_statistics(self, stat: ColumnStatistics) -> None:
        self.nullable = bool(stat.nullable)
        self.low, self.high = (float(b) for b in stat.bounds)
        self.step_ns = int(stat.step_ns) if self.meta.kind == "datetime" else 1
        self.strict = bool(stat.exact)
        # a released histogram's bins: their inner shape is the release's (see _position)
        self.drawn_positions = not stat.exact and stat.support is not None
        self.decimals = stat.decimals if stat.decimals is not None else self.meta.decimals

    @property
    def mode_weights(self) -> np.ndarray:
        """The share of the non-null values in each mode."""
        raise NotImplementedError

    def slot_marginal(self, stat: ColumnStatistics) -> np.ndarray | None:
        """The modes' shares and the null share, from released ``stat`` (its counts); None
        where no values are known (public bounds only)."""
        if stat.support is None:
            return None
        total = max(float(np.sum(stat.counts)), 1e-12)
        null_share = stat.null_count / (total + stat.null_count) if self.nullable else 0.0
        weights = self.mode_weights * (1.0 - null_share)
        return np.append(weights, null_share) if self.nullable else weights

    @property
    def n_modes(self) -> int:
        return len(self.mode_weights) + int(self.nullable)

    @property
    def spans(self) -> list[tuple[int, str]]:
        return [(1, TANH), (self.n_modes, SOFTMAX)]

    def _fill(self) -> float:
        """The value a null takes when the column has no null slot (released statistics)."""
        raise NotImplementedError

    def encode(self, series: pd.Series, rng: np.random.Generator):
        """Alphas ``(n,)`` and mode indices ``(n,)`` of ``series`` (a null's mode is the
        slot after the column's modes)."""
        # Under DP (not strict) a value that is not a number or date of the column reads
        # as a null, by rule: no single record can make the fit refuse.
        values = numeric_values(series, self.meta, errors="raise" if self.strict else "coerce")
        null = np.isnan(values)
        if null.any() and not self.nullable and not self.strict:
            values = np.where(null, self._fill(), values)
            null = np.zeros_like(null)
        if null.any() and not self.nullable:
            raise UnexpectedNullError(
                f"column {self.meta.name!r} had no nulls when the transformer was fitted but "
                "has some now; fill them, or declare the column nullable in the metadata."
            )
        k_modes = len(self.mode_weights)
        alphas = np.empty(len(values), dtype=np.float32)
        modes = np.empty(len(values), dtype=np.int64)
        for start in range(0, len(values), _ROW_CHUNK):
            nul = null[start : start + _ROW_CHUNK]
            x = values[start : start + _ROW_CHUNK]
            alpha, mode = self._encode_values(np.where(nul, self.low, x), rng)
            alpha = np.clip(alpha, -ALPHA_CLIP, ALPHA_CLIP)
            alpha[nul] = 0.0
            mode[nul] = k_modes
            alphas[start : start + len(x)] = alpha
            modes[start : start + len(x)] = mode
        return alphas, modes

    def decode(self, block: np.ndarray, rng: np.random.Generator) -> pd.Series:
        """Values from a block of generator output: the alpha, then the mode scores."""
        k_modes = len(self.mode_weights)
        alpha = np.clip(block[:, 0].astype(np.float64), -1.0, 1.0)
        mode = np.argmax(block[:, 1 : 1 + self.n_modes], axis=1)
        null = mode >= k_modes
        alpha = self._position(alpha, rng)
        x = self._decode_values(alpha, np.minimum(mode, k_modes - 1))
        x = np.clip(x, self.low, self.high)
        if self.meta.kind == "integer" or self.int_limits is not None:
            x = np.round(x)
        elif self.decimals is not None and self.meta.kind == "continuous":
            x = np.round(x, self.decimals)  # the input's precision: 116.63, not 116.6285...
        if self.int_limits is not None:
            # float(2**63 - 1) is 2**63, which an int64 cast would wrap to -2**63.
            x = np.clip(x, *self.int_limits)
        x[null] = np.nan
        return self._restore(x)

    def _position(self, alpha: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """The alphas a decode reads (the generator's own, unless a codec says otherwise)."""
        return alpha

    def _restore(self, x: np.ndarray) -> pd.Series:
        meta = self.meta
        if meta.kind == "datetime":
            return datetimes.restore(x, unit=self.unit, step_ns=self.step_ns, dtype=meta.dtype,
                                     datetime_format=meta.datetime_format)
        series = pd.Series(x)
        if not meta.dtype:
            return series
        dtype = pd.api.types.pandas_dtype(meta.dtype)
        if _null_free_integer(dtype) and series.isna().any():
            # nulls in a column whose dtype cannot hold them (int64 declared nullable, say):
            # the nullable integer dtype of the same width instead of a failed cast
            return series.astype(dtype.name.capitalize().replace("Uint", "UInt"))
        return series.astype(dtype)

    def state_dict(self) -> dict:
        return {
            "encoding": self.encoding,
            "nullable": self.nullable,
            "low": self.low,
            "high": self.high,
            "step_ns": self.step_ns,
            **self._modes_state(),
            "decimals": self.decimals,
            "drawn_positions": self.drawn_positions,
        }

    def load_state_dict(self, state: Mapping) -> None:
        self.nullable = bool(state["nullable"])
        self.low, self.high = float(state["low"]), float(state["high"])
        self.step_ns = int(state["step_ns"])
        self._load_modes(state)
        self.decimals = state.get("decimals")  # absent from older model files: no rounding
        self.drawn_positions = bool(state.get("drawn_positions", False))  # ... and none


class MixtureCodec(NumericCodec):
    """Mode-specific normalization through a Gaussian mixture. The mixture is fitted by the
    transformer for all such columns at once and set as ``mixture``."""

    encoding = "mixture"

    def __init__(self, meta: ColumnMetadata):
        super().__init__(meta)
        self.mixture: Mixture | None = None

    @property
    def mode_weights(self) -> np.ndarray:
        return self.mixture.weights

    def _fill(self) -> float:
        return float(self.mixture.weights @ self.mixture.means)

    def _encode_values(self, x: np.ndarray, rng: np.random.Generator):
        mix = self.mixture
        log_post = mixture_log_posterior(mix, x)
        # Sample a mode from the posterior (Gumbel-max), not the argmax.
        gumbel = -np.log(-np.log(rng.random(log_post.shape).clip(1e-300, 1.0)))
        mode = np.argmax(log_post + gumbel, axis=1)
        return (x - mix.means[mode]) / (4.0 * mix.stds[mode]), mode

    def _decode_values(self, alpha: np.ndarray, mode: np.ndarray) -> np.ndarray:
        mix = self.mixture
        return alpha * 4.0 * mix.stds[mode] + mix.means[mode]

    def _modes_state(self) -> dict:
        return {"mixture": self.mixture.state_dict()}

    def _load_modes(self, state: Mapping) -> None:
        self.mixture = Mixture.from_state_dict(state["mixture"])


def grid_mixture(low: float, high: float, modes: int) -> Mixture:
    """A data-free encoding of [low, high]: ``modes`` equal modes, evenly spaced, each
    covering its share of the range within +-2 standard deviations."""
    if high <= low:
        return Mixture(np.ones(1), np.array([low]), np.array([max(abs(low) * 1e-6, 1e-6)]))
    width = (high - low) / modes
    means = low + width * (np.arange(modes) + 0.5)
    return Mixture(np.full(modes, 1.0 / modes), means, np.full(modes, width / 2))


def _null_free_integer(dtype) -> bool:
    """A numpy integer dtype (it cannot hold a null)."""
    return isinstance(dtype, np.dtype) and dtype.kind in "iu"


def _integer_limits(dtype_name: str | None) -> tuple[float, float] | None:
    """The float range that casts safely to an integer dtype; None for other dtypes."""
    if dtype_name is None:
        return None
    try:
        dtype = pd.api.types.pandas_dtype(dtype_name)
    except TypeError:
        return None
    dtype = getattr(dtype, "numpy_dtype", dtype)
    if not isinstance(dtype, np.dtype) or dtype.kind not in "iu":
        return None
    info = np.iinfo(dtype)
    high = float(info.max)
    if high > info.max:
        high = float(np.nextafter(high, -np.inf))
    return float(info.min), high
