"""The metrics an evaluation reports: what each means (:data:`METRICS`), and ``Score``, one
number with its reference and interval."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["MetricInfo", "METRICS", "Score", "json_number"]


@dataclass(frozen=True)
class MetricInfo:
    """How to read a metric: its label, range, which way is better and its ideal value."""

    label: str
    better: str  # "higher" or "lower"
    ideal: float
    low: float | None
    high: float | None


_UNIT = (0.0, 1.0)
METRICS: dict[str, MetricInfo] = {
    # fidelity
    "ks_complement": MetricInfo("KS complement", "higher", 1.0, *_UNIT),
    "tv_complement": MetricInfo("TV complement", "higher", 1.0, *_UNIT),
    "column_shapes": MetricInfo("column shapes (KS / TV complement)", "higher", 1.0, *_UNIT),
    "null_rate_difference": MetricInfo("null-rate difference", "lower", 0.0, *_UNIT),
    "correlation_similarity": MetricInfo("correlation similarity", "higher", 1.0, *_UNIT),
    "contingency_similarity": MetricInfo("contingency similarity", "higher", 1.0, *_UNIT),
    "pair_trends": MetricInfo("pair trends (all pairs)", "higher", 1.0, *_UNIT),
    "triple_marginals": MetricInfo("three-way marginals (sampled)", "higher", 1.0, *_UNIT),
    "detection_auc": MetricInfo(
        "detection ROC AUC (0.5 = indistinguishable)", "lower", 0.5, *_UNIT
    ),
    "alpha_precision": MetricInfo("alpha-precision (integrated)", "higher", 1.0, *_UNIT),
    "beta_recall": MetricInfo("beta-recall (integrated)", "higher", 1.0, *_UNIT),
    "authenticity": MetricInfo("authenticity", "higher", 1.0, *_UNIT),
    "category_coverage": MetricInfo("real categories covered", "higher", 1.0, *_UNIT),
    "bin_coverage": MetricInfo("real quantile bins covered", "higher", 1.0, *_UNIT),
    "duplicate_rate": MetricInfo("duplicate rows within the table", "lower", 0.0, *_UNIT),
    # utility: value = train synthetic, test real; reference = train real, test real
    "roc_auc": MetricInfo("ROC AUC", "higher", 1.0, *_UNIT),
    "f1": MetricInfo("F1", "higher", 1.0, *_UNIT),
    "accuracy": MetricInfo("accuracy", "higher", 1.0, *_UNIT),
    "r2": MetricInfo("R2", "higher", 1.0, None, 1.0),
    "mae": MetricInfo("MAE", "lower", 0.0, 0.0, None),
    # privacy
    "exact_match_rate": MetricInfo("exact copies of training rows", "lower", 0.0, *_UNIT),
    "dcr_share": MetricInfo("DCR share (0.5 = no signal)", "lower", 0.5, *_UNIT),
    "nndr_median": MetricInfo("median NNDR", "higher", 1.0, *_UNIT),
    "attack_auc": MetricInfo("attack ROC AUC (0.5 = guessing)", "lower", 0.5, *_UNIT),
    # TPR at a fixed FPR: an attack no better than guessing has TPR = FPR
    "tpr_at_fpr_0.1": MetricInfo("TPR at 10% FPR", "lower", 0.1, *_UNIT),
    "tpr_at_fpr_0.01": MetricInfo("TPR at 1% FPR", "lower", 0.01, *_UNIT),
    "tpr_at_fpr_0.001": MetricInfo("TPR at 0.1% FPR", "lower", 0.001, *_UNIT),
    "success_rate": MetricInfo("attack success rate", "lower", 0.0, *_UNIT),
    "risk": MetricInfo("risk (main over control)", "lower", 0.0, None, 1.0),
}


@dataclass
class Score:
    """One number, with the holdout (or real-data) reference and an interval if defined."""

    metric: str
    value: float | None
    reference: float | None = None
    ci: tuple[float, float] | None = None

    @property
    def info(self) -> MetricInfo:
        return METRICS[self.metric]

    def to_dict(self) -> dict:
        info = self.info
        return {
            "metric": self.metric,
            "value": json_number(self.value),
            "reference": json_number(self.reference),
            "ci": None if self.ci is None else [json_number(v) for v in self.ci],
            "better": info.better,
            "ideal": info.ideal,
            "range": [info.low, info.high],
        }


def json_number(value: Any) -> Any:
    """A number as JSON takes it: ints stay ints, NaN and infinities become None."""
    if value is None:
        return None
    if isinstance(value, np.integer | int) and not isinstance(value, bool):
        return int(value)
    value = float(value)
    return value if math.isfinite(value) else None
