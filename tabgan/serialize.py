"""Model files: one ``torch.save`` of plain tensors and JSON strings, read back with
``weights_only=True``, so loading a file can never run code.

Layout of the saved dict::

    {"format": "tabgan-model", "version": 1,
     "meta": "<JSON: params, config, transformer state, history, privacy ledger, ...>",
     "generator": {name: tensor, ...},      # the generator's state_dict
     "category_counts": tensor}              # condition-vector frequencies

The critic is not saved: it is not needed to sample.
"""

from __future__ import annotations

import json
import os
from io import StringIO
from typing import Any

import pandas as pd
import torch

from tabgan.errors import ModelFileError
from tabgan.io import atomic_path
from tabgan.model import GANConfig
from tabgan.transform import TableTransformer

__all__ = ["save_model", "load_model", "FORMAT", "VERSION"]

FORMAT = "tabgan-model"
VERSION = 1


def save_model(model, path: str | os.PathLike) -> None:
    meta = {
        "params": _jsonable_params(model.get_params()),
        "config": model.config_.to_dict(),
        "transformer": model.transformer_.state_dict(),
        "history": model.history_.to_json(orient="split"),
        "extra": {
            "seed": model.seed_,
            "fit_seconds": model.fit_seconds_,
            "tabgan_version": _version(),
        },
        "privacy": getattr(model, "privacy_ledger_", None) and model.privacy_ledger_.to_dict(),
    }
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "meta": json.dumps(meta),
        "generator": {k: v.detach().cpu() for k, v in model.generator_.state_dict().items()},
        "category_counts": model.category_counts_.detach().cpu(),
    }
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def load_model(cls, path: str | os.PathLike, *, device: str = "auto"):
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
        params = meta["params"]
        params["device"] = device
        for key in ("generator_dims", "critic_dims", "betas"):
            if key in params:
                params[key] = tuple(params[key])
        config = GANConfig.from_dict(meta["config"])
        transformer = TableTransformer().load_state_dict(meta["transformer"])
        history = pd.read_json(StringIO(meta["history"]), orient="split")
        model = cls()
        model._restore(
            params,
            config,
            transformer,
            payload["generator"],
            payload["category_counts"],
            history,
            meta.get("extra", {}),
        )
        if meta.get("privacy"):
            from tabgan.privacy import PrivacyLedger

            model.privacy_ledger_ = PrivacyLedger.from_dict(meta["privacy"])
    except ModelFileError:
        raise
    except Exception as exc:  # a well-formed archive with inconsistent content
        raise ModelFileError(
            f"{path!r} holds an inconsistent tabgan model: {exc}. Save it again."
        ) from exc
    return model


def _jsonable_params(params: dict) -> dict[str, Any]:
    out = {}
    for key, value in params.items():
        if isinstance(value, tuple):
            value = list(value)
        out[key] = value
    json.dumps(out)  # fails loudly if a parameter cannot be stored
    return out


def _version() -> str:
    from tabgan import __version__

    return __version__
