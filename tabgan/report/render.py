"""The page: a jinja2 template (autoescaped, inline CSS, no scripts) filled from the report's
document and the evaluation's results, with the plots embedded as data URIs."""

from __future__ import annotations

import math
from typing import Any

from tabgan.evaluate.metrics import METRICS, Score
from tabgan.evaluate.result import Evaluation
from tabgan.report.figures import figures

__all__ = ["render"]

_FIDELITY = ("column_shapes", "null_rate_difference", "pair_trends", "triple_marginals")


def _environment():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("tabgan.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = _num
    env.filters["pct"] = _pct
    return env


def _num(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return f"{value:.{digits}f}"


def _pct(value: Any, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return f"{100 * value:.{digits}f}%"


def _ci(score: Score | None) -> str:
    if score is None or score.ci is None or any(
        v is None or not math.isfinite(v) for v in score.ci
    ):
        return ""
    return f"[{score.ci[0]:.3f}, {score.ci[1]:.3f}]"


def _row(label: str, score: Score | None, reference_label: str = "holdout") -> dict | None:
    if score is None:
        return None
    info = METRICS[score.metric]
    return {
        "label": label,
        "value": _num(score.value),
        "ci": _ci(score),
        "reference": _num(score.reference),
        "reference_label": reference_label,
        "ideal": f"{info.ideal:g}, {info.better} is better",
    }


def _fidelity(ev: Evaluation) -> dict | None:
    f = ev.fidelity
    if f is None:
        return None
    rows = [_row(METRICS[m].label, getattr(f, m)) for m in _FIDELITY]
    if f.detection is not None:
        rows.append(_row(METRICS["detection_auc"].label, f.detection.auc))
    if f.precision_recall is not None:
        for m in ("alpha_precision", "beta_recall", "authenticity"):
            rows.append(_row(METRICS[m].label, getattr(f.precision_recall, m)))
    if f.collapse is not None:
        rows.append(_row(METRICS["category_coverage"].label, f.collapse.category_coverage))
        rows.append(_row(METRICS["bin_coverage"].label, f.collapse.bin_coverage))
        rows.append(_row(METRICS["duplicate_rate"].label, f.collapse.duplicate_rate,
                         "real table"))
    columns = [
        {
            "name": str(c.column),
            "kind": c.kind,
            "metric": METRICS[c.shape.metric].label,
            "value": _num(c.shape.value),
            "reference": _num(c.shape.reference),
            "null": f"{_pct(c.null_rate_real)} / {_pct(c.null_rate_synthetic)}",
        }
        for c in f.columns
    ]
    return {"rows": [r for r in rows if r is not None], "columns": columns}


def _utility(ev: Evaluation) -> dict | None:
    u = ev.utility
    if u is None:
        return None
    rows = [
        {"model": m.model.replace("_", " "), "metric": METRICS[metric].label,
         "tstr": _num(s.value), "trtr": _num(s.reference)}
        for m in u.models
        for metric, s in m.scores.items()
    ]
    return {
        "target": str(u.target),
        "task": u.task,
        "positive_class": u.positive_class,
        "test_set": u.test_set,
        "n_test": u.n_test,
        "n_train_real": u.n_train_real,
        "n_train_synthetic": u.n_train_synthetic,
        "rows": rows,
        "notes": list(u.notes),
    }


def _privacy(ev: Evaluation) -> dict | None:
    p = ev.privacy
    if p is None:
        return None
    rows = [_row(METRICS["exact_match_rate"].label, p.exact_match_rate)]
    if p.dcr is not None:
        rows.append(_row(METRICS["dcr_share"].label, p.dcr.share))
    if p.nndr is not None:
        rows.append(_row(METRICS["nndr_median"].label, p.nndr.median))
    attacks = []
    for a in p.membership:
        attacks.append({
            "name": a.name.replace("_", " "),
            "threat_model": a.threat_model,
            "auc": _num(a.auc.value),
            "auc_ci": _ci(a.auc),
            "tpr": [
                {"fpr": _pct(float(level), 1), "value": _num(s.value), "ci": _ci(s)}
                for level, s in a.tpr_at_fpr.items()
            ],
            "n_members": a.n_members,
            "n_non_members": a.n_non_members,
            "groups": [
                {
                    "label": g.label,
                    "n_members": g.n_members,
                    "n_non_members": g.n_non_members,
                    "auc": _num(g.auc.value),
                    "auc_ci": _ci(g.auc),
                    "tpr": _num(g.tpr.get("0.01")),
                    "fpr": _num(g.fpr.get("0.01")),
                }
                for g in a.by_isolation
            ],
        })
    disclosure = [
        {
            "name": r.name.replace("_", " "),
            "threat_model": r.threat_model,
            "risk": _num(r.risk.value),
            "ci": _ci(r.risk),
            "main": _num(r.main_rate.value),
            "control": _num(r.control_rate.value),
            "n_attacks": r.n_attacks,
            "secret": r.details.get("secret"),
        }
        for r in p.disclosure
    ]
    dcr = None
    if p.dcr is not None:
        dcr = {
            "p05_train": _num(p.dcr.p05_train),
            "p05_holdout": _num(p.dcr.p05_holdout),
            "median_train": _num(p.dcr.median_train),
            "median_holdout": _num(p.dcr.median_holdout),
            "n_synthetic": p.dcr.n_synthetic,
            "n_reference": p.dcr.n_reference,
        }
    return {
        "rows": [r for r in rows if r is not None],
        "attacks": attacks,
        "disclosure": disclosure,
        "dcr": dcr,
        "n_members": p.n_members,
        "n_non_members": p.n_non_members,
        "n_synthetic": p.n_synthetic,
    }


def render(report) -> str:
    """The HTML text of ``report`` (an :class:`~tabgan.report.audit_report.AuditReport`)."""
    ev = report.evaluation
    template = _environment().get_template("report.html.j2")
    return template.render(
        doc=report.document,
        plots=figures(ev, report.canaries, report.document.get("training")),
        fidelity=_fidelity(ev),
        utility=_utility(ev),
        privacy=_privacy(ev),
    )
