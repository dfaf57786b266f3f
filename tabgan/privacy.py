"""Differential privacy: the accountant, noise calibration, private preprocessing, ledger.

Everything that reads the real data under DP goes through this module, so the privacy
ledger is complete by construction:

- Preprocessing (unless the metadata makes it public): one Gaussian-mechanism histogram per
  numeric column on a grid fixed by public bounds (or by a first, coarse histogram on a
  data-independent grid when no bounds are given), and noisy category counts per categorical
  column, thresholded so that a category held by few rows is not revealed.
- Training: DP-SGD on the critic, rows sampled by Poisson sampling at rate ``q``.

All of it is composed by one accountant from Opacus (RDP or PRV): every mechanism is one
``(noise_multiplier, sample_rate, steps)`` entry of the accountant's history, a full-table
Gaussian mechanism being ``(sigma, 1.0, 1)``. Category discovery adds its own delta (the
chance that a category held by a single row crosses the threshold), reported separately.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from tabgan.errors import PrivacyError

__all__ = [
    "ACCOUNTANTS",
    "RDP_ALPHAS",
    "Mechanism",
    "PrivacyLedger",
    "compose_epsilon",
    "calibrate_noise",
    "default_delta",
    "check_delta",
    "private_statistics",
    "ColumnStatistics",
]

SCHEMA_VERSION = 1
# Fine histogram bins per numeric column; coarse bins per decade for unbounded columns.
HISTOGRAM_BINS = 100
_COARSE_PER_DECADE = 4
_COARSE_DECADES = 15  # |x| up to 1e15 (datetimes in seconds are ~1e9)


def _accountant(name: str):
    from opacus.accountants import PRVAccountant, RDPAccountant

    registry = {"rdp": RDPAccountant, "prv": PRVAccountant}
    if name not in registry:
        raise PrivacyError(f"unknown accountant {name!r}; use one of {sorted(registry)}.")
    return registry[name]()


ACCOUNTANTS = ("rdp", "prv")


@dataclass
class Mechanism:
    """One line of the ledger: a mechanism as the accountant sees it."""

    stage: str  # "preprocessing" or "training"
    name: str  # e.g. "histogram of 'age'", "critic DP-SGD"
    noise_multiplier: float  # noise standard deviation / sensitivity
    sample_rate: float = 1.0  # q: 1 for a query over the whole table
    steps: int = 1
    extra_delta: float = 0.0  # delta outside the accountant (thresholded category release)

    def entry(self) -> tuple[float, float, int]:
        return (float(self.noise_multiplier), float(self.sample_rate), int(self.steps))


# Opacus's RDP orders, extended upwards: small epsilons (a preprocessing share of 0.1, say)
# need orders above its default maximum of 63 to be certified at all.
RDP_ALPHAS = (
    [1 + x / 10.0 for x in range(1, 100)]
    + list(range(12, 64))
    + [80, 100, 128, 160, 200, 256, 320, 400, 512, 640, 800, 1024, 1600, 2048, 4096]
)


def compose_epsilon(
    mechanisms: Sequence[Mechanism], delta: float, accountant: str = "rdp"
) -> float:
    """Epsilon of all ``mechanisms`` composed, at the accountant's share of ``delta``."""
    entries = [m.entry() for m in mechanisms if m.steps > 0]
    if not entries:
        return 0.0
    acc = _accountant(accountant)
    acc.history = entries
    if accountant == "rdp":
        return float(acc.get_epsilon(delta=delta, alphas=RDP_ALPHAS))
    return float(acc.get_epsilon(delta=delta))


def calibrate_noise(
    *,
    target_epsilon: float,
    delta: float,
    sample_rate: float,
    steps: int,
    fixed: Sequence[Mechanism] = (),
    accountant: str = "rdp",
    tolerance: float = 1e-3,
) -> float:
    """The smallest noise multiplier (to ``tolerance`` relative) for DP-SGD with
    ``steps`` steps at rate ``sample_rate`` such that, composed with ``fixed``, epsilon
    stays at or below ``target_epsilon``. Never overshoots: the returned sigma is checked."""
    if compose_epsilon(list(fixed), delta, accountant) >= target_epsilon:
        raise PrivacyError(
            f"the preprocessing alone spends epsilon >= {target_epsilon}; lower "
            "preprocessing_share, or give public bounds and categories in the metadata."
        )

    def eps(sigma: float) -> float:
        sgd = Mechanism("training", "critic DP-SGD", sigma, sample_rate, steps)
        return compose_epsilon([*fixed, sgd], delta, accountant)

    sigma = _smallest_sigma(eps, target_epsilon, tolerance)
    if sigma is None:
        raise PrivacyError(
            f"no noise level reaches epsilon {target_epsilon} with {steps} steps; train "
            "fewer epochs or raise epsilon."
        )
    return sigma


def _smallest_sigma(eps, target: float, tolerance: float) -> float | None:
    """Bisection (in log space) for the smallest sigma with eps(sigma) <= target; eps is
    decreasing in sigma. Numerical overflow counts as overshooting."""

    def over(sigma: float) -> bool:
        try:
            return not eps(sigma) <= target
        except (OverflowError, FloatingPointError, ValueError):
            return True

    low, high = 0.5, 1.0
    while over(high):
        low, high = high, high * 2
        if high > 1e7:
            return None
    while not over(low) and low > 1e-3:
        low, high = low / 2, low
    while high / low > 1 + tolerance:
        mid = math.sqrt(low * high)
        if over(mid):
            low = mid
        else:
            high = mid
    if over(high):  # pragma: no cover - guarded by the loop invariant
        raise AssertionError("calibration overshot")
    return high


def _preprocessing_noise(
    count: int, epsilon: float, delta: float, accountant: str, tolerance: float = 1e-3
) -> float:
    """Noise multiplier for ``count`` full-table Gaussian mechanisms costing ``epsilon``."""
    if count == 0:
        return math.inf

    def eps(sigma: float) -> float:
        return compose_epsilon(
            [Mechanism("preprocessing", "", sigma, 1.0, count)], delta, accountant
        )

    sigma = _smallest_sigma(eps, epsilon, tolerance)
    if sigma is None:
        raise PrivacyError(
            f"epsilon {epsilon:g} is too small for {count} preprocessing queries; raise "
            "epsilon or preprocessing_share, or give public bounds and categories."
        )
    return sigma


def default_delta(n_rows: int) -> float:
    """``1 / n^1.1``: well under one over the number of records."""
    return float(n_rows) ** -1.1


def check_delta(delta: float, n_rows: int) -> None:
    if not 0 < delta < 1.0 / n_rows:
        raise PrivacyError(
            f"delta={delta:g} is not below 1/n = {1.0 / n_rows:.3g} for {n_rows} records. With "
            "delta >= 1/n a mechanism may publish a whole record and still satisfy the "
            f"definition; use a smaller delta, e.g. the default 1/n^1.1 = "
            f"{default_delta(n_rows):.3g}."
        )


@dataclass
class PrivacyLedger:
    """What was spent, on what, and what it covers."""

    target_epsilon: float
    delta: float  # the total delta of the guarantee
    accountant: str
    mechanisms: list[Mechanism] = field(default_factory=list)
    max_grad_norm: float = 1.0
    expected_batch_size: int = 0
    n_rows: int = 0
    secure_mode: bool = False
    public: list[str] = field(default_factory=list)  # what the metadata made public

    @property
    def accountant_delta(self) -> float:
        return self.delta - sum(m.extra_delta for m in self.mechanisms)

    @property
    def epsilon(self) -> float:
        """Epsilon spent by everything in the ledger, composed."""
        return compose_epsilon(self.mechanisms, self.accountant_delta, self.accountant)

    def epsilon_by_stage(self) -> dict[str, float]:
        stages: dict[str, list[Mechanism]] = {}
        for m in self.mechanisms:
            stages.setdefault(m.stage, []).append(m)
        return {
            stage: compose_epsilon(ms, self.accountant_delta, self.accountant)
            for stage, ms in stages.items()
        }

    def training(self) -> Mechanism | None:
        return next((m for m in self.mechanisms if m.stage == "training"), None)

    def to_dict(self) -> dict:
        out = asdict(self)
        out["schema_version"] = SCHEMA_VERSION
        out["epsilon"] = self.epsilon
        out["epsilon_by_stage"] = self.epsilon_by_stage()
        return out

    @classmethod
    def from_dict(cls, data: dict) -> PrivacyLedger:
        data = dict(data)
        for key in ("schema_version", "epsilon", "epsilon_by_stage"):
            data.pop(key, None)
        data["mechanisms"] = [Mechanism(**m) for m in data.get("mechanisms", [])]
        return cls(**data)

    def describe(self) -> str:
        sgd = self.training()
        by_stage = self.epsilon_by_stage()
        lines = [
            f"privacy: ({self.epsilon:.3f}, {self.delta:.3g})-differential privacy for every "
            f"record of the {self.n_rows}-row training table (target epsilon "
            f"{self.target_epsilon:g}; {self.accountant.upper()} accountant).",
        ]
        for stage, eps in by_stage.items():
            lines.append(f"  {stage:<14} epsilon {eps:.3f} (on its own)")
        if sgd is not None:
            lines.append(
                f"  DP-SGD: noise multiplier {sgd.noise_multiplier:.4f}, sampling rate "
                f"{sgd.sample_rate:.5f} (Poisson), {sgd.steps} steps, clipping norm "
                f"{self.max_grad_norm:g}, expected batch {self.expected_batch_size}"
            )
        pre = [m for m in self.mechanisms if m.stage == "preprocessing"]
        if pre:
            lines.append(
                f"  preprocessing: {len(pre)} Gaussian mechanisms, noise multiplier "
                f"{pre[0].noise_multiplier:.3f}"
            )
        if self.public:
            lines.append(f"  public (from metadata, not charged): {', '.join(self.public)}")
        lines.append(
            "  covers: everything the released model and its samples reveal about any one "
            "record (add/remove adjacency). Not covered: the table's schema, its number of "
            "rows, and whatever the metadata declared public."
        )
        return "\n".join(lines)


# ---------------------------------------------------------------------- preprocessing
@dataclass
class ColumnStatistics:
    """Private facts about one column, all computed under DP (or public)."""

    name: Any
    kind: str
    categories: list | None = None  # categorical: the released categories (None: null)
    counts: list[float] | None = None  # noisy counts: per category, or per histogram bin
    edges: list[float] | None = None  # numeric: histogram bin edges (None: public bounds only)
    null_count: float = 0.0  # numeric: noisy null count
    bounds: tuple[float, float] | None = None


def private_statistics(
    data: pd.DataFrame,
    metadata,
    *,
    epsilon: float,
    delta: float,
    accountant: str,
    rng: np.random.Generator,
    to_float,
) -> tuple[list[ColumnStatistics], list[Mechanism], list[str]]:
    """Compute every column's statistics with Gaussian noise costing ``epsilon``.

    ``to_float(column_meta, series)`` turns a numeric or datetime column into float64 with
    NaN for nulls. Returns the statistics, the ledger lines, and the public facts used.
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
        else:
            if meta.bounds is not None:
                # Public bounds: the encoding is built from them alone (see
                # ColumnStatistics.edges), and nothing about this column is read.
                public.append(f"bounds of {meta.name!r}")
                plans.append((meta, "public"))
            else:
                plans.append((meta, "range+histogram"))
                count += 2
    discover = [m for m, how in plans if how == "counts" and m.categories is None]
    extra_delta_total = delta * 0.1 if discover else 0.0
    delta_per_column = extra_delta_total / max(len(discover), 1)
    sigma = _preprocessing_noise(count, epsilon, delta - extra_delta_total, accountant)

    stats: list[ColumnStatistics] = []
    mechanisms: list[Mechanism] = []
    threshold_null = 1.0 + sigma * norm.isf(1e-3) if math.isfinite(sigma) else 0.5
    for meta, how in plans:
        series = data[meta.name]
        if how == "public":
            low, high = (float(b) for b in _public_bounds(meta))
            nullable = True if meta.nullable is None else bool(meta.nullable)
            stats.append(ColumnStatistics(meta.name, meta.kind, bounds=(low, high),
                                          null_count=1.0 if nullable else 0.0))
            continue
        if how == "counts":
            stat, extra = _private_counts(meta, series, sigma, delta_per_column, rng)
            mechanisms.append(
                Mechanism("preprocessing", f"category counts of {meta.name!r}", sigma,
                          extra_delta=extra)
            )
        else:
            values = to_float(meta, series)
            if how == "range+histogram":
                low, high = _private_range(values, sigma, rng)
                mechanisms.append(
                    Mechanism("preprocessing", f"range of {meta.name!r}", sigma)
                )
            else:
                low, high = (float(b) for b in _public_bounds(meta))
            stat = _private_histogram(meta, values, low, high, sigma, rng, threshold_null)
            mechanisms.append(Mechanism("preprocessing", f"histogram of {meta.name!r}", sigma))
        stats.append(stat)
    return stats, mechanisms, public


def _public_bounds(meta):
    from tabgan.metadata import bound_to_float

    return tuple(bound_to_float(b, meta.kind) for b in meta.bounds)


def _private_counts(meta, series: pd.Series, sigma: float, delta_column: float, rng):
    """Noisy counts per category (null included); unknown domains are thresholded."""
    from tabgan.metadata import _to_json_scalar

    values = series.astype(object).where(series.notna(), None).map(_to_json_scalar)
    observed = values.value_counts(dropna=False)
    counts = {k if not (isinstance(k, float) and math.isnan(k)) else None: float(v)
              for k, v in observed.items()}
    if meta.categories is not None:
        domain = list(meta.categories)
        if None not in domain:
            domain.append(None)
        noisy = [counts.get(c, 0.0) + sigma * rng.standard_normal() for c in domain]
        return ColumnStatistics(meta.name, "categorical", domain,
                                [max(0.0, v) for v in noisy]), 0.0
    threshold = 1.0 + sigma * norm.isf(delta_column)
    released, released_counts = [], []
    null_noisy = counts.get(None, 0.0) + sigma * rng.standard_normal()
    for category, c in counts.items():
        if category is None:
            continue
        noisy = c + sigma * rng.standard_normal()
        if noisy > threshold:
            released.append(category)
            released_counts.append(noisy)
        else:
            null_noisy += 0.0  # suppressed rows are encoded as missing at training
    if not released:
        raise PrivacyError(
            f"no category of column {meta.name!r} is frequent enough to be released under "
            "this privacy budget; list its categories in the metadata, raise epsilon, or "
            "drop the column."
        )
    order = np.argsort(-np.asarray(released_counts), kind="stable")
    categories = [released[i] for i in order] + [None]
    noisy_counts = [released_counts[i] for i in order] + [max(0.0, null_noisy)]
    return ColumnStatistics(meta.name, "categorical", categories, noisy_counts), delta_column


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
    threshold = sigma * norm.isf(0.05 / len(hist))
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
    return ColumnStatistics(
        meta.name,
        meta.kind,
        counts=noisy.tolist(),
        edges=edges.tolist(),
        null_count=null_noisy if null_noisy > threshold_null else 0.0,
        bounds=(float(max(low, edges[0])), float(min(high, edges[-1]))),
    )
