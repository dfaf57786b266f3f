"""Singling-out: predicates that match exactly one synthetic row, tried on real rows (see
:mod:`tabgan.evaluate.disclosure`)."""

from __future__ import annotations

import numpy as np

from tabgan.evaluate.context import Context
from tabgan.evaluate.result import DisclosureRisk
from tabgan.evaluate.risk import columns_as_float, risk_from_counts

__all__ = ["count_matches", "singling_out"]

_EQ, _GE, _LE, _NULL = 0, 1, 2, 3
_BATCH = 1000  # predicates evaluated at once: (batch, n_rows) booleans


def count_matches(
    columns: list[np.ndarray], col: np.ndarray, op: np.ndarray, value: np.ndarray
) -> np.ndarray:
    """Rows matched by each predicate: a conjunction over its (column, op, value) terms."""
    n_pred, n_terms = col.shape
    n_rows = len(columns[0]) if columns else 0
    counts = np.zeros(n_pred, dtype=np.int64)
    for start in range(0, n_pred, _BATCH):
        stop = min(start + _BATCH, n_pred)
        match = np.ones((stop - start, n_rows), dtype=bool)
        for j in range(n_terms):
            group = col[start:stop, j] * 4 + op[start:stop, j]
            v = value[start:stop, j]
            for g in np.unique(group):
                rows = np.flatnonzero(group == g)
                x = columns[g // 4][None, :]
                kind = g % 4
                if kind == _EQ:
                    match[rows] &= x == v[rows, None]
                elif kind == _GE:
                    match[rows] &= x >= v[rows, None]
                elif kind == _LE:
                    match[rows] &= x <= v[rows, None]
                else:
                    match[rows] &= np.isnan(x)
        counts[start:stop] = match.sum(axis=1)
    return counts


def singles_out(
    columns: list[np.ndarray],
    col: np.ndarray,
    op: np.ndarray,
    value: np.ndarray,
    screen: np.ndarray,
) -> np.ndarray:
    """Whether each predicate matches exactly one row.

    The predicates are first counted on the ``screen`` rows, a random share of the table:
    one that matches two of them cannot single out, and most candidates stop there.
    """
    out = np.zeros(len(col), dtype=bool)
    if len(col) == 0:
        return out
    few = count_matches([x[screen] for x in columns], col, op, value) <= 1
    if few.any():
        out[few] = count_matches(columns, col[few], op[few], value[few]) == 1
    return out


def _unique_predicates(col: np.ndarray, op: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Row indices of the first occurrence of each distinct predicate (terms in any order)."""
    order = np.argsort(col, axis=1)
    keys = np.concatenate(
        [
            np.take_along_axis(col, order, 1).astype(np.float64),
            np.take_along_axis(op, order, 1).astype(np.float64),
            np.nan_to_num(np.take_along_axis(value, order, 1), nan=-np.inf),
        ],
        axis=1,
    )
    _, first = np.unique(keys, axis=0, return_index=True)
    return np.sort(first)


def univariate_predicates(
    ctx: Context, synthetic: list[np.ndarray], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Single-term predicates that single out a synthetic row: a value held by one row,
    the minimum or maximum of a number, a null held by one row."""
    col, op, value = [], [], []
    for ci, name in enumerate(ctx.names):
        x = synthetic[ci]
        null = np.isnan(x)
        if null.sum() == 1:
            col.append(ci)
            op.append(_NULL)
            value.append(np.nan)
        present = x[~null]
        if len(present) == 0:
            continue
        if ctx.spec(name).is_numeric:
            col += [ci, ci]
            op += [_LE, _GE]
            value += [present.min(), present.max()]
        uniques, counts = np.unique(present, return_counts=True)
        for v in uniques[counts == 1]:
            col.append(ci)
            op.append(_EQ)
            value.append(v)
    if not col:
        return np.zeros((0, 1), np.int64), np.zeros((0, 1), np.int64), np.zeros((0, 1))
    c = np.array(col)[:, None]
    o = np.array(op)[:, None]
    v = np.array(value, dtype=np.float64)[:, None]
    keep = count_matches(synthetic, c, o, v) == 1
    c, o, v = c[keep], o[keep], v[keep]
    order = rng.permutation(len(c))[: ctx.options.n_attacks]
    return c[order], o[order], v[order]


def multivariate_predicates(
    ctx: Context, synthetic: list[np.ndarray], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Predicates built from random synthetic rows and columns that match exactly one
    synthetic row; also returns how many candidates were tried."""
    opts = ctx.options
    n_cols = min(opts.singling_out_columns, len(ctx.names))
    medians = [np.nanmedian(x) if np.isfinite(x).any() else 0.0 for x in synthetic]
    numeric = np.array([ctx.spec(n).is_numeric for n in ctx.names])
    n_rows = len(synthetic[0])
    screen = np.sort(rng.choice(n_rows, size=max(1, n_rows // 8), replace=False))
    found_c, found_o, found_v = [], [], []
    n_found, tried = 0, 0
    while n_found < opts.n_attacks and tried < opts.max_query_attempts:
        b = min(_BATCH, opts.max_query_attempts - tried)
        tried += b
        rows = rng.integers(0, n_rows, size=b)
        col = np.argsort(rng.random((b, len(ctx.names))), axis=1)[:, :n_cols]
        value = np.stack(
            [synthetic_col_values(synthetic, col[:, j], rows) for j in range(n_cols)], 1
        )
        is_num = numeric[col]
        above = value > np.array(medians)[col]
        op = np.where(is_num, np.where(above, _GE, _LE), _EQ)
        op = np.where(is_num & np.isnan(value), _NULL, op)
        keep = singles_out(synthetic, col, op, value, screen)
        found_c.append(col[keep])
        found_o.append(op[keep])
        found_v.append(value[keep])
        n_found += int(keep.sum())
    col = np.concatenate(found_c) if found_c else np.zeros((0, n_cols), np.int64)
    op = np.concatenate(found_o) if found_o else np.zeros((0, n_cols), np.int64)
    value = np.concatenate(found_v) if found_v else np.zeros((0, n_cols))
    first = _unique_predicates(col, op, value)[: opts.n_attacks] if len(col) else []
    return col[first], op[first], value[first], tried


def synthetic_col_values(
    synthetic: list[np.ndarray], columns: np.ndarray, rows: np.ndarray
) -> np.ndarray:
    """``synthetic[columns[i]][rows[i]]`` for every i."""
    out = np.empty(len(rows))
    for ci in np.unique(columns):
        sel = columns == ci
        out[sel] = synthetic[ci][rows[sel]]
    return out


def singling_out(ctx: Context) -> list[DisclosureRisk]:
    sample = ctx.privacy
    conf = ctx.options.confidence
    syn = columns_as_float(ctx, ctx.synthetic)
    main = columns_as_float(ctx, sample.members)
    control = columns_as_float(ctx, sample.non_members)
    out = []
    c, o, v = univariate_predicates(ctx, syn, ctx.rng("singling-out-univariate"))
    if len(c):
        out.append(
            risk_from_counts(
                "singling_out_univariate",
                int((count_matches(main, c, o, v) == 1).sum()),
                int((count_matches(control, c, o, v) == 1).sum()),
                len(c),
                len(c),
                conf,
                {"n_predicates": len(c)},
            )
        )
    else:
        ctx.notes.append("singling-out (univariate): no predicate singles out a synthetic row.")
    c, o, v, tried = multivariate_predicates(ctx, syn, ctx.rng("singling-out-multivariate"))
    if len(c):
        out.append(
            risk_from_counts(
                "singling_out_multivariate",
                int((count_matches(main, c, o, v) == 1).sum()),
                int((count_matches(control, c, o, v) == 1).sum()),
                len(c),
                len(c),
                conf,
                {"n_predicates": len(c), "n_tried": tried, "n_columns": int(c.shape[1])},
            )
        )
    else:
        ctx.notes.append(
            f"singling-out (multivariate): none of {tried} candidate predicates singles out "
            "a synthetic row."
        )
    return out
