"""Disclosure risks from attack counts: the main attack against train rows over the same
attack against a control set of holdout rows (see :mod:`tabgan.evaluate.disclosure`)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tabgan.evaluate.context import Context
from tabgan.evaluate.encoding import PreparedTable
from tabgan.evaluate.metrics import Score
from tabgan.evaluate.result import DisclosureRisk
from tabgan.evaluate.stats import residual_risk, wilson

__all__ = ["THREAT_MODELS", "risk_from_counts", "columns_as_float"]

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


def columns_as_float(ctx: Context, table: PreparedTable) -> list[np.ndarray]:
    return [table[name].astype(np.float64) for name in ctx.names]
