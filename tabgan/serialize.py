"""Model files: one ``torch.save`` of plain tensors and JSON strings, read back with
``weights_only=True``, so loading a file can never run code.

Layout of the saved dict (format version 2)::

    {"format": "tabgan-model", "version": 2,
     "meta": "<JSON: params, config, transformer state, layout, history, ledger, ...>",
     "generator": {name: tensor, ...},      # the generator's state_dict
     "category_counts": tensor}              # condition-vector frequencies

The critic is not saved: it is not needed to sample. Version 1 files (no layout in the
meta) are read too: their layout is rebuilt from the transformer state, as it always is;
a stored layout must match the rebuilt one.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from io import StringIO
from typing import Any

import pandas as pd
import torch

from tabgan.encoding.layout import TableLayout
from tabgan.encoding.transformer import TableTransformer
from tabgan.errors import ModelFileError
from tabgan.gan.config import GANConfig
from tabgan.privacy.ledger import PrivacyLedger
from tabgan.table.io import atomic_path
from tabgan.version import __version__

__all__ = ["FORMAT", "VERSION", "ModelState", "save_model", "load_model", "inconsistent"]

FORMAT = "tabgan-model"
VERSION = 2
_TUPLE_PARAMS = ("generator_dims", "critic_dims", "betas")


@dataclass
class ModelState:
    """Everything a model file holds."""

    params: dict[str, Any]
    config: GANConfig
    transformer: TableTransformer
    generator: dict[str, torch.Tensor]
    category_counts: torch.Tensor
    history: pd.DataFrame
    seed: int
    fit_seconds: float
    ledger: PrivacyLedger | None = None


def save_model(path: str | os.PathLike, state: ModelState) -> None:
    """Write ``state`` to ``path`` atomically. A DP model (one with a ledger) is written
    without wall-clock times: they vary with the sizes of the Poisson batches, which the
    guarantee does not cover."""
    history, seconds = state.history, state.fit_seconds
    if state.ledger is not None:
        history, seconds = history.drop(columns="seconds", errors="ignore"), math.nan
    meta = {
        "params": _jsonable_params(state.params),
        "config": state.config.to_dict(),
        "transformer": state.transformer.state_dict(),
        "layout": state.transformer.layout_.to_dict(),
        "history": history.to_json(orient="split"),
        "extra": {
            "seed": state.seed,
            "fit_seconds": seconds,
            "tabgan_version": __version__,
        },
        "privacy": state.ledger.to_dict() if state.ledger is not None else None,
    }
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "meta": json.dumps(meta),
        "generator": {k: v.detach().cpu() for k, v in state.generator.items()},
        "category_counts": state.category_counts.detach().cpu(),
    }
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def load_model(path: str | os.PathLike) -> ModelState:
    """Read a model file written by :func:`save_model` (format version 1 or 2)."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise ModelFileError(f"no model file at {path!r}; train one with `tabgan fit`.")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many kinds on a damaged file
        raise ModelFileError(
            f"{path!r} is not a readable tabgan model (truncated or corrupted?): {exc}. "
            "Save the model again with model.save(path) or `tabgan fit`."
        ) from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ModelFileError(f"{path!r} is not a tabgan model file.")
    version = payload.get("version")
    if not isinstance(version, int) or version > VERSION:
        raise ModelFileError(
            f"{path!r} was written in model format {version!r}, newer than this tabgan reads "
            f"({VERSION}); upgrade tabgan (pip install -U tabgan)."
        )
    try:
        meta = json.loads(payload["meta"])
        params = dict(meta["params"])
        for key in _TUPLE_PARAMS:
            if key in params:
                params[key] = tuple(params[key])
        transformer = TableTransformer().load_state_dict(meta["transformer"])
        if "layout" in meta and TableLayout.from_dict(meta["layout"]) != transformer.layout_:
            raise ValueError("the stored layout does not match the transformer's")
        extra = meta.get("extra", {})
        state = ModelState(
            params=params,
            config=GANConfig.from_dict(meta["config"]),
            transformer=transformer,
            generator=payload["generator"],
            category_counts=payload["category_counts"],
            history=pd.read_json(StringIO(meta["history"]), orient="split"),
            seed=int(extra.get("seed", 0)),
            fit_seconds=float(extra.get("fit_seconds", float("nan"))),
            ledger=PrivacyLedger.from_dict(meta["privacy"]) if meta.get("privacy") else None,
        )
    except ModelFileError:
        raise
    except Exception as exc:  # a well-formed archive with inconsistent content
        raise inconsistent(path, exc) from exc
    return state


def inconsistent(path: str | os.PathLike, exc: Exception) -> ModelFileError:
    """The error for a well-formed file whose parts do not fit together."""
    return ModelFileError(
        f"{os.fspath(path)!r} holds an inconsistent tabgan model: {exc}. Save it again."
    )


def _jsonable_params(params: dict) -> dict[str, Any]:
    out = {}
    for key, value in params.items():
        if isinstance(value, tuple):
            value = list(value)
        out[key] = value
    json.dumps(out)  # fails loudly if a parameter cannot be stored
    return out

