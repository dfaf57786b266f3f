"""The tunable settings of an evaluation, each with its default and the reason for it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from tabgan.errors import EvaluationError

__all__ = ["EvaluationOptions"]


@dataclass(frozen=True)
class EvaluationOptions:
    """Sizes, bins and attack settings. The defaults keep Adult-sized tables under a minute.

    Every ``*_rows`` cap draws a random subsample (seeded by ``random_state``) when a table
    is larger; the result records the sizes actually used.
    """

    n_bins: int = 10  # quantile bins (fitted on the real table) for pair and triple marginals
    coverage_bins: int = 20  # finer real-quantile bins for the mode-collapse bin coverage
    coverage_tolerance: float = 0.1  # a bin or category is covered at >= 10% of its real share
    n_triples: int = 50  # sampled three-way marginals; 0 skips them
    max_onehot: int = 100  # most frequent real categories one-hot encoded for distances
    min_category_count: int = 5  # rarer real categories are never named in the output
    detection_rows: int = 10_000  # rows per class for the real-vs-synthetic classifier
    detection_folds: int = 5  # cross-validation folds of the detection classifier
    support_rows: int = 5_000  # rows per table for alpha-precision / beta-recall
    n_alphas: int = 30  # grid of alpha (and beta) levels for the precision / recall curves
    support_neighbors: int = 5  # k of the real k-NN balls used by beta-recall
    utility_rows: int = 50_000  # training rows per model for TSTR / TRTR
    utility_test_share: float = 0.2  # share of the real table held out when no holdout is given
    privacy_rows: int = 10_000  # members (train rows) and non-members (holdout rows) attacked
    synthetic_rows: int = 30_000  # synthetic rows used in distance computations
    density_neighbors: int = 5  # k of the k-NN density estimates of the density-ratio attack
    n_bootstrap: int = 200  # bootstrap resamples for the attack confidence intervals
    confidence: float = 0.95  # level of every confidence interval
    n_attacks: int = 500  # attacks per Anonymeter-style risk (main and control each)
    singling_out_columns: int = 4  # columns per multivariate singling-out predicate
    max_query_attempts: int = 50_000  # candidate predicates tried to find singling-out ones
    inference_tolerance: float = 0.05  # a numeric guess is right within 5 real percentiles

    def __post_init__(self) -> None:
        positive = [
            "n_bins",
            "coverage_bins",
            "max_onehot",
            "detection_rows",
            "support_rows",
            "n_alphas",
            "support_neighbors",
            "utility_rows",
            "privacy_rows",
            "synthetic_rows",
            "density_neighbors",
            "n_attacks",
            "singling_out_columns",
            "max_query_attempts",
        ]
        for name in positive:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise EvaluationError(f"option {name} must be a positive integer, got {value!r}.")
        for name in ("n_triples", "n_bootstrap", "min_category_count"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise EvaluationError(f"option {name} must be an integer >= 0, got {value!r}.")
        if self.detection_folds < 2:
            raise EvaluationError(
                f"option detection_folds must be at least 2, got {self.detection_folds!r}."
            )
        for name in ("coverage_tolerance", "utility_test_share", "confidence"):
            value = getattr(self, name)
            if not 0.0 < value < 1.0:
                raise EvaluationError(f"option {name} must lie strictly between 0 and 1.")
        if self.inference_tolerance < 0:
            raise EvaluationError("option inference_tolerance must be >= 0.")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in fields(cls)]
