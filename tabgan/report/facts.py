"""The facts of the run: sizes, columns and their kinds, versions, seeds and timings, read
from the evaluation and the model. Never a value of a real row."""

from __future__ import annotations

import datetime as _dt
import math
from collections import Counter
from collections.abc import Iterable

from tabgan.evaluate.result import Evaluation

__all__ = ["run_facts"]


def run_facts(
    evaluation: Evaluation,
    model,
    canaries,
    *,
    notes: Iterable[str] = (),
    seconds: float | None = None,
) -> dict:
    info = evaluation.info
    model_kinds = {}
    if model is not None:
        model_kinds = {str(c.name): c.kind for c in model.metadata_.columns}
    n_holdout = info.n_holdout or 0
    kinds = Counter(c["kind"] for c in info.columns)
    facts = {
        "tabgan_version": info.tabgan_version,
        "generated_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "rows": {
            "train": info.n_real,
            "holdout": info.n_holdout,
            "synthetic": info.n_synthetic,
            "holdout_share": n_holdout / (info.n_real + n_holdout),
        },
        "columns": [
            {
                "name": str(c["name"]),
                "kind": c["kind"],
                "model_kind": model_kinds.get(str(c["name"])),
            }
            for c in info.columns
        ],
        "kinds": dict(sorted(kinds.items())),
        "skipped_columns": dict(info.skipped_columns),
        "target": None if info.target is None else str(info.target),
        "positive_class": info.positive_class,
        "seeds": {
            "evaluation": info.seed,
            "model": None if model is None else getattr(model, "seed_", model.random_state),
            "canaries": None if canaries is None else canaries.seed,
        },
        "seconds": {
            "evaluation": info.seconds.get("total"),
            "canary_audit": None if canaries is None else round(canaries.seconds, 3),
            "report": None if seconds is None else round(seconds, 3),
        },
        "model": None if model is None else _model(model),
        "notes": [*notes, *info.notes],
        "skipped_steps": dict(info.skipped),
    }
    return facts


def _model(model) -> dict:
    params = model.get_params()
    fit_seconds = float(getattr(model, "fit_seconds_", math.nan))
    return {
        "epochs": params.get("epochs"),
        "epochs_trained": int(len(model.history_)),
        "batch_size": int(model.config_.batch_size),
        "pac": int(model.config_.pac),
        "max_minutes": params.get("max_minutes"),
        "fit_seconds": round(fit_seconds, 3) if math.isfinite(fit_seconds) else None,
        "differential_privacy": getattr(model, "privacy_ledger_", None) is not None,
        "epsilon": params.get("epsilon"),
        "random_state": params.get("random_state"),
        "device": str(getattr(model, "device_", params.get("device"))),
    }
