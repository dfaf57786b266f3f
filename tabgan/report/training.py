"""The report's training section: the model's history, the losses and the mode coverage by
epoch, as the JSON carries it and the training plot draws it. Epochs are picked evenly when
a fit has more than ``MAX_POINTS``."""

from __future__ import annotations

import math

from tabgan.history import even_rows

__all__ = ["MAX_POINTS", "SERIES", "training_section"]

MAX_POINTS = 1000
SERIES = ("generator_loss", "critic_loss", "mode_coverage", "seconds")


def training_section(model) -> dict | None:
    """The history of ``model`` (a fitted TabGAN) as plain lists, or None without a model
    or a history."""
    history = None if model is None else getattr(model, "history_", None)
    if history is None or len(history) == 0:
        return None
    picked = history.iloc[even_rows(len(history), MAX_POINTS)]
    section = {"epochs_trained": int(len(history)), "epochs_shown": int(len(picked)),
               "epoch": [int(e) for e in picked["epoch"]]}
    for key in SERIES:
        if key in picked.columns:
            section[key] = [_finite(v) for v in picked[key]]
    return section


def _finite(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None  # the JSON holds no NaN
