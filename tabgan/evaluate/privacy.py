"""Distance-based privacy: exact copies, distance to closest record, nearest-neighbour ratio.

- Exact-match rate: the share of synthetic rows equal, in every scored column, to some row
  of the real (training) table. Reference: the same share for holdout rows, since real
  tables hold natural duplicates too.
- DCR share: the share of synthetic rows whose closest real row is a train row rather than
  a holdout row, train and holdout taken at the same size; ties count half. 0.5 means the
  synthetic table is no closer to the rows it was trained on than to fresh ones; 1.0 means
  every synthetic row sits next to a training row.
- NNDR: for a synthetic row, the distance to its nearest train row over the distance to its
  second nearest. Near 0, the row is close to one particular real row rather than to a
  region of them. Reference: holdout rows against the same train rows.

Distances are Euclidean in the distance embedding (every column weighs at most 1).
Only summaries and histograms (bin counts) leave this module.
"""

from __future__ import annotations

import numpy as np

from tabgan.evaluate.context import Context
from tabgan.evaluate.neighbors import nearest
from tabgan.evaluate.result import (
    DistanceToClosest,
    Histogram,
    NearestNeighbourRatio,
    Privacy,
    Score,
)
from tabgan.evaluate.stats import mean_interval

__all__ = ["run", "dcr_share", "nndr"]

_HISTOGRAM_BINS = 30


def dcr_share(to_train: np.ndarray, to_holdout: np.ndarray) -> np.ndarray:
    """Per synthetic row: 1 if its closest row is in train, 0 if in holdout, 1/2 on a tie."""
    tie = np.isclose(to_train, to_holdout, rtol=1e-9, atol=1e-12)
    return np.where(tie, 0.5, (to_train < to_holdout).astype(np.float64))


def nndr(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Nearest over second-nearest distance; 1 where both are 0 (no single closest row)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(second > 0, first / np.where(second > 0, second, 1.0), 1.0)
    return ratio


def _histogram(samples: dict[str, np.ndarray], upper: float | None = None) -> Histogram:
    values = np.concatenate(list(samples.values()))
    top = upper if upper is not None else float(np.quantile(values, 0.99)) if len(values) else 1.0
    if top <= 0:
        top = float(values.max()) if len(values) and values.max() > 0 else 1.0
    edges = np.linspace(0.0, top, _HISTOGRAM_BINS + 1)
    counts = {
        label: np.histogram(np.minimum(v, top), bins=edges)[0].astype(int).tolist()
        for label, v in samples.items()
    }
    return Histogram(edges=edges.tolist(), counts=counts)


def run(ctx: Context, privacy: Privacy) -> None:
    sample = ctx.privacy
    h_real = ctx.encoder.row_hashes(ctx.real)
    h_syn = ctx.encoder.row_hashes(ctx.synthetic)
    reference = None
    if ctx.holdout is not None:
        reference = float(np.isin(ctx.encoder.row_hashes(ctx.holdout), h_real).mean())
        real_duplicates = 1.0 - len(np.unique(h_real)) / len(h_real)
        if reference > 0.5 and real_duplicates < 0.1:  # distinct real rows, shared holdout rows
            ctx.notes.append(
                f"{reference:.0%} of the holdout rows also appear in the real table; was the "
                "holdout split off before training?"
            )
    privacy.exact_match_rate = Score(
        "exact_match_rate", float(np.isin(h_syn, h_real).mean()), reference
    )

    _, by_group = sample.cross  # synthetic rows against the train and holdout samples
    d_train = by_group[0][0]
    first, second = d_train[:, 0], d_train[:, -1]
    ratio = nndr(first, second)
    samples = {"synthetic_to_train": first}
    share = None
    median_holdout = p05_holdout = None
    ratio_ref = None
    if sample.emb_non_members is not None:
        to_holdout = by_group[1][0][:, 0]
        value, ci = mean_interval(dcr_share(first, to_holdout), ctx.options.confidence)
        share = Score("dcr_share", value, None, ci)
        samples["synthetic_to_holdout"] = to_holdout
        median_holdout = float(np.median(to_holdout))
        p05_holdout = float(np.quantile(to_holdout, 0.05))
        d_ref, _ = nearest(sample.emb_non_members, sample.emb_members, 2)
        ratio_ref = nndr(d_ref[:, 0], d_ref[:, -1])
    privacy.dcr = DistanceToClosest(
        share=share,
        median_train=float(np.median(first)),
        median_holdout=median_holdout,
        p05_train=float(np.quantile(first, 0.05)),
        p05_holdout=p05_holdout,
        histogram=_histogram(samples),
        n_synthetic=len(first),
        n_reference=sample.members.n_rows,
    )
    ratios = {"synthetic": ratio}
    if ratio_ref is not None:
        ratios["holdout"] = ratio_ref
    privacy.nndr = NearestNeighbourRatio(
        median=Score(
            "nndr_median",
            float(np.median(ratio)),
            float(np.median(ratio_ref)) if ratio_ref is not None else None,
        ),
        share_below_half=float(np.mean(ratio < 0.5)),
        histogram=_histogram(ratios, upper=1.0),
    )
