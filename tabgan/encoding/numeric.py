"""Mode-specific normalization of numeric columns (continuous, integer, datetime).

A value ``x`` of a column with a fitted Gaussian mixture becomes
``alpha = (x - mu_k) / (4 sigma_k)``, clipped to +-0.99 (one ``tanh`` span), plus the
one-hot of its mode ``k``, sampled from the posterior (one ``softmax`` span). A column with
nulls has one more slot in its mode span that marks a null. Datetimes are modelled in
epoch seconds (see :mod:`tabgan.table.datetimes`).
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

__all__ = ["ALPHA_CLIP", "NumericCodec", "grid_mixture"]

ALPHA_CLIP = 0.99
_ROW_CHUNK = 65_536


class NumericCodec:
    """Continuous, integer or datetime values through a Gaussian mixture.

    ``fit_statistics`` takes the range, null rate and (for datetimes) step; the mixture is
    fitted by the transformer for all numeric columns at once and set as ``mixture``.
    """

    def __init__(self, meta: ColumnMetadata):
        self.meta = meta
        self.nullable = False
        self.low = self.high = 0.0
        self.step_ns = 1  # datetime rounding step
        # False when the statistics were released under DP: out-of-range values and
        # unexpected nulls are then coerced by rule rather than refused.
        self.strict = True
        self.mixture: Mixture | None = None
        self.unit = datetimes.column_unit(meta.dtype, meta.datetime_format)
        self.int_limits = _integer_limits(meta.dtype)

    def fit_statistics(self, stat: ColumnStatistics) -> None:
        self.nullable = bool(stat.nullable)
        self.low, self.high = (float(b) for b in stat.bounds)
        self.step_ns = int(stat.step_ns) if self.meta.kind == "datetime" else 1
        self.strict = bool(stat.exact)

    @property
    def n_modes(self) -> int:
        return len(self.mixture.weights) + int(self.nullable)

    @property
    def spans(self) -> list[tuple[int, str]]:
        return [(1, TANH), (self.n_modes, SOFTMAX)]

    def encode(self, series: pd.Series, rng: np.random.Generator):
        """Alphas ``(n,)`` and mode indices ``(n,)`` of ``series`` (a null's mode is the
        slot after the mixture's modes)."""
        # Under DP (not strict) a value that is not a number or date of the column reads
        # as a null, by rule: no single record can make the fit refuse.
        values = numeric_values(series, self.meta, errors="raise" if self.strict else "coerce")
        null = np.isnan(values)
        if null.any() and not self.nullable and not self.strict:
            # Released statistics without a null slot: a null becomes the mixture's mean.
            values = np.where(null, float(self.mixture.weights @ self.mixture.means), values)
            null = np.zeros_like(null)
        if null.any() and not self.nullable:
            raise UnexpectedNullError(
                f"column {self.meta.name!r} had no nulls when the transformer was fitted but "
                "has some now; fill them, or declare the column nullable in the metadata."
            )
        mix = self.mixture
        k_modes = len(mix.weights)
        alphas = np.empty(len(values), dtype=np.float32)
        modes = np.empty(len(values), dtype=np.int64)
        for start in range(0, len(values), _ROW_CHUNK):
            x = values[start : start + _ROW_CHUNK]
            nul = null[start : start + _ROW_CHUNK]
            xs = np.where(nul, mix.means[0], x)
            log_post = mixture_log_posterior(mix, xs)
            # Sample a mode from the posterior (Gumbel-max), not the argmax.
            gumbel = -np.log(-np.log(rng.random(log_post.shape).clip(1e-300, 1.0)))
            mode = np.argmax(log_post + gumbel, axis=1)
            alpha = (xs - mix.means[mode]) / (4.0 * mix.stds[mode])
            alpha = np.clip(alpha, -ALPHA_CLIP, ALPHA_CLIP)
            alpha[nul] = 0.0
            mode[nul] = k_modes
            alphas[start : start + len(x)] = alpha
            modes[start : start + len(x)] = mode
        return alphas, modes

    def decode(self, block: np.ndarray, rng: np.random.Generator) -> pd.Series:
        """Values from a block of generator output: the alpha, then the mode scores."""
        mix = self.mixture
        alpha = np.clip(block[:, 0].astype(np.float64), -1.0, 1.0)
        mode = np.argmax(block[:, 1 : 1 + self.n_modes], axis=1)
        null = mode >= len(mix.weights)
        mode = np.minimum(mode, len(mix.weights) - 1)
        x = alpha * 4.0 * mix.stds[mode] + mix.means[mode]
        x = np.clip(x, self.low, self.high)
        if self.meta.kind == "integer" or self.int_limits is not None:
            x = np.round(x)
        if self.int_limits is not None:
            # float(2**63 - 1) is 2**63, which an int64 cast would wrap to -2**63.
            x = np.clip(x, *self.int_limits)
        x[null] = np.nan
        return self._restore(x)

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
            "nullable": self.nullable,
            "low": self.low,
            "high": self.high,
            "step_ns": self.step_ns,
            "mixture": self.mixture.state_dict(),
        }

    def load_state_dict(self, state: Mapping) -> None:
        self.nullable = bool(state["nullable"])
        self.low, self.high = float(state["low"]), float(state["high"])
        self.step_ns = int(state["step_ns"])
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
