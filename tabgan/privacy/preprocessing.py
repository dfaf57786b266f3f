"""Private preprocessing: the only code that reads real values under DP, besides DP-SGD.

One Gaussian-mechanism histogram per numeric column on a grid fixed by public bounds (or by
a first, coarse histogram on a data-independent grid when no bounds are given), and noisy
category counts per categorical column, thresholded so that a category held by few rows is
not revealed. Each is a line of the ledger. The results are
:class:`~tabgan.encoding.statistics.ColumnStatistics`, the same records a fit without DP
reads off the data, so the encoder is fitted the same way.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.special import ndtri

from tabgan.encoding.statistics import ColumnStatistics, numeric_values
from tabgan.errors import PrivacyError
from tabgan.privacy.accounting import preprocessing_noise
from tabgan.privacy.ledger import Mechanism
from tabgan.table.columns import to_json_scalar

__all__ = ["HISTOGRAM_BINS", "private_statistics"]

# Fine histogram bins per numeric column; coarse bins per decade for unbounded columns.
HISTOGRAM_BINS = 100
_COARSE_PER_DECADE = 4
_COARSE_DECADES = 15  # |x| up to 1e15 (datetimes in seconds are ~1e9)


_SECOND_NS = 10**9


def _isf(p: float) -> float:
    """The standard normal's inverse survival function (``scipy.stats.norm.isf``)."""
    return float(-ndtri(p))  # released datetimes are restored to whole seconds


def private_statistics(
    data: pd.DataFrame,
    metadata,
    *,
    epsilon: float,
    delta: float,
    accountant: str,
    rng: np.random.Generator,
) -> tuple[list[ColumnStatistics], list[Mechanism], list[str]]:
    """Compute every column's statistics with Gaussian noise costing ``epsilon``.

    Returns the statistics, the ledger lines, and the public facts used.
    """
    columns = [c for c in metadata.columns if c.kind != "id"]
    public: list[str] = []
    plans = []
    count = 0
    for meta in columns:
        if meta.kind == "categorical":
            plans.append((meta, "counts"))
            count += 1
            if meta.categories is not None:
                public.append(f"categories of {meta.name!r}")
        elif meta.bounds is not None:
            # Public bounds: the encoding is built from them alone, and nothing about this
            # column is read.
            public.append(f"bounds of {meta.name!r}")
            plans.append((meta, "public"))
        else:
            plans.append((meta, "range+histogram"))
            count += 2
    discover = [m for m, how in plans if how == "counts" and m.categories is None]
    extra_delta_total = delta * 0.1 if discover else 0.0
    delta_per_column = extra_delta_total / max(len(discover), 1)
    sigma = preprocessing_noise(count, epsilon, delta - extra_delta_total, accountant)

    stats: list[ColumnStatistics] = []
    mechanisms: list[Mechanism] = []
    threshold_null = 1.0 + sigma * _isf(1e-3) if math.isfinite(sigma) else 0.5
    for meta, how in plans:
        series = data[meta.name]
        if how == "public":
            nullable = True if meta.nullable is None else bool(meta.nullable)
            stats.append(ColumnStatistics(meta.name, meta.kind, bounds=meta.numeric_bounds(),
                                          nullable=nullable, step_ns=_step(meta),
                                          exact=False))
        elif how == "counts":
            stat, extra = _private_counts(meta, series, sigma, delta_per_column, rng)
            mechanisms.append(
                Mechanism("preprocessing", f"category counts of {meta.name!r}", sigma,
                          extra_delta=extra)
            )
            stats.append(stat)
        else:
            values = numeric_values(series, meta)
            low, high = _private_range(values, sigma, rng)
            mechanisms.append(Mechanism("preprocessing", f"range of {meta.name!r}", sigma))
            stats.append(_private_histogram(meta, values, low, high, sigma, rng, threshold_null))
            mechanisms.append(Mechanism("preprocessing", f"histogram of {meta.name!r}", sigma))
    return stats, mechanisms, public


def _step(meta) -> int:
    return _SECOND_NS if meta.kind == "datetime" else 1


def _private_counts(meta, series: pd.Series, sigma: float, delta_column: float, rng):
    """Noisy counts per category (null included); unknown domains are thresholded."""
    values = series.astype(object).where(series.notna(), None).map(to_json_scalar)
    observed = values.value_counts(dropna=False)
    counts = {k if not (isinstance(k, float) and math.isnan(k)) else None: float(v)
              for k, v in observed.items()}
    if meta.categories is not None:
        domain = list(meta.categories)
        if None not in domain:
            domain.append(None)
        noisy = [counts.get(c, 0.0) + sigma * rng.standard_normal() for c in domain]
        return ColumnStatistics(meta.name, "categorical", domain,
                                [max(0.0, v) for v in noisy], exact=False), 0.0
    threshold = 1.0 + sigma * _isf(delta_column)
    released, released_counts = [], []
    null_noisy = counts.get(None, 0.0) + sigma * rng.standard_normal()
    for category, c in counts.items():
        if category is None:
            continue
        noisy = c + sigma * rng.standard_normal()
        if noisy > threshold:  # a suppressed category is encoded as missing at training
            released.append(category)
            released_counts.append(noisy)
    if not released:
        raise PrivacyError(
            f"no category of column {meta.name!r} is frequent enough to be released under "
            "this privacy budget; list its categories in the metadata, raise epsilon, or "
            "drop the column."
        )
    order = np.argsort(-np.asarray(released_counts), kind="stable")
    categories = [released[i] for i in order] + [None]
    noisy_counts = [released_counts[i] for i in order] + [max(0.0, null_noisy)]
    return ColumnStatistics(meta.name, "categorical", categories, noisy_counts,
                            exact=False), delta_column


def _coarse_edges() -> np.ndarray:
    """Data-independent edges: 0 and +-10^(k/4) for k over 15 decades each way."""
    powers = 10.0 ** (np.arange(-_COARSE_PER_DECADE * 3, _COARSE_PER_DECADE * _COARSE_DECADES + 1)
                      / _COARSE_PER_DECADE)
    return np.concatenate([-powers[::-1], [0.0], powers])


def _private_range(values: np.ndarray, sigma: float, rng) -> tuple[float, float]:
    """A (low, high) range from a noisy histogram on a data-independent log grid.

    Bins whose noisy count stays under a threshold that pure noise crosses in fewer than 5%
    of runs (over all bins together) count as empty; the range spans the 0.05% to 99.95%
    quantiles of what remains. Everything after the noise is post-processing.
    """
    finite = values[np.isfinite(values)]
    edges = _coarse_edges()
    clipped = np.clip(finite, edges[0], edges[-1])
    hist = np.histogram(clipped, bins=edges)[0].astype(float)
    noisy = hist + sigma * rng.standard_normal(len(hist))
    threshold = sigma * _isf(0.05 / len(hist))
    kept = np.where(noisy > threshold, noisy, 0.0)
    if kept.sum() <= 0:
        top = int(np.argmax(noisy))
        return float(edges[top]), float(edges[top + 1])
    cum = np.cumsum(kept) / kept.sum()
    first = int(np.searchsorted(cum, 0.0005, side="right"))
    last = int(np.searchsorted(cum, 0.9995, side="left"))
    return float(edges[first]), float(edges[min(last, len(hist) - 1) + 1])


def _private_histogram(meta, values, low, high, sigma, rng, threshold_null) -> ColumnStatistics:
    """Noisy counts on HISTOGRAM_BINS bins over [low, high] (integer steps when the column
    is integer with a small range), plus a noisy null count."""
    if high <= low:
        high = low + 1.0
    if meta.kind == "integer" and high - low + 1 <= HISTOGRAM_BINS:
        edges = np.arange(math.floor(low), math.ceil(high) + 2) - 0.5
    else:
        edges = np.linspace(low, high, HISTOGRAM_BINS + 1)
    finite = values[np.isfinite(values)]
    hist = np.histogram(np.clip(finite, edges[0], edges[-1]), bins=edges)[0].astype(float)
    noisy = np.maximum(hist + sigma * rng.standard_normal(len(hist)), 0.0)
    null_noisy = float(np.isnan(values).sum()) + sigma * rng.standard_normal()
    null_count = null_noisy if null_noisy > threshold_null else 0.0
    return ColumnStatistics(
        meta.name,
        meta.kind,
        support=(edges[:-1] + edges[1:]) / 2,  # the mixture is fitted to the bin centres
        counts=noisy,
        bounds=(float(max(low, edges[0])), float(min(high, edges[-1]))),
        nullable=null_count > 0,
        null_count=null_count,
        step_ns=_step(meta),
        exact=False,
    )
