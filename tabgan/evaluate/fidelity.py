"""Column shapes, null rates, pair trends and three-way marginals.

- KS complement: ``1 - D``, with ``D`` the two-sample Kolmogorov-Smirnov statistic (largest
  gap between the two empirical CDFs), on the non-null values of a numeric or datetime
  column.
- TV complement: ``1 - TV``, with ``TV = 1/2 sum |p - q|`` over the categories of a
  categorical column (non-null values; synthetic values the real table lacks count fully).
- Null-rate difference: ``|null share real - null share synthetic|``.
- Correlation similarity, for every pair of numeric or datetime columns: ``1 - |r_real -
  r_synthetic| / 2`` with Pearson's ``r`` on the rows where both are present.
- Contingency similarity, for every other pair: ``1 - TV`` of the joint distribution of the
  two columns, numbers cut into quantile bins fitted on the real table alone (the same
  edges for both tables), nulls as a bin of their own.

Every score is computed a second time with the holdout in the synthetic table's place: the
``reference``.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from tabgan.evaluate.context import Context
from tabgan.evaluate.encoding import PreparedTable
from tabgan.evaluate.result import (
    ColumnShape,
    Fidelity,
    Marginal,
    PairTrend,
    Score,
    TripleMarginal,
)
from tabgan.table import datetimes

__all__ = ["ks_complement", "tv_complement", "pearson", "run"]

_MARGINAL_BINS = 20  # equal-width bins over the real range, for the plotted marginals
_MARGINAL_CATEGORIES = 20  # most frequent real categories named in the plotted marginals

_Binned = dict[str, dict[Any, np.ndarray]]  # table label -> column -> bin codes


# ---------------------------------------------------------------------- the numbers
def ks_complement(real: np.ndarray, other: np.ndarray) -> float:
    """``1 - D`` of the two-sample KS test on the non-null values (0 if one side is empty)."""
    a = np.sort(real[~np.isnan(real)])
    b = np.sort(other[~np.isnan(other)])
    if len(a) == 0 or len(b) == 0:
        return 0.0
    both = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, both, side="right") / len(a)
    cdf_b = np.searchsorted(b, both, side="right") / len(b)
    return float(1.0 - np.max(np.abs(cdf_a - cdf_b)))


def tv_complement(real_codes: np.ndarray, other_codes: np.ndarray, n_levels: int) -> float:
    """``1 - 1/2 sum |p - q|`` over codes ``0 .. n_levels-1`` (0 if one side is empty)."""
    if len(real_codes) == 0 or len(other_codes) == 0:
        return 0.0
    p = np.bincount(real_codes, minlength=n_levels) / len(real_codes)
    q = np.bincount(other_codes, minlength=n_levels) / len(other_codes)
    return float(1.0 - 0.5 * np.abs(p - q).sum())


def joint_tv_complement(
    real_codes: list[np.ndarray], other_codes: list[np.ndarray], n_levels: list[int]
) -> float:
    """TV complement of the joint distribution of several binned columns."""
    n_real, n_other = len(real_codes[0]), len(other_codes[0])
    joint = np.zeros(n_real + n_other, dtype=np.int64)
    for r, o, n in zip(real_codes, other_codes, n_levels, strict=True):
        joint = joint * n + np.concatenate([r, o])
    n_cells = math.prod(n_levels)
    if n_cells > 4_000_000:  # too many cells for a dense count: count the occupied ones
        _, joint = np.unique(joint, return_inverse=True)
        n_cells = int(joint.max()) + 1
    p = np.bincount(joint[:n_real], minlength=n_cells) / n_real
    q = np.bincount(joint[n_real:], minlength=n_cells) / n_other
    return float(1.0 - 0.5 * np.abs(p - q).sum())


def pearson(x: np.ndarray, y: np.ndarray) -> float | None:
    """Pearson's r on the rows where both are present; None if undefined (constant)."""
    keep = ~(np.isnan(x) | np.isnan(y))
    x, y = x[keep], y[keep]
    if len(x) < 2:
        return None
    dx, dy = x - x.mean(), y - y.mean()
    denominator = math.sqrt(float(dx @ dx) * float(dy @ dy))
    if denominator == 0.0:
        return None
    return float(np.clip((dx @ dy) / denominator, -1.0, 1.0))


# ---------------------------------------------------------------------- per table
def _shape(ctx: Context, name: Any, other: PreparedTable) -> float:
    if ctx.spec(name).kind == "categorical":
        k = ctx.encoder.n_levels_[name]
        real, oth = ctx.real[name], other[name]
        real, oth = real[real != k], oth[oth != k]  # non-null values only
        return tv_complement(np.minimum(real, k + 1), np.minimum(oth, k + 1), k + 2)
    return ks_complement(ctx.real[name], other[name])


def _null_rate(ctx: Context, name: Any, table: PreparedTable) -> float:
    values = table[name]
    if ctx.spec(name).kind == "categorical":
        return float(np.mean(values == ctx.encoder.n_levels_[name]))
    return float(np.mean(np.isnan(values)))


def column_shapes(ctx: Context) -> list[ColumnShape]:
    out = []
    for name in ctx.names:
        values = {label: _shape(ctx, name, t) for label, t in ctx.others()}
        nulls = {
            label: _null_rate(ctx, name, t) for label, t in [("real", ctx.real), *ctx.others()]
        }
        metric = "tv_complement" if ctx.spec(name).kind == "categorical" else "ks_complement"
        null_ref = abs(nulls["real"] - nulls["holdout"]) if "holdout" in nulls else None
        out.append(
            ColumnShape(
                column=name,
                kind=ctx.spec(name).kind,
                shape=Score(metric, values["synthetic"], values.get("holdout")),
                null_rate_difference=Score(
                    "null_rate_difference", abs(nulls["real"] - nulls["synthetic"]), null_ref
                ),
                null_rate_real=nulls["real"],
                null_rate_synthetic=nulls["synthetic"],
                null_rate_holdout=nulls.get("holdout"),
            )
        )
    return out


def pair_trends(ctx: Context, binned: _Binned, levels: dict[Any, int]) -> list[PairTrend]:
    out = []
    for a, b in itertools.combinations(ctx.names, 2):
        r_real = None
        if ctx.spec(a).is_numeric and ctx.spec(b).is_numeric:
            r_real = pearson(ctx.real[a], ctx.real[b])
        if r_real is not None:
            corr = {}
            for label, t in ctx.others():
                r = pearson(t[a], t[b])
                corr[label] = 0.0 if r is None else r  # a constant column: no linear trend
            values = {label: 1.0 - abs(r_real - r) / 2.0 for label, r in corr.items()}
            score = Score("correlation_similarity", values["synthetic"], values.get("holdout"))
            out.append(PairTrend((a, b), score, r_real, corr["synthetic"], corr.get("holdout")))
            continue
        values = {
            label: joint_tv_complement(
                [binned["real"][a], binned["real"][b]],
                [binned[label][a], binned[label][b]],
                [levels[a], levels[b]],
            )
            for label, _ in ctx.others()
        }
        score = Score("contingency_similarity", values["synthetic"], values.get("holdout"))
        out.append(PairTrend((a, b), score))
    return out


def triple_marginals(ctx: Context, binned: _Binned, levels: dict[Any, int]) -> list[TripleMarginal]:
    n_cols = len(ctx.names)
    if n_cols < 3 or ctx.options.n_triples == 0:
        return []
    all_triples = math.comb(n_cols, 3)
    rng = ctx.rng("triples")
    if all_triples <= ctx.options.n_triples:
        chosen = list(itertools.combinations(range(n_cols), 3))
    else:
        seen: set[tuple[int, ...]] = set()
        while len(seen) < ctx.options.n_triples:
            seen.add(tuple(sorted(rng.choice(n_cols, size=3, replace=False).tolist())))
        chosen = sorted(seen)
    out = []
    for triple in chosen:
        names = tuple(ctx.names[i] for i in triple)
        values = {
            label: joint_tv_complement(
                [binned["real"][c] for c in names],
                [binned[label][c] for c in names],
                [levels[c] for c in names],
            )
            for label, _ in ctx.others()
        }
        out.append(
            TripleMarginal(
                names, Score("triple_marginals", values["synthetic"], values.get("holdout"))
            )
        )
    return out


def marginals(ctx: Context) -> list[Marginal]:
    """Binned shares of every column, for plots; rare real categories are pooled."""
    out = []
    tables = [("real", ctx.real), *ctx.others()]
    for name in ctx.names:
        spec = ctx.spec(name)
        if spec.kind == "categorical":
            k = ctx.encoder.n_levels_[name]
            counts = ctx.encoder.level_counts_[name]
            named = [
                i
                for i in range(min(k, _MARGINAL_CATEGORIES))
                if counts[i] >= ctx.options.min_category_count
            ]
            levels = ctx.encoder.levels(name)
            labels = [levels[i] for i in named] + ["(other)", "(not in real)", "(null)"]
            slot_of = np.full(k + 2, len(named), dtype=np.int64)  # default: "(other)"
            slot_of[named] = np.arange(len(named))
            slot_of[k] = len(named) + 2
            slot_of[k + 1] = len(named) + 1
            shares = {}
            for label, t in tables:
                codes = slot_of[np.minimum(t[name], k + 1)]
                shares[label] = (np.bincount(codes, minlength=len(labels)) / t.n_rows).tolist()
            edges = None
        else:
            real = ctx.real[name]
            low, high = np.nanmin(real), np.nanmax(real)
            edges_arr = (
                np.linspace(low, high, _MARGINAL_BINS + 1) if high > low else np.array([low, low])
            )
            n_bins = len(edges_arr) - 1
            labels = [
                f"{_fmt(edges_arr[i], spec.kind)} to {_fmt(edges_arr[i + 1], spec.kind)}"
                for i in range(n_bins)
            ]
            labels += ["below the real range", "above the real range", "(null)"]
            shares = {}
            for label, t in tables:
                v = t[name]
                null = np.isnan(v)
                idx = np.clip(np.searchsorted(edges_arr, v, side="right") - 1, 0, n_bins - 1)
                idx = np.where(v < low, n_bins, np.where(v > high, n_bins + 1, idx))
                idx = np.where(null, n_bins + 2, idx)
                shares[label] = (np.bincount(idx, minlength=n_bins + 3) / t.n_rows).tolist()
            edges = edges_arr.tolist()
        out.append(
            Marginal(
                column=name,
                kind=spec.kind,
                labels=labels,
                real=shares["real"],
                synthetic=shares["synthetic"],
                holdout=shares.get("holdout"),
                edges=edges,
            )
        )
    return out


def _fmt(value: float, kind: str) -> str:
    if kind == "datetime":
        return datetimes.to_iso(value)
    return f"{value:.4g}"


def _mean(metric: str, scores: list[Score]) -> Score | None:
    if not scores:
        return None
    values = [s.value for s in scores]
    refs = [s.reference for s in scores]
    reference = float(np.mean(refs)) if all(r is not None for r in refs) else None
    return Score(metric, float(np.mean(values)), reference)


def run(ctx: Context, fidelity: Fidelity) -> None:
    """Fill the shape, null-rate, pair, triple and marginal parts of ``fidelity``."""
    binned: _Binned = {}
    levels: dict[Any, int] = {}
    for label, table in [("real", ctx.real), *ctx.others()]:
        binned[label] = {}
        for name in ctx.names:
            binned[label][name], levels[name] = ctx.encoder.discretize(table, name)
    fidelity.columns = column_shapes(ctx)
    fidelity.pairs = pair_trends(ctx, binned, levels)
    fidelity.triples = triple_marginals(ctx, binned, levels)
    fidelity.marginals = marginals(ctx)
    fidelity.column_shapes = _mean("column_shapes", [c.shape for c in fidelity.columns])
    fidelity.null_rate_difference = _mean(
        "null_rate_difference", [c.null_rate_difference for c in fidelity.columns]
    )
    fidelity.pair_trends = _mean("pair_trends", [p.score for p in fidelity.pairs])
    fidelity.triple_marginals = _mean("triple_marginals", [t.score for t in fidelity.triples])
