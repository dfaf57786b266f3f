"""The readable summary of an :class:`~tabgan.evaluate.result.Evaluation`: plain text, one
score per line, each next to its reference and interval."""

from __future__ import annotations

import math
from typing import Any

from tabgan.evaluate.metrics import METRICS, Score

__all__ = ["render"]

_LABEL = 52
_WORST = 3  # lowest-scoring columns and pairs listed under the fidelity means


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return f"{value:.{digits}f}"


def _ci(score: Score) -> str:
    if score.ci is None or any(v is None or not math.isfinite(v) for v in score.ci):
        return ""
    return f"[{score.ci[0]:.3f}, {score.ci[1]:.3f}]"


def _ideal(score: Score) -> str:
    info = METRICS[score.metric]
    return f"{info.ideal:g}, {info.better}"


def _row(label: str, score: Score | None, *, with_ci: bool = False) -> str | None:
    if score is None:
        return None
    label = label if len(label) <= _LABEL else label[: _LABEL - 3] + "..."
    middle = f"{_ci(score):>18}" if with_ci else ""
    return (
        f"  {label:<{_LABEL}}{_fmt(score.value):>9}{middle}{_fmt(score.reference):>11}"
        f"   ({_ideal(score)})"
    )


def _name(value: Any) -> str:
    return str(value)


def render(ev) -> str:
    """The summary of ``ev``, an :class:`~tabgan.evaluate.result.Evaluation`."""
    info = ev.info
    lines: list[str | None] = [
        f"tabgan evaluation (seed {info.seed}, {info.seconds.get('total', 0.0):.1f} s)",
        f"rows: real {info.n_real:,} | synthetic {info.n_synthetic:,}"
        + (f" | holdout {info.n_holdout:,}" if info.n_holdout is not None else " | no holdout"),
    ]
    kinds: dict[str, int] = {}
    for column in info.columns:
        kinds[column["kind"]] = kinds.get(column["kind"], 0) + 1
    lines.append(
        f"columns: {len(info.columns)} scored ("
        + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
        + ")"
        + (f"; left out: {', '.join(info.skipped_columns)}" if info.skipped_columns else "")
    )
    ref = "holdout" if info.n_holdout is not None else ""

    f = ev.fidelity
    if f is not None:
        lines += ["", f"{'FIDELITY':<{_LABEL + 2}}{'synthetic':>9}{ref:>11}   (ideal, better)"]
        for metric in ("column_shapes", "null_rate_difference", "pair_trends", "triple_marginals"):
            lines.append(_row(METRICS[metric].label, getattr(f, metric)))
        if f.columns:
            worst = sorted(f.columns, key=lambda c: c.shape.value)[:_WORST]
            lines.append(
                "    lowest columns: "
                + ", ".join(f"{_name(c.column)} {_fmt(c.shape.value, 2)}" for c in worst)
            )
        if f.pairs:
            worst = sorted(f.pairs, key=lambda p: p.score.value)[:_WORST]
            lines.append(
                "    lowest pairs: "
                + ", ".join(
                    f"{_name(p.columns[0])}/{_name(p.columns[1])} {_fmt(p.score.value, 2)}"
                    for p in worst
                )
            )
        if f.detection is not None:
            lines.append(_row(METRICS["detection_auc"].label, f.detection.auc))
        if f.precision_recall is not None:
            pr = f.precision_recall
            for metric in ("alpha_precision", "beta_recall", "authenticity"):
                lines.append(_row(METRICS[metric].label, getattr(pr, metric)))
        if f.collapse is not None:
            c = f.collapse
            lines.append(_row(METRICS["category_coverage"].label, c.category_coverage))
            lines.append(_row(METRICS["bin_coverage"].label, c.bin_coverage))
            lines.append(_row(METRICS["duplicate_rate"].label + " (ref: real)", c.duplicate_rate))
            missing = [col for col in c.columns if col.n_missing]
            for col in missing[:_WORST]:
                named = f": {', '.join(col.missing[:5])}" if col.missing else ""
                lines.append(
                    f"    {_name(col.column)} misses {col.n_missing} of {col.n_levels} "
                    f"{'categories' if col.kind == 'categorical' else 'bins'}{named}"
                )

    u = ev.utility
    if u is not None:
        task = (
            f"classification, positive class {u.positive_class!r}"
            if u.task == "classification"
            else "regression"
        )
        lines += [
            "",
            f"UTILITY: target {u.target!r} ({task}); test: {u.test_set}, {u.n_test:,} rows",
            f"{'':<{_LABEL + 2}}{'TSTR':>9}{'TRTR':>11}   (ideal, better)",
        ]
        for model in u.models:
            for metric, score in model.scores.items():
                lines.append(_row(f"{model.model}: {METRICS[metric].label}", score))
        lines += [f"    note: {note}" for note in u.notes]

    p = ev.privacy
    if p is not None:
        lines += [
            "",
            f"{'PRIVACY':<{_LABEL + 2}}{'value':>9}{'95% CI':>18}{ref:>11}   (ideal, better)",
        ]
        lines.append(_row(METRICS["exact_match_rate"].label, p.exact_match_rate, with_ci=True))
        if p.dcr is not None:
            lines.append(_row(METRICS["dcr_share"].label, p.dcr.share, with_ci=True))
        if p.nndr is not None:
            lines.append(_row(METRICS["nndr_median"].label, p.nndr.median, with_ci=True))
        for attack in p.membership:
            lines.append(_row(f"{attack.name}: ROC AUC", attack.auc, with_ci=True))
            for score in attack.tpr_at_fpr.values():
                lines.append(
                    _row(f"{attack.name}: {METRICS[score.metric].label}", score, with_ci=True)
                )
            for group in attack.by_isolation:
                lines.append(_row(f"  {group.label}: ROC AUC", group.auc, with_ci=True))
        for risk in p.disclosure:
            label = risk.name.replace("_", " ")
            if risk.name == "attribute_inference":
                label += f" (column {_name(risk.details.get('secret'))})"
            lines.append(_row(f"{label}: risk", risk.risk, with_ci=True))
            lines.append(
                f"    success: main {_fmt(risk.main_rate.value)}, control "
                f"{_fmt(risk.control_rate.value)}, {risk.n_attacks} attacks"
            )

    if info.skipped:
        lines += ["", "SKIPPED"] + [f"  {name}: {why}" for name, why in info.skipped.items()]
    if info.notes:
        lines += ["", "NOTES"] + [f"  {note}" for note in info.notes]
    return "\n".join(line for line in lines if line is not None)
