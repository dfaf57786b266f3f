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

import numpy as np

from tabgan.evaluate.context import Context
from tabgan.evaluate.neighbors import nearest, nearest_leave_one_out
from tabgan.evaluate.result import DisclosureRisk, Privacy
from tabgan.evaluate.risk import THREAT_MODELS, risk_from_counts
from tabgan.evaluate.singling_out import singling_out

__all__ = ["run"]


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
