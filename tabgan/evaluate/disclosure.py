"""Singling-out, linkability and attribute-inference risks, in the style of Anonymeter
(Giomi et al., PoPETs 2023).

Each attack is run twice: the main attack against train rows, and the same attack against
a control set of holdout rows, of the same size, that the generator never saw. Success on
the control set is what the attack achieves from general knowledge of the population; only
the excess over it is a privacy leak:

    risk = (r_main - r_control) / (1 - r_control)

with success rates ``r`` and their Wilson intervals, and the interval of the risk from
first-order error propagation. A risk at or below 0 means no measurable leak.

- Singling-out: the attacker writes predicates (``age >= 71 and occupation == 'X' and ...``)
  that match exactly one synthetic row, from single rare values (univariate) or from the
  values of one synthetic row in ``singling_out_columns`` random columns (multivariate,
  ``>=`` / ``<=`` towards the tail for numbers). Success: the predicate matches exactly one
  row of the attacked set.
- Linkability: the attacker holds two halves of a target's columns, as two separate
  releases would, and links them through the synthetic table: the nearest synthetic row
  in one half's columns must be the nearest in the other half's. Success: it is.
- Attribute inference: knowing every column of a target but one, the attacker guesses the
  missing one from the nearest synthetic row. Success: the guess is the value; for numbers
  and dates, within ``inference_tolerance`` (5 percentiles) of it on the real table's
  distribution, a tolerance that means the same for ages, incomes and dates. Done for
  every column; the headline is the column whose risk has the highest lower confidence
  bound (the one most clearly above zero).

The predicates, links and guesses never leave this module: only counts and rates do.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tabgan.evaluate.context import Context
from tabgan.evaluate.encoding import PreparedTable
from tabgan.evaluate.neighbors import nearest, nearest_leave_one_out
from tabgan.evaluate.result import DisclosureRisk, Privacy, Score
from tabgan.evaluate.stats import residual_risk, wilson

__all__ = ["THREAT_MODELS", "run", "risk_from_counts"]

_EQ, _GE, _LE, _NULL = 0, 1, 2, 3
_BATCH = 1000  # predicates evaluated at once: (batch, n_rows) booleans

THREAT_MODELS = {
    "singling_out_univariate": (
        "The attacker holds the synthetic table and tries to isolate one real person with a "
        "predicate on a single rare value or extreme."
    ),
    "singling_out_multivariate": (
        "The attacker holds the synthetic table and tries to isolate one real person with a "
        "predicate combining the values of a few columns."
    ),
    "linkability": (
        "The attacker holds two separate releases, each with half of a target's columns, and "
        "uses the synthetic table to tell which records of the two belong together."
    ),
    "attribute_inference": (
        "The attacker knows every column of a target but one, and uses the synthetic table "
        "to guess the missing value."
    ),
}


def risk_from_counts(
    name: str,
    main_success: int,
    control_success: int,
    n_main: int,
    n_control: int,
    confidence: float,
    details: dict[str, Any] | None = None,
) -> DisclosureRisk:
    """Success rates with Wilson intervals, and the residual risk with its interval."""
    r_main = main_success / n_main if n_main else math.nan
    r_control = control_success / n_control if n_control else math.nan
    _, lo_m, hi_m, e_main = wilson(main_success, n_main, confidence)
    _, lo_c, hi_c, e_control = wilson(control_success, n_control, confidence)
    risk, ci = residual_risk((r_main, e_main), (r_control, e_control), confidence)
    return DisclosureRisk(
        name=name,
        threat_model=THREAT_MODELS[name.split(":")[0]],
        risk=Score("risk", risk, None, ci),
        main_rate=Score("success_rate", r_main, None, (lo_m, hi_m)),
        control_rate=Score("success_rate", r_control, None, (lo_c, hi_c)),
        n_attacks=n_main,
        details=details or {},
    )


# ---------------------------------------------------------------------- singling out
def _columns_as_float(ctx: Context, table: PreparedTable) -> list[np.ndarray]:
    return [table[name].astype(np.float64) for name in ctx.names]


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
    syn = _columns_as_float(ctx, ctx.synthetic)
    main = _columns_as_float(ctx, sample.members)
    control = _columns_as_float(ctx, sample.non_members)
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


# ---------------------------------------------------------------------- linkability
def _targets(ctx: Context, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    sample = ctx.privacy
    n = min(ctx.options.n_attacks, sample.members.n_rows)
    main = np.sort(rng.choice(sample.members.n_rows, n, replace=False))
    control = np.sort(rng.choice(sample.non_members.n_rows, n, replace=False))
    return main, control


def linkability(ctx: Context) -> DisclosureRisk | None:
    if len(ctx.names) < 2:
        ctx.notes.append("linkability: needs at least two columns; skipped.")
        return None
    sample = ctx.privacy
    rng = ctx.rng("linkability")
    order = rng.permutation(len(ctx.names))
    half = len(order) // 2
    groups = [
        [ctx.names[i] for i in sorted(order[:half])],
        [ctx.names[i] for i in sorted(order[half:])],
    ]
    dims = [
        np.concatenate([np.arange(sample.slices[c].start, sample.slices[c].stop) for c in g])
        for g in groups
    ]
    main_rows, control_rows = _targets(ctx, rng)
    successes = []
    for emb, rows in ((sample.emb_members, main_rows), (sample.emb_non_members, control_rows)):
        targets = emb[rows]
        links = [nearest(targets[:, d], sample.emb_synthetic[:, d], 1)[1][:, 0] for d in dims]
        successes.append(int((links[0] == links[1]).sum()))
    return risk_from_counts(
        "linkability",
        successes[0],
        successes[1],
        len(main_rows),
        len(control_rows),
        ctx.options.confidence,
        {"columns": [list(g) for g in groups]},
    )


# ---------------------------------------------------------------------- inference
def attribute_inference(ctx: Context) -> DisclosureRisk | None:
    if len(ctx.names) < 2:
        ctx.notes.append("attribute inference: needs at least two columns; skipped.")
        return None
    sample = ctx.privacy
    tol = ctx.options.inference_tolerance
    main_rows, control_rows = _targets(ctx, ctx.rng("attribute-inference"))
    blocks = [sample.slices[name] for name in ctx.names]
    correct = []
    for table, emb, rows in (
        (sample.members, sample.emb_members, main_rows),
        (sample.non_members, sample.emb_non_members, control_rows),
    ):
        guess_rows = nearest_leave_one_out(emb[rows], sample.emb_synthetic, blocks)
        hits = np.empty((len(rows), len(ctx.names)), dtype=bool)
        for j, name in enumerate(ctx.names):
            truth = table[name][rows]
            guess = sample.synthetic[name][guess_rows[:, j]]
            if ctx.spec(name).kind == "categorical":
                hits[:, j] = guess == truth
            else:
                both_null = np.isnan(guess) & np.isnan(truth)
                gap = np.abs(ctx.encoder.ecdf(name, guess) - ctx.encoder.ecdf(name, truth))
                with np.errstate(invalid="ignore"):
                    hits[:, j] = both_null | (gap <= tol)
        correct.append(hits.sum(axis=0))
    per_column = [
        risk_from_counts(
            f"attribute_inference:{name}",
            int(correct[0][j]),
            int(correct[1][j]),
            len(main_rows),
            len(control_rows),
            ctx.options.confidence,
            {"secret": name},
        )
        for j, name in enumerate(ctx.names)
    ]
    risks = np.array([r.risk.value for r in per_column], dtype=np.float64)
    lower = np.array([r.risk.ci[0] for r in per_column], dtype=np.float64)
    # the column whose risk is most clearly above zero: a plain maximum would favour the
    # columns whose control success is near 1, where the risk estimate is noisiest
    worst = per_column[int(np.nanargmax(lower))] if not np.isnan(lower).all() else per_column[0]
    return DisclosureRisk(
        name="attribute_inference",
        threat_model=THREAT_MODELS["attribute_inference"],
        risk=worst.risk,
        main_rate=worst.main_rate,
        control_rate=worst.control_rate,
        n_attacks=len(main_rows),
        details={
            "secret": worst.details["secret"],
            "headline": "the column whose risk has the highest lower confidence bound",
            "mean_risk": float(np.nanmean(risks)) if not np.isnan(risks).all() else None,
            "max_risk": float(np.nanmax(risks)) if not np.isnan(risks).all() else None,
        },
        by_column=per_column,
    )


def run(ctx: Context, privacy: Privacy) -> None:
    privacy.disclosure.extend(singling_out(ctx))
    for attack in (linkability, attribute_inference):
        result = attack(ctx)
        if result is not None:
            privacy.disclosure.append(result)
