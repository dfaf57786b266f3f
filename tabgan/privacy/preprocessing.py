"""Private preprocessing: the only code that reads real values under DP, besides DP-SGD.

Every release is a Gaussian mechanism of L2 sensitivity 1 under add/remove adjacency (one
record changes one count by one), its noise drawn from the fit's secret generator:

- the **row count** (:func:`release_row_count`), with a small noise of its own: the
  sampling rate, the number of steps, the default delta and the DP recipe are computed
  from it, never from the exact count;
- per numeric column without public bounds, a coarse histogram for its **range** and a
  fine one for its **shape**, its null count and, where the range holds zero and the bins
  are not one integer each, its count of exact zeros (:mod:`tabgan.privacy.ranges`);
- per numeric column with public bounds, nothing, or only a noisy **null count** when the
  metadata leaves its nullability open and its dtype can hold nulls;
- per categorical column, noisy **category counts**, thresholded so that a category held by
  few rows is not revealed (the chance that a category held by one row clears the
  threshold is accounted as an extra delta).

Values are read by rules that no single record can turn into a refusal: an infinite value
is read as a null, a datetime string that does not parse in the declared format as a null,
a value of a type no category can hold as a value that is not released; a column with no
released category is generated as null. The results are
:class:`~tabgan.encoding.statistics.ColumnStatistics`, the records a fit without DP reads
off the data, so the encoder is fitted the same way.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import ndtri

from tabgan.encoding.statistics import ColumnStatistics, numeric_values
from tabgan.errors import PrivacyError
from tabgan.privacy import ranges
from tabgan.privacy.accounting import Mechanism, preprocessing_noise
from tabgan.table import datetimes
from tabgan.table.columns import ColumnMetadata, to_json_scalar

__all__ = [
    "ROW_COUNT",
    "PrivateRelease",
    "can_hold_nulls",
    "plan_queries",
    "query_count",
    "row_count_noise",
    "release_row_count",
    "private_statistics",
]

ROW_COUNT = "row count"
_SECOND_NS = 10**9
_SCALARS = (str, bool, int, float)


def _isf(p: float) -> float:
    """The standard normal's inverse survival function (``scipy.stats.norm.isf``)."""
    return float(-ndtri(p))


@dataclass
class PrivateRelease:
    """What the private preprocessing released, and on what it spent."""

    statistics: list[ColumnStatistics]
    mechanisms: list[Mechanism]
    public: list[str]  # the public facts of the metadata that were used
    estimated_ranges: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def can_hold_nulls(meta: ColumnMetadata) -> bool:
    """Whether the column's dtype can hold a null (numpy integer and bool dtypes cannot)."""
    if meta.dtype is None:
        return True
    try:
        dtype = pd.api.types.pandas_dtype(meta.dtype)
    except TypeError:
        return True
    return not (isinstance(dtype, np.dtype) and dtype.kind in "iub")


def _nullable(meta: ColumnMetadata) -> bool | None:
    """The nullability the schema fixes (declared, or a dtype that cannot hold nulls);
    None when it is left to a noisy null count."""
    if meta.nullable is not None:
        return bool(meta.nullable)
    return None if can_hold_nulls(meta) else False


def plan_queries(metadata) -> list[tuple[ColumnMetadata, str]]:
    """Each column (identifiers aside) with how it is released: ``"counts"``, ``"range"``
    (2 queries), ``"nulls"`` (public bounds, a noisy null count) or ``"public"`` (public
    bounds and nullability: nothing is read)."""
    plans = []
    for meta in metadata.columns:
        if meta.kind == "id":
            continue
        if meta.kind == "categorical":
            plans.append((meta, "counts"))
        elif meta.bounds is None:
            plans.append((meta, "range"))
        else:
            plans.append((meta, "public" if _nullable(meta) is not None else "nulls"))
    return plans


def query_count(plans) -> int:
    """The number of Gaussian mechanisms ``plans`` release (besides the row count)."""
    return sum({"counts": 1, "range": 2, "nulls": 1, "public": 0}[how] for _, how in plans)


def row_count_noise(epsilon: float) -> float:
    """The row count's noise multiplier: ``50 / epsilon``. Its Renyi divergence at order
    alpha is ``alpha * epsilon^2 / 5000``, a small fraction of any budget it composes with
    (well under 1% of epsilon), and the count is accurate to about 50 rows at epsilon 1."""
    return 50.0 / float(epsilon)


def release_row_count(data: pd.DataFrame, epsilon: float,
                      rng: np.random.Generator) -> tuple[int, Mechanism]:
    """The number of rows plus Gaussian noise (rounded, at least 2: a batch of generated
    rows needs two for its batch norm), and its ledger line."""
    sigma = row_count_noise(epsilon)
    noisy = len(data) + sigma * rng.standard_normal()
    return max(2, int(round(noisy))), Mechanism(ROW_COUNT, ROW_COUNT, sigma)


def private_statistics(
    data: pd.DataFrame,
    metadata,
    *,
    epsilon: float,
    delta: float,
    accountant: str,
    rng: np.random.Generator,
    n_rows: int,
    fixed: list[Mechanism] | tuple = (),
) -> PrivateRelease:
    """Every column's statistics, released by Gaussian mechanisms that together cost
    ``epsilon``. ``n_rows`` is the released row count, and ``fixed`` its ledger line (the
    noise of the count tells how far off it may be)."""
    plans = plan_queries(metadata)
    public = [f"categories of {m.name!r}" for m, how in plans
              if how == "counts" and m.categories is not None]
    public += [f"bounds of {m.name!r}" for m, how in plans if how in ("nulls", "public")]
    discover = [m for m, how in plans if how == "counts" and m.categories is None]
    extra_delta_total = delta * 0.1 if discover else 0.0
    delta_per_column = extra_delta_total / max(len(discover), 1)
    sigma = preprocessing_noise(query_count(plans), epsilon, delta - extra_delta_total,
                                accountant)
    threshold_null = 1.0 + sigma * _isf(1e-3) if math.isfinite(sigma) else 0.5
    count_sigma = next((m.noise_multiplier for m in fixed if m.name == ROW_COUNT), 0.0)
    out = PrivateRelease([], [], public)
    for meta, how in plans:
        series = data[meta.name]
        if how == "counts":
            stat, extra = _private_counts(meta, series, sigma, delta_per_column, rng, out)
            out.mechanisms.append(Mechanism("preprocessing", f"category counts of {meta.name!r}",
                                            sigma, extra_delta=extra))
            out.statistics.append(stat)
        elif how == "range":
            out.statistics.append(_private_numeric(meta, series, sigma, n_rows, count_sigma,
                                                   rng, threshold_null, out))
        else:
            out.statistics.append(_public_numeric(meta, series, sigma, rng, threshold_null, out))
    return out


def _step(meta) -> int:
    return _SECOND_NS if meta.kind == "datetime" else 1


def _values(meta, series: pd.Series) -> np.ndarray:
    """Float values, NaN for nulls, infinities and datetimes that do not parse."""
    return numeric_values(series, meta, errors="coerce")


def _public_numeric(meta, series, sigma, rng, threshold_null, out) -> ColumnStatistics:
    """Public bounds: the encoding comes from them; at most a noisy null count is read."""
    nullable, null_count = _nullable(meta), 0.0
    if nullable is None:
        noisy = float(np.isnan(_values(meta, series)).sum()) + sigma * rng.standard_normal()
        out.mechanisms.append(Mechanism("preprocessing", f"null count of {meta.name!r}", sigma))
        nullable, null_count = noisy > threshold_null, max(noisy, 0.0)
    return ColumnStatistics(meta.name, meta.kind, bounds=meta.numeric_bounds(),
                            nullable=nullable, null_count=null_count, step_ns=_step(meta),
                            exact=False)


def _private_numeric(meta, series, sigma, n_rows, count_sigma, rng, threshold_null,
                     out) -> ColumnStatistics:
    """The range from a coarse histogram, the shape and null count from a fine one."""
    values = _values(meta, series)
    finite = values[~np.isnan(values)]
    per_decade = ranges.coarse_per_decade(n_rows, sigma)
    coarse = ranges.coarse_edges(per_decade)
    hist = np.histogram(np.clip(finite, coarse[0], coarse[-1]), bins=coarse)[0]
    coarse_noisy = hist + sigma * rng.standard_normal(len(hist))
    out.mechanisms.append(Mechanism("preprocessing", f"range of {meta.name!r}", sigma))
    (low, high), core = ranges.coarse_range(coarse_noisy, coarse, sigma, per_decade,
                                            to_zero=meta.kind != "datetime")

    edges = ranges.fine_edges(meta.kind, low, high)
    clipped = np.clip(finite, edges[0], edges[-1])
    # zeros get a cell of their own beside the bins (each record is still in one cell):
    # a spiky column's zeros come back as exact zeros, not spread over the first bin
    zero_cell = meta.kind != "datetime" and ranges.splits_zero(edges)
    zeros = clipped == 0 if zero_cell else np.zeros(len(clipped), dtype=bool)
    hist = np.histogram(clipped[~zeros], bins=edges)[0]
    noisy = hist + sigma * rng.standard_normal(len(hist))
    null_noisy = float(np.isnan(values).sum()) + sigma * rng.standard_normal()
    zero_noisy = float(zeros.sum()) + sigma * rng.standard_normal() if zero_cell else 0.0
    out.mechanisms.append(Mechanism("preprocessing", f"histogram of {meta.name!r}", sigma))
    spike = zero_noisy > sigma * ranges.significance(len(hist) + 1)
    zero_bin = min(np.searchsorted(edges, 0.0, side="right") - 1, len(noisy) - 1)
    if zero_cell and not spike:  # back into its bin: no spike stands out of the noise
        noisy[zero_bin] += zero_noisy
    n_zeros = zero_noisy if spike else 0.0
    # integer bins: the range histogram counts some of the same integers a second time
    noisy, sd = ranges.combine(noisy, edges, coarse_noisy, coarse, sigma)
    if zero_cell and not spike:  # that bin's count has the zero cell's noise as well
        sd[zero_bin] = math.hypot(sd[zero_bin], sigma)

    # the released count of non-null values, and its noise (the row count's and this one's)
    n_values = max(n_rows - max(null_noisy, 0.0) - n_zeros, 1.0)
    low, high = ranges.refine(noisy, edges, sd, n_values,
                              math.hypot(count_sigma, sigma, sigma if spike else 0.0), core)
    centres = (edges[:-1] + edges[1:]) / 2
    inside = (centres >= low) & (centres <= high)
    shape = np.where(inside, ranges.denoise(noisy, sd), 0.0)
    if shape.sum() > 0:  # thin tails beyond the kept bins, within the histogram
        shape = ranges.extend_tails(shape, noisy, sd)
        tail = np.flatnonzero(shape > 0)
        low, high = min(low, float(edges[tail[0]])), max(high, float(edges[tail[-1] + 1]))
        inside = (centres >= low) & (centres <= high)
    weights = shape[inside]
    if not weights.sum() > 0:  # nothing stands out of the noise: a flat shape
        weights = np.ones(int(inside.sum()))
    # the shape, scaled to the released count of values: beside the null count, it gives
    # the null share (the denoised weights alone sum to no count at all)
    weights = weights * (n_values / weights.sum())
    support = centres[inside]  # the mixture is fitted to the bin centres
    if spike:
        low, high = min(low, 0.0), max(high, 0.0)
        support, weights = np.r_[support, 0.0], np.r_[weights, n_zeros]
    if meta.kind == "integer" and math.ceil(low) <= math.floor(high):
        low, high = float(math.ceil(low)), float(math.floor(high))
    nullable = _nullable(meta)
    if nullable is None:
        nullable = null_noisy > threshold_null
    out.estimated_ranges.append(_estimate(meta, low, high))
    return ColumnStatistics(
        meta.name,
        meta.kind,
        support=support,
        counts=weights,
        spikes=np.zeros(1) if spike else None,
        bounds=(low, high),
        nullable=bool(nullable),
        null_count=max(null_noisy, 0.0) if nullable else 0.0,
        step_ns=_step(meta),
        exact=False,
    )


def _estimate(meta, low: float, high: float) -> dict:
    """A released range, and the metadata line that would declare it as public bounds
    (rounded outwards)."""
    if meta.kind == "datetime":
        day = 86_400.0
        bounds = [datetimes.to_iso(math.floor(low / day) * day)[:10],
                  datetimes.to_iso(math.ceil(high / day) * day)[:10]]
    elif meta.kind == "integer":
        bounds = [math.floor(low), math.ceil(high)]
    else:
        bounds = [_round(low, math.floor), _round(high, math.ceil)]
    spec = {"kind": meta.kind, "bounds": bounds}
    line = json.dumps({str(meta.name): spec}, ensure_ascii=False)[1:-1]
    return {"name": meta.name, "kind": meta.kind, "low": low, "high": high, "metadata": line}


def _round(x: float, direction) -> float:
    """``x`` to three significant digits, rounded in ``direction`` (floor or ceil)."""
    if x == 0 or not math.isfinite(x):
        return float(x)
    exponent = math.floor(math.log10(abs(x))) - 2
    return float(f"{direction(x / 10.0**exponent)}e{exponent}")


def _scalar(value):
    """A category value as a JSON scalar; None for nulls and for values of a type no
    category can hold (they are not released)."""
    value = to_json_scalar(value)
    return value if isinstance(value, _SCALARS) else None


def _private_counts(meta, series: pd.Series, sigma: float, delta_column: float, rng, out):
    """Noisy counts per category (null included unless the schema makes the column
    non-null); unknown domains are thresholded."""
    values = series.astype(object).where(series.notna(), None).map(_scalar)
    observed = values.value_counts(dropna=False)
    counts = {k if not (isinstance(k, float) and math.isnan(k)) else None: float(v)
              for k, v in observed.items()}
    nullable = _nullable(meta) is not False
    if meta.categories is not None:
        domain = list(meta.categories)
        if nullable and None not in domain:
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
    order = np.argsort(-np.asarray(released_counts), kind="stable")
    categories = [released[i] for i in order]
    noisy_counts = [released_counts[i] for i in order]
    if not released:
        if not nullable:
            raise PrivacyError(_nothing_released(meta, "and it is declared non-null"))
        out.notes.append(_nothing_released(meta, "so it is generated as null"))
    if nullable:
        categories.append(None)
        noisy_counts.append(max(0.0, null_noisy))
    return ColumnStatistics(meta.name, "categorical", categories, noisy_counts,
                            exact=False), delta_column


def _nothing_released(meta, consequence: str) -> str:
    return (
        f"no category of column {meta.name!r} was frequent enough to be released under "
        f"this privacy budget, {consequence}. If it holds dates, declare it "
        '{"kind": "datetime", "datetime_format": "..."}; if numbers, {"kind": "integer"} or '
        '{"kind": "continuous"} (with public "bounds"); otherwise list its "categories" in '
        "the metadata, raise epsilon, or drop the column."
    )
