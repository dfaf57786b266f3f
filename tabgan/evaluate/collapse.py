"""Mode-collapse indicators: what of the real table the synthetic table never produces.

- Category coverage: per categorical column, the share of the real categories that the
  synthetic table produces at no less than ``coverage_tolerance`` (10%) of their real share.
- Bin coverage: the same for numeric and datetime columns over ``coverage_bins`` bins cut at
  real quantiles, so that every bin holds about the same real mass; a dropped mode leaves
  bins empty.
- Duplicate rate: the share of rows that repeat an earlier row of the same table. Its
  reference is the real table's own rate, both measured at the same number of rows.

The coverage references put the holdout in the synthetic table's place; a small holdout
misses rare categories too, which is what the reference is there to show.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tabgan.evaluate.context import Context
from tabgan.evaluate.encoding import PreparedTable
from tabgan.evaluate.result import Collapse, ColumnCoverage, Fidelity, Score

__all__ = ["run", "duplicate_rate"]


def duplicate_rate(hashes: np.ndarray) -> float:
    """Share of rows equal to an earlier row."""
    if len(hashes) == 0:
        return 0.0
    return float(1.0 - len(np.unique(hashes)) / len(hashes))


def _covered(ctx: Context, name: Any, table: PreparedTable) -> tuple[np.ndarray, np.ndarray]:
    """Real share of each level and whether ``table`` covers it (levels with real mass)."""
    fine = ctx.spec(name).kind != "categorical"
    real_codes, n_levels = ctx.encoder.discretize(ctx.real, name, fine=fine)
    codes, _ = ctx.encoder.discretize(table, name, fine=fine)
    p = np.bincount(real_codes, minlength=n_levels) / len(real_codes)
    q = np.bincount(codes, minlength=n_levels) / len(codes)
    if fine:
        keep = np.arange(n_levels - 1)  # every bin but the null one
    else:
        keep = np.arange(ctx.encoder.n_levels_[name])  # the real categories
    keep = keep[p[keep] > 0]
    return keep, q[keep] >= ctx.options.coverage_tolerance * p[keep]


def _missing_names(ctx: Context, name: Any, levels: np.ndarray, covered: np.ndarray) -> list[str]:
    missing = levels[~covered]
    if ctx.spec(name).kind == "categorical":
        counts = ctx.encoder.level_counts_[name]
        names = ctx.encoder.levels(name)
        return [names[i] for i in missing if counts[i] >= ctx.options.min_category_count]
    edges = ctx.encoder.coverage_edges_[name]
    bounds = np.r_[-np.inf, edges, np.inf]
    return [f"{bounds[i]:.4g} to {bounds[i + 1]:.4g}" for i in missing]


def run(ctx: Context, fidelity: Fidelity) -> None:
    columns = []
    for name in ctx.names:
        kind = ctx.spec(name).kind
        levels, covered = _covered(ctx, name, ctx.synthetic)
        if len(levels) == 0:
            continue
        reference = None
        if ctx.holdout is not None:
            reference = float(_covered(ctx, name, ctx.holdout)[1].mean())
        columns.append(
            ColumnCoverage(
                column=name,
                kind=kind,
                coverage=Score(
                    "category_coverage" if kind == "categorical" else "bin_coverage",
                    float(covered.mean()),
                    reference,
                ),
                n_levels=len(levels),
                n_missing=int((~covered).sum()),
                missing=_missing_names(ctx, name, levels, covered),
            )
        )

    rng = ctx.rng("duplicates")
    n = min(ctx.real.n_rows, ctx.synthetic.n_rows)
    syn = ctx.synthetic.take(np.sort(rng.choice(ctx.synthetic.n_rows, n, replace=False)))
    real = ctx.real.take(np.sort(rng.choice(ctx.real.n_rows, n, replace=False)))
    fidelity.collapse = Collapse(
        category_coverage=_mean("category_coverage", columns, categorical=True),
        bin_coverage=_mean("bin_coverage", columns, categorical=False),
        duplicate_rate=Score(
            "duplicate_rate",
            duplicate_rate(ctx.encoder.row_hashes(syn)),
            duplicate_rate(ctx.encoder.row_hashes(real)),
        ),
        duplicate_rows=n,
        columns=columns,
    )


def _mean(metric: str, columns: list[ColumnCoverage], *, categorical: bool) -> Score | None:
    chosen = [c.coverage for c in columns if (c.kind == "categorical") == categorical]
    if not chosen:
        return None
    refs = [s.reference for s in chosen]
    return Score(
        metric,
        float(np.mean([s.value for s in chosen])),
        float(np.mean(refs)) if all(r is not None for r in refs) else None,
    )
