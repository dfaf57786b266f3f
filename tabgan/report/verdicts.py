"""Traffic lights: each headline figure against a green and a red line, with the reason for
the lines. The figures come from the evaluation, the privacy ledger and the canary audit;
nothing here measures anything, it only compares.

Where a figure has a confidence interval, a light turns red only when the interval's
better end is past the red line, so sampling noise alone cannot turn a light red; it turns
green when the figure itself is within the green line. Everything between is amber.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass

from tabgan.evaluate.result import Evaluation, Score

__all__ = ["Threshold", "Verdict", "THRESHOLDS", "verdicts"]

GREEN, AMBER, RED, GREY = "green", "amber", "red", "grey"


@dataclass(frozen=True)
class Threshold:
    """A green and a red line for one figure, which way is better, and why these lines."""

    label: str
    better: str  # "lower" or "higher"
    green: float  # green when the figure is at or better than this
    red: float  # red when the figure (its interval's better end, if any) is worse than this
    reason: str

    def rule(self) -> str:
        ok, bad = ("<=", ">") if self.better == "lower" else (">=", "<")
        return f"green if {ok} {self.green:g}; red if {bad} {self.red:g}"


THRESHOLDS: dict[str, Threshold] = {
    "guarantee": Threshold(
        "formal guarantee (epsilon)", "lower", 1.0, 10.0,
        "At epsilon <= 1 an attacker's odds about any row move by at most e = 2.7x, commonly "
        "called a strong guarantee; above 10 the factor e^10 = 22,000 bounds little in "
        "practice. Without differential privacy there is no guarantee at all: red.",
    ),
    "canary_dp": Threshold(
        "canary lower bound vs claimed epsilon (excess)", "lower", 0.0, 0.0,
        "A lower bound above the claimed epsilon refutes the claim at 95% confidence: the "
        "implementation or its accounting is broken. At or below the claim is what a correct "
        "implementation gives.",
    ),
    "canary_plain": Threshold(
        "canary lower bound on epsilon (no DP claim)", "lower", 0.0, 1.0,
        "Without DP, the bound is the evidence of leakage: 0 means the canaries could not be "
        "told apart; above 1 an attacker guesses a canary's membership with odds at least "
        "e = 2.7 times better than chance, clear memorisation.",
    ),
    "exact_copies": Threshold(
        "exact copies of training rows, above the holdout's rate", "lower", 0.001, 0.01,
        "Real tables hold natural duplicates, so fresh real rows match training rows at the "
        "holdout rate; copies beyond it are memorised rows. 0.1 percentage points is noise at "
        "these sample sizes; 1 point means one synthetic row in a hundred is a copy.",
    ),
    "dcr_share": Threshold(
        "DCR share (nearest real row is a training row)", "lower", 0.52, 0.55,
        "0.5 means the synthetic rows are no closer to the training rows than to fresh ones. "
        "Up to 0.52 is within what generalisation alone gives; beyond 0.55 synthetic rows sit "
        "measurably next to the rows they were trained on.",
    ),
    "nndr": Threshold(
        "median NNDR below the holdout's", "lower", 0.05, 0.15,
        "The nearest-neighbour distance ratio drops when a synthetic row mirrors one real "
        "row. A drop of 0.05 below fresh real rows' ratio is noise; 0.15 is a shift towards "
        "near-copies.",
    ),
    "membership_auc": Threshold(
        "membership attack ROC AUC (strongest attack)", "lower", 0.55, 0.60,
        "0.5 is guessing. An AUC up to 0.55 leaks little on average; past 0.60 the attacker "
        "separates members from non-members for a sizeable share of rows.",
    ),
    "membership_tpr": Threshold(
        "membership attack TPR at 1% FPR (strongest attack)", "lower", 0.02, 0.05,
        "What matters is confident identification of a few rows, not the average (Carlini "
        "et al., 2022). Chance is 0.01; twice chance is noise-level, five times chance means "
        "some rows are identified with confidence.",
    ),
    "exposed_auc": Threshold(
        "membership AUC on the most isolated 10% of rows", "lower", 0.55, 0.60,
        "Outliers are the rows a generator memorises first; an average over all rows can "
        "hide them. The same lines as for all rows, so that the outliers get no less "
        "protection than everyone else.",
    ),
    "disclosure": Threshold(
        "disclosure risk (main over control)", "lower", 0.05, 0.10,
        "The risk is the attacker's success beyond what population knowledge (the control "
        "attack) gives, as a share of what was left to gain. 5% is within the noise of 500 "
        "attacks; 10% and more means the synthetic table itself gives rows away.",
    ),
    "column_shapes": Threshold(
        "column shapes, below the holdout reference", "lower", 0.05, 0.15,
        "The holdout shows what a perfect generator scores at this sample size. Within 0.05 "
        "of it the columns' distributions are as close as real data gets; 0.15 below it, "
        "marginals are visibly wrong.",
    ),
    "pair_trends": Threshold(
        "pair trends, below the holdout reference", "lower", 0.05, 0.15,
        "As for column shapes, for the relationships between pairs of columns.",
    ),
    "detection_auc": Threshold(
        "detection classifier ROC AUC", "lower", 0.70, 0.90,
        "0.5: a classifier cannot tell synthetic rows from real ones. Most tabular "
        "generators score 0.7-0.9; above 0.9 nearly every synthetic row gives itself away.",
    ),
    "utility": Threshold(
        "TSTR below TRTR (gradient boosting, headline metric)", "lower", 0.05, 0.15,
        "Training on synthetic rows should predict real rows nearly as well as training on "
        "real rows; a drop of 0.05 is small, 0.15 makes the synthetic table a poor stand-in "
        "for modelling.",
    ),
}


@dataclass
class Verdict:
    key: str
    label: str
    light: str  # "green", "amber", "red", or "grey" (not measured)
    value: float | None  # the figure compared with the lines
    shown: str  # the figure as the page prints it
    rule: str  # the lines, in words
    reason: str
    section: str  # the page section that holds the figure

    def to_dict(self) -> dict:
        out = asdict(self)
        if self.value is not None and not math.isfinite(self.value):
            out["value"] = None
        return out


def _light(t: Threshold, value: float | None, conservative: float | None = None) -> str:
    """Green within the green line; red when ``conservative`` (the interval's better end,
    else the value) is past the red line; amber between."""
    if value is None or not math.isfinite(value):
        return GREY
    edge = value if conservative is None or not math.isfinite(conservative) else conservative
    if t.better == "lower":
        if value <= t.green:
            return GREEN
        return RED if edge > t.red else AMBER
    if value >= t.green:
        return GREEN
    return RED if edge < t.red else AMBER


def _make(key: str, value, shown: str, section: str, conservative=None, label=None) -> Verdict:
    t = THRESHOLDS[key]
    return Verdict(key, label or t.label, _light(t, value, conservative), value, shown,
                   t.rule(), t.reason, section)


def _ci_low(score: Score) -> float | None:
    return None if score.ci is None or score.ci[0] is None else float(score.ci[0])


def _fmt(value: float | None, digits: int = 3) -> str:
    if value is None or not math.isfinite(value):
        return "not measured"
    return f"{value:.{digits}f}"


def _worst(verdicts: list[Verdict]) -> Verdict | None:
    order = {RED: 3, AMBER: 2, GREEN: 1, GREY: 0}
    measured = [v for v in verdicts if v.light != GREY]
    if not measured:
        return verdicts[0] if verdicts else None
    return max(measured, key=lambda v: (order[v.light], v.value))


# ---------------------------------------------------------------------- the checks
def _guarantee(ev: Evaluation, ledger, canaries, model_given: bool) -> list[Verdict]:
    if ledger is None:
        if not model_given:
            return [Verdict("guarantee", THRESHOLDS["guarantee"].label, GREY, None,
                            "unknown: no model given", THRESHOLDS["guarantee"].rule(),
                            THRESHOLDS["guarantee"].reason, "guarantee")]
        return [Verdict("guarantee", THRESHOLDS["guarantee"].label, RED, None,
                        "none: trained without differential privacy",
                        THRESHOLDS["guarantee"].rule(), THRESHOLDS["guarantee"].reason,
                        "guarantee")]
    eps = float(ledger.epsilon)
    return [_make("guarantee", eps, f"epsilon = {eps:.3f}, delta = {ledger.delta:.3g}",
                  "guarantee")]


def _canaries(ev: Evaluation, ledger, canaries, model_given: bool) -> list[Verdict]:
    if canaries is None:
        return []
    bound = float(canaries.epsilon_lower_bound)
    if canaries.claimed_epsilon is not None:
        claim = float(canaries.claimed_epsilon)
        verdict = _make("canary_dp", bound - claim,
                        f"bound {bound:.3f} vs claimed {claim:.3f}", "canaries")
        return [verdict]
    return [_make("canary_plain", bound, f"epsilon >= {bound:.3f}", "canaries")]


def _privacy(ev: Evaluation, ledger, canaries, model_given: bool) -> list[Verdict]:
    p = ev.privacy
    if p is None:
        return []
    out = []
    if p.exact_match_rate is not None and p.exact_match_rate.reference is not None:
        s = p.exact_match_rate
        out.append(_make("exact_copies", s.value - s.reference,
                         f"{s.value:.2%} vs holdout {s.reference:.2%}", "privacy"))
    if p.dcr is not None and p.dcr.share is not None:
        s = p.dcr.share
        out.append(_make("dcr_share", s.value, _fmt(s.value), "privacy", _ci_low(s)))
    if p.nndr is not None and p.nndr.median.reference is not None:
        s = p.nndr.median
        out.append(_make("nndr", s.reference - s.value,
                         f"{s.value:.3f} vs holdout {s.reference:.3f}", "privacy"))
    aucs = [_make("membership_auc", a.auc.value, f"{_fmt(a.auc.value)} ({a.name})",
                  "privacy", _ci_low(a.auc)) for a in p.membership]
    tprs = [_make("membership_tpr", a.tpr_at_fpr["0.01"].value,
                  f"{_fmt(a.tpr_at_fpr['0.01'].value)} ({a.name})", "privacy",
                  _ci_low(a.tpr_at_fpr["0.01"]))
            for a in p.membership if "0.01" in a.tpr_at_fpr]
    exposed = []
    for a in p.membership:
        for g in a.by_isolation:
            if g.quantile == 0.9:
                exposed.append(_make("exposed_auc", g.auc.value, f"{_fmt(g.auc.value)} "
                                     f"({a.name})", "exposed", _ci_low(g.auc)))
    for group in (aucs, tprs, exposed):
        worst = _worst(group)
        if worst is not None:
            out.append(worst)
    for risk in p.disclosure:
        label = f"{THRESHOLDS['disclosure'].label}: {risk.name.replace('_', ' ')}"
        out.append(_make("disclosure", risk.risk.value, _fmt(risk.risk.value), "privacy",
                         _ci_low(risk.risk), label=label))
    return out


def _fidelity(ev: Evaluation, ledger, canaries, model_given: bool) -> list[Verdict]:
    f = ev.fidelity
    if f is None:
        return []
    out = []
    for key in ("column_shapes", "pair_trends"):
        s = getattr(f, key)
        if s is not None and s.reference is not None:
            out.append(_make(key, s.reference - s.value,
                             f"{s.value:.3f} vs holdout {s.reference:.3f}", "fidelity"))
    if f.detection is not None:
        s = f.detection.auc
        out.append(_make("detection_auc", s.value, _fmt(s.value), "fidelity"))
    return out


def _utility(ev: Evaluation, ledger, canaries, model_given: bool) -> list[Verdict]:
    u = ev.utility
    if u is None:
        return []
    model = next((m for m in u.models if m.model == "gradient_boosting"), u.models[0])
    metric = "roc_auc" if u.task == "classification" else "r2"
    s = model.scores.get(metric)
    if s is None or s.value is None or s.reference is None:
        return []
    return [_make("utility", s.reference - s.value,
                  f"{metric} {s.value:.3f} (TSTR) vs {s.reference:.3f} (TRTR)", "utility")]


CHECKS: dict[str, Callable[..., list[Verdict]]] = {
    "guarantee": _guarantee,
    "canaries": _canaries,
    "privacy": _privacy,
    "fidelity": _fidelity,
    "utility": _utility,
}


def verdicts(evaluation: Evaluation, ledger, canaries, *, model_given: bool) -> list[Verdict]:
    """Every light, privacy first."""
    out: list[Verdict] = []
    for check in CHECKS.values():
        out.extend(check(evaluation, ledger, canaries, model_given))
    return out
