"""Model files: one ``torch.save`` of plain tensors and JSON strings, read back with
``weights_only=True``, so loading a file can never run code.

Layout of the saved dict (format version 4)::

    {"format": "tabgan-model", "version": 4,
     "meta": "<JSON: params, config, transformer state, layout, history, ledger, ...>",
     "generator": {name: tensor, ...},      # the generator's state_dict
     "category_counts": tensor,              # condition-vector frequencies
     "targets": {"marginals": tensor, "pairs": tensor},  # what sampling rakes to (or {})
     "checksums": {member: "<sha256 hex>"}}  # of "meta", "category_counts", "generator.NAME",
                                             # "targets.NAME"

Every member's SHA-256 (of a tensor's dtype, shape and bytes; of the meta's UTF-8 text) is
checked on load, so a damaged file is refused instead of sampling garbage. The targets are
the one- and two-way marginals of the softmax spans that sampling rakes its rows to
(:mod:`tabgan.gan.raking`; under DP the released ones); ``pairs`` is absent where the fit
had none. A version 3 file (no targets) samples without raking. The critic is not
saved: it is not needed to sample. The meta may hold ``"constraints"`` (the fitted
:class:`~tabgan.table.constraint_set.ConstraintSet`) and ``"wrapper"`` (the state of an API
wrapper such as :class:`tabgan.compat.CTGAN`). Version 2 files (no checksums) and version 1
files (no layout in the meta either) are read too: their layout is rebuilt from the
transformer state, as it always is; a stored layout must match the rebuilt one.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import pickle
from dataclasses import dataclass
from io import StringIO
from typing import Any

import pandas as pd
import torch

from tabgan.encoding.layout import TableLayout
from tabgan.encoding.transformer import TableTransformer
from tabgan.errors import ModelFileError
from tabgan.gan.config import GANConfig
from tabgan.gan.raking import Targets
from tabgan.privacy.ledger import PrivacyLedger
from tabgan.table.atomic import atomic_path
from tabgan.table.constraint_parsing import parse_constraints
from tabgan.version import __version__

__all__ = ["FORMAT", "VERSION", "ModelState", "save_model", "load_model", "checksums",
           "inconsistent"]

FORMAT = "tabgan-model"
VERSION = 4
_CHECKSUMS_SINCE = 3
_TARGETS_SINCE = 4
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
    sampled_epoch: int | None = None  # the epoch whose weights the generator holds
    ledger: PrivacyLedger | None = None
    constraints: dict | None = None  # ConstraintSet.state_dict(), when there are constraints
    wrapper: dict | None = None  # JSON state of an API wrapper (tabgan.compat)
    targets: Targets | None = None  # the marginals sampling rakes to (none before version 4)


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
            "sampled_epoch": state.sampled_epoch,
            "tabgan_version": __version__,
        },
        "privacy": state.ledger.to_dict() if state.ledger is not None else None,
    }
    for key in ("constraints", "wrapper"):
        if getattr(state, key) is not None:
            meta[key] = getattr(state, key)
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "meta": json.dumps(meta),
        "generator": {k: v.detach().cpu() for k, v in state.generator.items()},
        "category_counts": state.category_counts.detach().cpu(),
        "targets": _targets_payload(state.targets),
    }
    payload["checksums"] = checksums(payload)
    buffer = io.BytesIO()  # serialized first: a full disk is then a plain OSError
    torch.save(payload, buffer)
    with atomic_path(path) as tmp:
        tmp.write_bytes(buffer.getbuffer())


def checksums(payload: dict) -> dict[str, str]:
    """The SHA-256 of every member of a model file's payload."""
    out = {"meta": hashlib.sha256(payload["meta"].encode("utf-8")).hexdigest(),
           "category_counts": _tensor_digest(payload["category_counts"])}
    for name, tensor in payload["generator"].items():
        out[f"generator.{name}"] = _tensor_digest(tensor)
    for name, tensor in payload.get("targets", {}).items():
        out[f"targets.{name}"] = _tensor_digest(tensor)
    return out


def _targets_payload(targets: Targets | None) -> dict[str, torch.Tensor]:
    if targets is None:
        return {}
    out = {"marginals": targets.marginals.detach().cpu()}
    if targets.pairs is not None:
        out["pairs"] = targets.pairs.detach().cpu()
    return out


def _targets(payload: dict, transformer: TableTransformer) -> Targets | None:
    """The targets of a file, checked against its layout (None: a file without them)."""
    stored = payload.get("targets") or {}
    if not isinstance(stored, dict) or "marginals" not in stored:
        return None
    positions = len(transformer.layout_.softmax_positions)
    marginals, pairs = stored["marginals"], stored.get("pairs")
    if tuple(marginals.shape) != (positions,) or (
            pairs is not None and tuple(pairs.shape) != (positions, positions)):
        raise ValueError("the stored targets do not match the layout")
    return Targets(marginals.float(), None if pairs is None else pairs.float())


def _tensor_digest(tensor: torch.Tensor) -> str:
    digest = hashlib.sha256(f"{tensor.dtype}:{tuple(tensor.shape)}:".encode())
    flat = tensor.detach().cpu().contiguous().reshape(-1)
    digest.update(flat.view(torch.uint8).numpy().tobytes() if flat.numel() else b"")
    return digest.hexdigest()


def _check_members(path: str, payload: dict) -> None:
    """Refuse a file whose members do not have the checksums it was saved with."""
    damaged = (f"{path!r} is damaged: {{what}}; it was changed or corrupted after it was "
               "saved. Use an intact copy of the file, or train and save the model again "
               "(`tabgan fit`).")
    stored = payload.get("checksums")
    if not isinstance(stored, dict) or not isinstance(payload.get("generator"), dict):
        raise ModelFileError(damaged.format(what="its checksums are missing"))
    try:
        actual = checksums(payload)
    except Exception as exc:  # a member of the wrong type
        raise ModelFileError(damaged.format(what=f"a member cannot be read ({exc})")) from exc
    wrong = sorted(set(stored) ^ set(actual)) + sorted(
        m for m in set(stored) & set(actual) if stored[m] != actual[m])
    if wrong:
        shown = ", ".join(wrong[:3]) + (f" and {len(wrong) - 3} more" if len(wrong) > 3 else "")
        raise ModelFileError(damaged.format(what=f"the checksum of {shown} does not match"))


def load_model(path: str | os.PathLike) -> ModelState:
    """Read a model file written by :func:`save_model` (format version 1 to 4); the
    members of a file from version 3 on are checked against their checksums."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise ModelFileError(f"no model file at {path!r}; train one with `tabgan fit`.")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:  # objects that only an unsafe load would build
        # torch's message advises weights_only=False, which could run the file's code: ours
        # replaces it, and its traceback is dropped with it.
        raise ModelFileError(
            f"{path!r} cannot be loaded safely: it holds pickled Python objects (it is not a "
            "tabgan model file, or a damaged one), and tabgan never loads those, since that "
            "could run any code. Use a file written by `tabgan fit` or TabGAN.save, or an "
            "intact copy."
        ) from None
    except Exception as exc:  # torch raises many kinds on a damaged file
        raise ModelFileError(
            f"{path!r} is not a readable tabgan model (truncated or corrupted?). Use an "
            "intact copy, or save the model again with model.save(path) or `tabgan fit`."
        ) from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ModelFileError(f"{path!r} is not a tabgan model file.")
    version = payload.get("version")
    if not isinstance(version, int) or version > VERSION:
        raise ModelFileError(
            f"{path!r} was written in model format {version!r}, newer than this tabgan reads "
            f"({VERSION}); upgrade tabgan (pip install -U tabgan)."
        )
    if version >= _CHECKSUMS_SINCE:
        _check_members(path, payload)
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
            sampled_epoch=(None if extra.get("sampled_epoch") is None
                           else int(extra["sampled_epoch"])),
            ledger=PrivacyLedger.from_dict(meta["privacy"]) if meta.get("privacy") else None,
            constraints=meta.get("constraints"),
            wrapper=meta.get("wrapper"),
            targets=_targets(payload, transformer) if version >= _TARGETS_SINCE else None,
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
        if key == "constraints" and value is not None:
            value = [c.to_dict() for c in parse_constraints(value)]
        if isinstance(value, tuple):
            value = list(value)
        out[key] = value
    json.dumps(out)  # fails loudly if a parameter cannot be stored
    return out

