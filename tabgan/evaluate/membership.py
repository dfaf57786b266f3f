"""Membership inference: can an attacker tell which real rows trained the generator?

The targets are equally many train rows (members) and holdout rows (non-members). Each
attack gives every target a score, higher meaning "more likely a member"; the result is its
ROC AUC and its TPR at 10%, 1% and 0.1% FPR, each with a bootstrap interval, and a thinned
ROC curve. Only these aggregates leave the module.

- ``distance_attack``: the score is minus the distance from the target to its nearest
  synthetic row. Threat model: the attacker holds the synthetic table and the target's
  record, and nothing else.
- ``density_ratio_attack`` (DOMIAS, van Breugel et al., AISTATS 2023): the score is
  ``log p_syn(x) - log p_ref(x)``, the synthetic density over the density of reference rows
  from the same population, so that rows that are merely typical do not look like members.
  Both densities are k-nearest-neighbour estimates (``log p ~ -d log r_k``, and the common
  dimension ``d`` does not change the ranking). Threat model: the attacker also holds real
  rows from the same population that did not train the generator; here the holdout plays
  that part, cross-fitted in two halves so that no non-member target is its own reference.

``by_isolation`` repeats the analysis on the targets farthest from their nearest train row
(the most isolated 10% and 1%), which are the most exposed to such attacks.
"""

from __future__ import annotations

import math

import numpy as np

from tabgan.evaluate.context import Context
from tabgan.evaluate.neighbors import nearest
from tabgan.evaluate.result import IsolationGroup, MembershipAttack, Privacy, Score
from tabgan.evaluate.stats import RocAnalysis, roc_analysis

__all__ = ["FPR_LEVELS", "THREAT_MODELS", "run"]

FPR_LEVELS = (0.1, 0.01, 0.001)
ISOLATION_QUANTILES = {"all targets": 0.0, "most isolated 10%": 0.9, "most isolated 1%": 0.99}
_LOG_FLOOR = 1e-3  # added to distances before the log, so exact copies stay finite

THREAT_MODELS = {
    "distance_attack": (
        "The attacker holds the released synthetic table and a target's full record, and "
        "guesses 'member' when a synthetic row lies unusually close to it."
    ),
    "density_ratio_attack": (
        "The attacker holds the synthetic table, the target's record and real rows from the "
        "same population that did not train the generator (DOMIAS); it guesses 'member' where "
        "the synthetic data is denser than that reference data."
    ),
}


def _log_knn(distances: np.ndarray) -> np.ndarray:
    return np.log(distances + _LOG_FLOOR).mean(axis=1)


def density_ratio_scores(
    targets: np.ndarray,
    log_syn: np.ndarray,
    non_member_rows: np.ndarray,
    reference: np.ndarray,
    k: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """DOMIAS scores, cross-fitted: each half of the targets uses the other half of the
    reference rows (the holdout sample, ``reference[i]`` being target ``non_member_rows[i]``)."""
    scores = np.empty(len(targets))
    fold = rng.permutation(len(targets)) % 2  # every target in one of two folds
    ref_fold = fold[non_member_rows]
    for f in (0, 1):
        ref = reference[ref_fold != f]
        rows = np.flatnonzero(fold == f)
        d_ref, _ = nearest(targets[rows], ref, k)
        scores[rows] = _log_knn(d_ref) - log_syn[rows]
    return scores


def _attack(
    name: str,
    scores: np.ndarray,
    is_member: np.ndarray,
    isolation: np.ndarray,
    ctx: Context,
) -> MembershipAttack:
    opts = ctx.options
    rng = ctx.rng(f"membership-{name}")
    roc = roc_analysis(
        scores,
        is_member,
        fprs=FPR_LEVELS,
        n_bootstrap=opts.n_bootstrap,
        confidence=opts.confidence,
        rng=rng,
    )
    groups = []
    for label, q in ISOLATION_QUANTILES.items():
        if q == 0.0:
            continue
        cut = np.quantile(isolation, q)
        inside = isolation >= cut
        groups.append(_group(label, q, inside, scores, is_member, roc, ctx, rng))
    return MembershipAttack(
        name=name,
        threat_model=THREAT_MODELS[name],
        auc=Score("attack_auc", roc.auc, None, roc.auc_ci),
        tpr_at_fpr={
            str(level): Score(f"tpr_at_fpr_{level}", roc.tpr[level], None, roc.tpr_ci[level])
            for level in FPR_LEVELS
        },
        roc={"fpr": roc.curve_fpr.tolist(), "tpr": roc.curve_tpr.tolist()},
        by_isolation=groups,
        n_members=int(is_member.sum()),
        n_non_members=int((~is_member).sum()),
    )


def _group(
    label: str,
    quantile: float,
    inside: np.ndarray,
    scores: np.ndarray,
    is_member: np.ndarray,
    overall: RocAnalysis,
    ctx: Context,
    rng: np.random.Generator,
) -> IsolationGroup:
    members, non_members = inside & is_member, inside & ~is_member
    n_pos, n_neg = int(members.sum()), int(non_members.sum())
    auc = Score("attack_auc", None)
    if n_pos and n_neg:
        roc = roc_analysis(
            scores[inside],
            is_member[inside],
            fprs=(),
            n_bootstrap=ctx.options.n_bootstrap,
            confidence=ctx.options.confidence,
            rng=rng,
        )
        auc = Score("attack_auc", roc.auc, None, roc.auc_ci)
    tpr, fpr = {}, {}
    for level in FPR_LEVELS:
        flagged = scores >= overall.thresholds[level]
        tpr[str(level)] = float(flagged[members].mean()) if n_pos else math.nan
        fpr[str(level)] = float(flagged[non_members].mean()) if n_neg else math.nan
    return IsolationGroup(label, quantile, n_pos, n_neg, auc, tpr, fpr)


def run(ctx: Context, privacy: Privacy) -> None:
    sample = ctx.privacy
    assert sample.emb_non_members is not None, "membership needs a holdout"
    k = ctx.options.density_neighbors
    n = sample.members.n_rows
    targets = np.concatenate([sample.emb_members, sample.emb_non_members])
    is_member = np.r_[np.ones(n, dtype=bool), np.zeros(n, dtype=bool)]
    non_member_rows = np.arange(n, 2 * n)

    (d_syn, _), _ = sample.cross  # the k nearest synthetic rows of every target
    # isolation: distance to the nearest train-sample row other than the target itself
    exclude = np.r_[np.arange(n), np.full(n, -1)]
    d_iso, _ = nearest(targets, sample.emb_members, 1, exclude=exclude)
    isolation = d_iso[:, 0]

    distance_scores = -d_syn[:, 0]
    privacy.membership.append(
        _attack("distance_attack", distance_scores, is_member, isolation, ctx)
    )
    ratio_scores = density_ratio_scores(
        targets,
        _log_knn(d_syn),
        non_member_rows,
        sample.emb_non_members,
        k,
        ctx.rng("membership-folds"),
    )
    privacy.membership.append(
        _attack("density_ratio_attack", ratio_scores, is_member, isolation, ctx)
    )
