"""The canary audit: an empirical lower bound on epsilon from one training run.

After Steinke, Nasr & Jagielski, "Privacy Auditing with One (1) Training Run" (NeurIPS 2023):

1. Craft ``m`` canary records from the table's metadata: every categorical value drawn
   uniformly from the column's categories and every number uniformly over its range, so a
   canary is a valid record in an unusual (rare or out-of-distribution) combination, never
   a copy of a real row.
2. Include each canary in the training table with probability 1/2, independently (a seeded
   numpy ``Generator``).
3. Train a fresh ``TabGAN`` with the audited model's parameters on the table plus the
   included canaries, and sample a synthetic table of a fixed size (it does not depend on
   how many canaries were included).
4. Score every canary from that synthetic table alone: minus the mean log distance to its
   5 nearest synthetic rows, a nearest-neighbour estimate of the synthetic density at the
   canary (higher: the generator puts mass where the canary is, as it does for a record it
   memorised).
5. Guess under each of a few rules fixed before any score is seen (``RULE_SHARES``): the
   ``k`` highest-scored canaries "included", abstaining on the rest.
6. Turn each rule's count of correct guesses into a lower bound on epsilon that holds
   with 95% confidence (:func:`epsilon_lower_bound`); the rules are tested at level
   ``0.05 / R`` each (Bonferroni over the ``R`` rules), so that reporting the largest of
   their bounds keeps the 95% confidence.

If training were (epsilon, delta)-DP, each canary's membership could be guessed right with
probability at most about ``e^eps / (1 + e^eps)``; many more right guesses than that allows
refute the claim. A bound above the claimed epsilon is a failure of the implementation (or
of the claim), not bad luck, in all but 5% of audits.

The audit measures the training procedure, on the table it is given; it is a separate
training run from the released model, whose own samples never contain a canary.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from tabgan.errors import AuditError
from tabgan.privacy import accounting
from tabgan.privacy.canary_bound import CONFIDENCE, GuessRule, guess
from tabgan.table import datetimes
from tabgan.table.metadata import Metadata, coerce_metadata

__all__ = [
    "SCORE_NEIGHBORS",
    "CanaryAudit",
    "craft_canaries",
    "canary_scores",
    "canary_audit",
]

SCORE_NEIGHBORS = 5  # synthetic neighbours in the density estimate of a canary's score
MIN_SYNTHETIC_ROWS = 20_000  # enough rows that a memorised canary is likely reproduced
_DISTANCE_FLOOR = 1e-3  # added to distances before the log, so exact copies stay finite
_HISTOGRAM_BINS = 20


@dataclass
class CanaryAudit:
    """The outcome of :func:`canary_audit`. Holds counts, scores as histograms and the
    bound; never a canary or a real row."""

    n_canaries: int
    n_included: int
    n_train_rows: int  # rows the audit run trained on: the table plus the included canaries
    n_synthetic: int
    confidence: float
    delta: float  # the delta of the bound: the claim's; 0 without DP (a pure-DP bound)
    claimed_epsilon: float | None  # the audit run's own ledger; None without DP
    epsilon_lower_bound: float
    best_rule: str
    rules: list[GuessRule]
    auc: float  # ROC AUC of the canary scores, included against excluded (0.5: no signal)
    score_histogram: dict[str, Any]  # {"edges": [...], "counts": {"included": [...], ...}}
    seed: int
    seconds: float
    training: dict[str, Any] = field(default_factory=dict)  # epochs, batch size, epsilon

    @property
    def exceeds_claim(self) -> bool | None:
        """True when the bound refutes the claimed epsilon: a failed audit. None without DP."""
        if self.claimed_epsilon is None:
            return None
        return bool(self.epsilon_lower_bound > self.claimed_epsilon)

    def to_dict(self) -> dict:
        out = asdict(self)
        out["exceeds_claim"] = self.exceeds_claim
        return out


# ---------------------------------------------------------------------- crafting
def craft_canaries(
    data: pd.DataFrame,
    n: int,
    rng: np.random.Generator,
    *,
    metadata=None,
    discrete_columns: Iterable | None = None,
) -> pd.DataFrame:
    """``n`` valid records in unusual combinations, in ``data``'s columns and dtypes.

    Categorical values come uniformly from the column's categories (the metadata's list, or
    the values the table holds), numbers uniformly from its range (the metadata's public
    bounds, or the table's minimum and maximum), dates likewise; identifier columns get
    fresh values. No canary copies a real row: each column is drawn on its own.
    """
    meta = Metadata.infer(data, metadata=metadata, discrete_columns=discrete_columns)
    columns: dict[Any, Any] = {}
    for column in meta.columns:
        series = data[column.name]
        if column.kind == "categorical":
            values = _categories(column, series)
            picked = [values[i] for i in rng.integers(0, len(values), n)]
            columns[column.name] = _like(series, picked)
        elif column.kind == "id":
            columns[column.name] = _fresh_ids(series, n)
        else:
            low, high = column.numeric_bounds() or _range(column, series)
            values = rng.uniform(low, high, n)
            if column.kind == "integer":
                values = np.round(values)
            columns[column.name] = _numbers_like(column, series, values)
    return pd.DataFrame(columns, columns=data.columns)


def _categories(column, series: pd.Series) -> list:
    if column.categories is not None:
        values = [c for c in column.categories if c is not None]
    elif isinstance(series.dtype, pd.CategoricalDtype):
        values = list(series.cat.categories)
    else:
        values = list(pd.unique(series.dropna()))
    if not values:
        raise AuditError(
            f"column {column.name!r} has no category to draw canaries from; drop the column "
            "or list its categories in the metadata."
        )
    return values


def _like(series: pd.Series, values: list) -> pd.Series:
    if isinstance(series.dtype, pd.CategoricalDtype):
        return pd.Series(pd.Categorical(values, dtype=series.dtype))
    return pd.Series(values, dtype=series.dtype)


def _range(column, series: pd.Series) -> tuple[float, float]:
    """The smallest and largest value of a numeric or datetime column (dates in seconds)."""
    if column.kind == "datetime":
        values = datetimes.to_seconds(series, column.datetime_format, errors="coerce")
    else:
        values = pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64")
    values = values[np.isfinite(values)]
    if len(values) == 0:
        raise AuditError(
            f"column {column.name!r} has no value to draw canaries from; drop the column or "
            "give its bounds in the metadata."
        )
    return float(values.min()), float(values.max())


def _numbers_like(column, series: pd.Series, values: np.ndarray) -> pd.Series:
    if column.kind == "datetime":
        unit = datetimes.column_unit(series.dtype, column.datetime_format)
        return datetimes.restore(values, unit=unit, step_ns=10**9, dtype=series.dtype,
                                 datetime_format=column.datetime_format)
    return pd.Series(values).astype(series.dtype)


def _fresh_ids(series: pd.Series, n: int) -> pd.Series:
    if pd.api.types.is_numeric_dtype(series):
        start = int(np.nanmax(series.to_numpy(dtype="float64"))) + 1
        return pd.Series(np.arange(start, start + n)).astype(series.dtype)
    return pd.Series([f"canary-{i:06d}" for i in range(n)], dtype=series.dtype)


# ---------------------------------------------------------------------- scoring
def canary_scores(
    canaries: pd.DataFrame,
    synthetic: pd.DataFrame,
    reference: pd.DataFrame,
    *,
    metadata=None,
) -> np.ndarray:
    """Minus the mean log distance from each canary to its ``SCORE_NEIGHBORS`` nearest
    synthetic rows: a k-nearest-neighbour estimate of the synthetic table's log density at
    the canary, up to constants. Higher: more likely included.

    Distances are taken in the evaluation's embedding (every column weighs at most 1) with
    scales fitted on ``reference``, the table without the canaries, which does not depend on
    which canaries were included; so the scores are a function of the synthetic table alone.
    """
    from tabgan.evaluate.columns import resolve_columns
    from tabgan.evaluate.encoding import TableEncoder
    from tabgan.evaluate.neighbors import nearest

    specs, _ = resolve_columns(reference, metadata)
    encoder = TableEncoder(specs).fit(reference)
    emb_canaries = encoder.embed(encoder.prepare(canaries, "canaries"))[0]
    emb_synthetic = encoder.embed(encoder.prepare(synthetic, "synthetic"))[0]
    d_syn = nearest(emb_canaries, emb_synthetic, SCORE_NEIGHBORS)[0]
    return -np.log(d_syn + _DISTANCE_FLOOR).mean(axis=1)


def _auc(scores: np.ndarray, included: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    if included.all() or not included.any():
        return math.nan
    return float(roc_auc_score(included, scores))


def _histogram(scores: np.ndarray, included: np.ndarray) -> dict[str, Any]:
    finite = scores[np.isfinite(scores)]
    low, high = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    if high <= low:
        low, high = low - 0.5, high + 0.5
    edges = np.linspace(low, high, _HISTOGRAM_BINS + 1)
    return {
        "edges": edges.tolist(),
        "counts": {
            "included": np.histogram(scores[included], bins=edges)[0].astype(int).tolist(),
            "excluded": np.histogram(scores[~included], bins=edges)[0].astype(int).tolist(),
        },
    }


# ---------------------------------------------------------------------- the audit
def canary_audit(
    data: pd.DataFrame,
    model,
    n_canaries: int,
    *,
    metadata=None,
    discrete_columns: Iterable | None = None,
    n_synthetic: int | None = None,
    random_state: int | None = 0,
    confidence: float = CONFIDENCE,
) -> CanaryAudit:
    """Run the one-run canary audit of ``model``'s training procedure on ``data``.

    ``model`` is a ``TabGAN`` (fitted or not; only its parameters are used) or a dict of
    its parameters. ``n_canaries`` records are crafted, each included with probability 1/2,
    a model with the same parameters is trained on ``data`` plus the included canaries,
    ``n_synthetic`` rows (default: as many as ``data`` has) are sampled, and the canaries are
    scored from them. ``metadata`` and ``discrete_columns`` are those the audited fit used.

    Examples
    --------
    >>> from tabgan import TabGAN
    >>> result = canary_audit(table, TabGAN(epochs=300), 200)  # doctest: +SKIP
    >>> result.epsilon_lower_bound, result.claimed_epsilon  # doctest: +SKIP
    """
    from tabgan.synthesizer import TabGAN

    started = time.perf_counter()
    if isinstance(n_canaries, bool) or not isinstance(n_canaries, int | np.integer):
        raise AuditError(f"the number of canaries must be an integer, got {n_canaries!r}.")
    if n_canaries < 2:
        raise AuditError(
            f"the canary audit needs at least 2 canaries, got {n_canaries}; use 100 or more "
            "for a useful bound."
        )
    if not 0 < confidence < 1:
        raise AuditError(f"confidence must lie strictly between 0 and 1, got {confidence!r}.")
    if not isinstance(data, pd.DataFrame) or len(data) == 0:
        raise AuditError("the canary audit needs the training table as a non-empty DataFrame.")
    params = _params(model)
    declared = coerce_metadata(metadata)
    if params.get("constraints") or (declared is not None and declared.constraints):
        raise AuditError(
            "the canary audit cannot audit a fit with constraints: its canaries are random "
            "records, which break them. Audit the same settings without the constraints."
        )
    if random_state is None:
        seed = int(np.random.default_rng().integers(2**62))
    else:
        seed = int(random_state)
    rng = np.random.default_rng([seed, 0xCA])
    n_canaries = int(n_canaries)
    canaries = craft_canaries(
        data, n_canaries, rng, metadata=metadata, discrete_columns=discrete_columns
    )
    included = rng.random(n_canaries) < 0.5
    table = pd.concat([data, canaries[included]], ignore_index=True)
    params.update(verbose=False, random_state=int(rng.integers(2**31)))
    dp = params.get("epsilon") is not None
    if dp and params.get("delta") is None:
        # The default delta depends on the table's size, so fix it from the size with
        # every canary included: the claim is then the same whichever canaries went in.
        params["delta"] = accounting.default_delta(len(data) + n_canaries)
    audited = TabGAN(**params).fit(
        table, discrete_columns=list(discrete_columns) if discrete_columns else None,
        metadata=metadata,
    )
    if n_synthetic is None:
        n_synthetic = max(len(data), MIN_SYNTHETIC_ROWS)
    synthetic = audited.sample(n_synthetic, random_state=int(rng.integers(2**31)))
    scores = canary_scores(canaries, synthetic, data, metadata=metadata)

    ledger = getattr(audited, "privacy_ledger_", None)
    claimed = float(ledger.epsilon) if ledger is not None else None
    # Without DP there is no claimed delta: the bound is then on pure epsilon (delta = 0).
    delta = float(ledger.delta) if ledger is not None else 0.0
    rules = guess(scores, included, rng, delta=delta, confidence=confidence)
    best = max(rules, key=lambda r: r.epsilon_lower_bound)
    return CanaryAudit(
        n_canaries=n_canaries,
        n_included=int(included.sum()),
        n_train_rows=len(table),
        n_synthetic=n_synthetic,
        confidence=confidence,
        delta=delta,
        claimed_epsilon=claimed,
        epsilon_lower_bound=best.epsilon_lower_bound,
        best_rule=best.name,
        rules=rules,
        auc=_auc(scores, included),
        score_histogram=_histogram(scores, included),
        seed=seed,
        seconds=time.perf_counter() - started,
        training={
            "epochs": params.get("epochs"),
            "epochs_trained": len(audited.history_),
            "batch_size": params.get("batch_size"),
            "epsilon": params.get("epsilon"),
            "delta": params.get("delta"),
        },
    )


def _params(model) -> dict[str, Any]:
    if isinstance(model, Mapping):
        return dict(model)
    if hasattr(model, "get_params"):
        return dict(model.get_params())
    raise AuditError(
        f"the canary audit needs the model whose training it repeats (a TabGAN or a dict of "
        f"its parameters), got {type(model).__name__}."
    )
