"""What a private fit released before training, as JSON: the noisy row count, the delta
and the recipe it fixed, the statistics the encoder was fitted to, the two-way marginals
of the pair term, the mechanisms that released them, and the facts the metadata made
public.

A resumed private fit reads these back from its checkpoint instead of querying the data
again: a second release would spend the preprocessing budget twice.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import torch

from tabgan.encoding.statistics import ColumnStatistics
from tabgan.privacy.accounting import Mechanism
from tabgan.privacy.preprocessing import PrivateRelease

__all__ = ["release_to_dict", "release_from_dict"]


def release_to_dict(*, n_rows: int, delta: float, delta_rule: str, recipe: dict,
                    released: PrivateRelease, mechanisms: list[Mechanism],
                    pairs: torch.Tensor | None = None) -> dict:
    return {
        "n_rows": int(n_rows),
        "delta": float(delta),
        "delta_rule": delta_rule,
        "recipe": {k: list(v) if isinstance(v, tuple) else v for k, v in recipe.items()},
        "statistics": [s.to_dict() for s in released.statistics],
        "release_mechanisms": [asdict(m) for m in released.mechanisms],
        "mechanisms": [asdict(m) for m in mechanisms],
        "public": list(released.public),
        "estimated_ranges": list(released.estimated_ranges),
        "notes": list(released.notes),
        "pairs": None if pairs is None else pairs.tolist(),
    }


def release_from_dict(data: dict) -> dict[str, Any]:
    recipe = {k: tuple(v) if isinstance(v, list) else v for k, v in data["recipe"].items()}
    released = PrivateRelease(
        [ColumnStatistics.from_dict(s) for s in data["statistics"]],
        [Mechanism(**m) for m in data["release_mechanisms"]],
        list(data["public"]),
        list(data["estimated_ranges"]),
        list(data["notes"]),
    )
    return {"n_rows": int(data["n_rows"]), "delta": float(data["delta"]),
            "delta_rule": data["delta_rule"], "recipe": recipe, "released": released,
            "mechanisms": [Mechanism(**m) for m in data["mechanisms"]],
            "pairs": None if data.get("pairs") is None
            else torch.tensor(data["pairs"], dtype=torch.float32)}
