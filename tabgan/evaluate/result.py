"""What an evaluation returns: plain dataclasses, a JSON form and a readable summary.

Every number is a :class:`Score`: its value for the synthetic table, its ``reference`` (the
same score for the holdout, a fresh real sample, put in the synthetic table's place; or, for
utility, the model trained on real rows), and a confidence interval where one is defined.
What each metric means, its range and which way is better live in :data:`METRICS`, so the
JSON carries them too.

Nothing here holds a row of the real data or a per-record distance: only aggregates (means,
rates, histograms as bin counts, ROC curve points).
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tabgan.evaluate.metrics import METRICS, MetricInfo, Score, json_number
from tabgan.evaluate.summary import render

__all__ = [
    "SCHEMA_VERSION",
    "MetricInfo",
    "METRICS",
    "Score",
    "ColumnShape",
    "PairTrend",
    "TripleMarginal",
    "Marginal",
    "Detection",
    "PrecisionRecall",
    "ColumnCoverage",
    "Collapse",
    "Fidelity",
    "ModelUtility",
    "Utility",
    "Histogram",
    "DistanceToClosest",
    "NearestNeighbourRatio",
    "IsolationGroup",
    "MembershipAttack",
    "DisclosureRisk",
    "Privacy",
    "RunInfo",
    "Evaluation",
]

SCHEMA_VERSION = 1


# ---------------------------------------------------------------------- fidelity
@dataclass
class ColumnShape:
    column: Any
    kind: str
    shape: Score  # ks_complement (numeric, datetime) or tv_complement (categorical)
    null_rate_difference: Score
    null_rate_real: float
    null_rate_synthetic: float
    null_rate_holdout: float | None = None


@dataclass
class PairTrend:
    columns: tuple[Any, Any]
    score: Score  # correlation_similarity or contingency_similarity
    real: float | None = None  # Pearson correlations, for correlation_similarity
    synthetic: float | None = None
    holdout: float | None = None


@dataclass
class TripleMarginal:
    columns: tuple[Any, Any, Any]
    score: Score


@dataclass
class Marginal:
    """Shares per bin (numbers: equal-width bins over the real range) or per category, for
    plotting. Real categories rarer than ``min_category_count`` are pooled as "(other)"."""

    column: Any
    kind: str
    labels: list[str]
    real: list[float]
    synthetic: list[float]
    holdout: list[float] | None = None
    edges: list[float] | None = None  # numeric bins: len(labels) - 3 bins ("below", "above", null)


@dataclass
class Detection:
    auc: Score
    fold_aucs: list[float]
    reference_fold_aucs: list[float] | None
    rows_per_class: int
    reference_rows_per_class: int | None
    folds: int
    model: str = "HistGradientBoostingClassifier"


@dataclass
class PrecisionRecall:
    alpha_precision: Score
    beta_recall: Score
    authenticity: Score
    alphas: list[float]
    precision_curve: list[float]
    recall_curve: list[float]
    reference_precision_curve: list[float] | None
    reference_recall_curve: list[float] | None
    rows: int


@dataclass
class ColumnCoverage:
    column: Any
    kind: str  # "categorical" (real categories) or "numeric" / "datetime" (real quantile bins)
    coverage: Score
    n_levels: int
    n_missing: int
    missing: list[str] = field(default_factory=list)  # named only if not rare in the real table


@dataclass
class Collapse:
    category_coverage: Score | None
    bin_coverage: Score | None
    duplicate_rate: Score  # reference: the real table's own rate at the same size
    duplicate_rows: int  # rows per table at which the duplicate rates were measured
    columns: list[ColumnCoverage] = field(default_factory=list)


@dataclass
class Fidelity:
    column_shapes: Score | None = None
    null_rate_difference: Score | None = None
    pair_trends: Score | None = None
    triple_marginals: Score | None = None
    columns: list[ColumnShape] = field(default_factory=list)
    pairs: list[PairTrend] = field(default_factory=list)
    triples: list[TripleMarginal] = field(default_factory=list)
    marginals: list[Marginal] = field(default_factory=list)
    detection: Detection | None = None
    precision_recall: PrecisionRecall | None = None
    collapse: Collapse | None = None


# ---------------------------------------------------------------------- utility
@dataclass
class ModelUtility:
    model: str  # "linear" or "gradient_boosting"
    scores: dict[str, Score]  # value: train synthetic / test real; reference: train real


@dataclass
class Utility:
    target: Any
    task: str  # "classification" or "regression"
    positive_class: str | None
    test_set: str  # "holdout" or "split of the real table"
    n_train_real: int
    n_train_synthetic: int
    n_test: int
    models: list[ModelUtility]
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------- privacy
@dataclass
class Histogram:
    edges: list[float]
    counts: dict[str, list[int]]


@dataclass
class DistanceToClosest:
    share: Score | None  # dcr_share, with its interval; None without a holdout
    median_train: float
    median_holdout: float | None
    p05_train: float
    p05_holdout: float | None
    histogram: Histogram  # counts of synthetic rows by distance to train and to holdout
    n_synthetic: int
    n_reference: int  # rows of train (and of holdout) the distances are taken to


@dataclass
class NearestNeighbourRatio:
    median: Score  # reference: holdout rows against the same train rows
    share_below_half: float
    histogram: Histogram


@dataclass
class IsolationGroup:
    """Attack success on the targets farthest from their nearest real neighbour."""

    label: str
    quantile: float
    n_members: int
    n_non_members: int
    auc: Score
    tpr: dict[str, float]  # at the thresholds that give these FPRs over all targets
    fpr: dict[str, float]


@dataclass
class MembershipAttack:
    name: str
    threat_model: str
    auc: Score
    tpr_at_fpr: dict[str, Score]
    roc: dict[str, list[float]]  # {"fpr": [...], "tpr": [...]}, thinned, log-spaced at low FPR
    by_isolation: list[IsolationGroup]
    n_members: int
    n_non_members: int


@dataclass
class DisclosureRisk:
    name: str
    threat_model: str
    risk: Score
    main_rate: Score
    control_rate: Score
    n_attacks: int
    details: dict[str, Any] = field(default_factory=dict)
    by_column: list[DisclosureRisk] = field(default_factory=list)


@dataclass
class Privacy:
    n_members: int
    n_non_members: int
    n_synthetic: int
    exact_match_rate: Score | None = None
    dcr: DistanceToClosest | None = None
    nndr: NearestNeighbourRatio | None = None
    membership: list[MembershipAttack] = field(default_factory=list)
    disclosure: list[DisclosureRisk] = field(default_factory=list)


# ---------------------------------------------------------------------- the whole
@dataclass
class RunInfo:
    n_real: int
    n_synthetic: int
    n_holdout: int | None
    columns: list[dict[str, Any]]  # [{"name": ..., "kind": ...}] for the scored columns
    skipped_columns: dict[str, str]
    target: Any
    positive_class: str | None
    seed: int
    tabgan_version: str
    seconds: dict[str, float] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # steps not run, and why
    notes: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class Evaluation:
    """The result of :func:`tabgan.evaluate.evaluate`."""

    info: RunInfo
    fidelity: Fidelity | None = None
    utility: Utility | None = None
    privacy: Privacy | None = None
    schema_version: int = SCHEMA_VERSION

    def scores(self) -> dict[str, Score]:
        """The headline scores, flat, under dotted names such as ``"privacy.dcr_share"``."""
        out: dict[str, Score] = {}
        f = self.fidelity
        if f is not None:
            for name in (
                "column_shapes",
                "null_rate_difference",
                "pair_trends",
                "triple_marginals",
            ):
                _put(out, f"fidelity.{name}", getattr(f, name))
            if f.detection is not None:
                _put(out, "fidelity.detection_auc", f.detection.auc)
            if f.precision_recall is not None:
                for name in ("alpha_precision", "beta_recall", "authenticity"):
                    _put(out, f"fidelity.{name}", getattr(f.precision_recall, name))
            if f.collapse is not None:
                for name in ("category_coverage", "bin_coverage", "duplicate_rate"):
                    _put(out, f"fidelity.{name}", getattr(f.collapse, name))
        if self.utility is not None:
            for model in self.utility.models:
                for metric, score in model.scores.items():
                    _put(out, f"utility.{model.model}.{metric}", score)
        p = self.privacy
        if p is not None:
            _put(out, "privacy.exact_match_rate", p.exact_match_rate)
            if p.dcr is not None:
                _put(out, "privacy.dcr_share", p.dcr.share)
            if p.nndr is not None:
                _put(out, "privacy.nndr_median", p.nndr.median)
            for attack in p.membership:
                _put(out, f"privacy.{attack.name}.auc", attack.auc)
                for level, score in attack.tpr_at_fpr.items():
                    _put(out, f"privacy.{attack.name}.tpr@{level}", score)
            for risk in p.disclosure:
                _put(out, f"privacy.{risk.name}.risk", risk.risk)
        return out

    def to_dict(self) -> dict:
        """Plain JSON-able data: NaN and infinities become ``None``, names become strings."""
        return _plain(self)

    def to_json(self, path: str | os.PathLike | None = None, *, indent: int | None = 2) -> str:
        """The JSON text; with ``path``, also written there atomically."""
        text = json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)
        if path is not None:
            from tabgan.table.io import atomic_write_text

            atomic_write_text(path, text + "\n")
        return text

    def summary(self) -> str:
        return render(self)

    def __str__(self) -> str:
        return self.summary()


def _put(out: dict[str, Score], key: str, score: Score | None) -> None:
    if score is not None:
        out[key] = score


def _plain(obj: Any) -> Any:
    if isinstance(obj, Score):
        return obj.to_dict()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {_key(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | np.ndarray):
        return [_plain(v) for v in obj]
    if isinstance(obj, bool | np.bool_):
        return bool(obj)
    if isinstance(obj, int | float | np.integer | np.floating):
        return json_number(obj)
    if obj is None or isinstance(obj, str):
        return obj
    return str(obj)


def _key(key: Any) -> str:
    return key if isinstance(key, str) else str(key)
