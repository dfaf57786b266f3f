"""The report as plain data: the JSON form, and what the page is rendered from.

It gathers the facts of the run, the guarantee, the canary audit, the traffic lights and
the limits around the evaluation's own JSON, which holds every number the plots draw
(marginal shares, pair scores, ROC points, histogram counts). Its ``headline`` lists the
figures the page shows at the top, as the page prints them.
"""

from __future__ import annotations

import math

from tabgan.evaluate.result import Evaluation
from tabgan.report import statements
from tabgan.report.facts import run_facts
from tabgan.report.figures import PLOTS, available
from tabgan.report.training import training_section
from tabgan.report.verdicts import verdicts

__all__ = ["SCHEMA_VERSION", "build"]

SCHEMA_VERSION = 1


def build(
    evaluation: Evaluation,
    *,
    model=None,
    canaries=None,
    notes=(),
    seconds: float | None = None,
) -> dict:
    ledger = None if model is None else getattr(model, "privacy_ledger_", None)
    lights = verdicts(evaluation, ledger, canaries, model_given=model is not None)
    guarantee = statements.guarantee(ledger, model_given=model is not None)
    training = training_section(model)
    return {
        "schema_version": SCHEMA_VERSION,
        "report": "tabgan privacy audit",
        "headline": headline(evaluation, guarantee, canaries, lights),
        "facts": run_facts(evaluation, model, canaries, notes=notes, seconds=seconds),
        "training": training,
        "guarantee": guarantee,
        "canaries": None if canaries is None else canaries.to_dict(),
        "verdicts": [v.to_dict() for v in lights],
        "plots": [
            {"key": key, "title": PLOTS[key][0], "data": PLOTS[key][1]}
            for key in available(evaluation, canaries, training)
        ],
        "limits": statements.limits(
            has_canaries=canaries is not None,
            min_category_count=int(evaluation.info.options.get("min_category_count", 5)),
        ),
        "evaluation": evaluation.to_dict(),
    }


def fmt(value, digits: int = 3) -> str:
    """A number as the page prints it."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return f"{value:.{digits}f}"


def headline(evaluation: Evaluation, guarantee: dict, canaries, lights) -> list[dict]:
    """The figures at the top of the page: label and text, as printed."""
    out = []
    if guarantee["status"] == "dp":
        ledger = guarantee["ledger"]
        out.append({"key": "epsilon", "label": "differential privacy",
                    "text": f"epsilon {fmt(ledger['epsilon'])}, delta {ledger['delta']:.3g}"})
    else:
        out.append({"key": "epsilon", "label": "differential privacy",
                    "text": "none" if guarantee["status"] == "none" else "unknown"})
    if canaries is not None:
        text = f"epsilon >= {fmt(canaries.epsilon_lower_bound)}"
        if canaries.claimed_epsilon is not None:
            text += f" (claimed {fmt(canaries.claimed_epsilon)})"
        out.append({"key": "canary_bound", "label": "canary audit", "text": text})
    p = evaluation.privacy
    if p is not None:
        for attack in p.membership:
            out.append({"key": f"{attack.name}.auc",
                        "label": f"{attack.name.replace('_', ' ')} AUC",
                        "text": fmt(attack.auc.value)})
        if p.dcr is not None and p.dcr.share is not None:
            out.append({"key": "dcr_share", "label": "DCR share",
                        "text": fmt(p.dcr.share.value)})
    f = evaluation.fidelity
    if f is not None and f.column_shapes is not None:
        out.append({"key": "column_shapes", "label": "column shapes",
                    "text": f"{fmt(f.column_shapes.value)} (holdout "
                            f"{fmt(f.column_shapes.reference)})"})
    u = evaluation.utility
    if u is not None:
        model = next((m for m in u.models if m.model == "gradient_boosting"), u.models[0])
        metric = "roc_auc" if u.task == "classification" else "r2"
        score = model.scores.get(metric)
        if score is not None:
            label = {"roc_auc": "ROC AUC", "r2": "R2"}[metric]
            out.append({"key": f"utility.{metric}", "label": f"TSTR {label}",
                        "text": f"{fmt(score.value)} (TRTR {fmt(score.reference)})"})
    counts = {light: sum(v.light == light for v in lights) for light in ("red", "amber", "green")}
    out.append({"key": "verdicts", "label": "traffic lights",
                "text": f"{counts['red']} red, {counts['amber']} amber, {counts['green']} green"})
    return out
