"""Checkpoints of a fit: one file, replaced atomically every few epochs or minutes, from
which a killed fit continues where the file left it.

The file is one ``torch.save`` of plain tensors and a JSON string, read back with
``torch.load(weights_only=True)``, so reading it can never run code::

    {"format": "tabgan-checkpoint", "version": 1,
     "meta": "<JSON: fingerprint, seed, epoch, history, seconds, callback state,
              release, ledger>",
     "trainer": {"generator", "critic", "ema_generator": state dicts,
                 "generator_optimizer", "critic_optimizer": optimizer state dicts,
                 "rng": the batch generator's state, "ema_updates": int}}

What the file does not hold is made again, the same: the metadata, the encoder and the
encoded table from the data and the seed, the networks' initial weights from torch's
default generator seeded by the seed (then overwritten), the sampler's row index from the
encoded table (it draws from the batch generator, whose state is saved). Under DP the
statistics released before training (the *release*) and the DP-SGD step count are saved,
and a resumed fit uses them instead of spending again; the noise of DP-SGD comes from a
source of its own that is never saved, so a resumed private fit draws fresh noise.

A checkpoint holds the critic, which saw the data: it is a private artifact, not covered by
the guarantee of a released model. Keep it where the data is kept.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from tabgan.errors import CheckpointError, ParameterError
from tabgan.gan import distributed
from tabgan.gan.train import EpochRecord
from tabgan.table.io import atomic_path
from tabgan.version import __version__

__all__ = ["FILE_NAME", "FORMAT", "VERSION", "Interval", "Checkpoints", "fingerprint",
           "read_checkpoint"]

FILE_NAME = "checkpoint.pt"
FORMAT = "tabgan-checkpoint"
VERSION = 1
# Parameters a resumed fit may change: they do not change what is trained.
FREE_PARAMS = ("verbose", "max_minutes", "device")
_UNITS = {"s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?)\s*(s|sec|m|min|h)\s*$")


@dataclass(frozen=True)
class Interval:
    """Every ``epochs`` epochs, or every ``seconds`` of training (checked at the end of
    each epoch)."""

    epochs: int | None = None
    seconds: float | None = None

    @classmethod
    def parse(cls, every: int | str | timedelta) -> Interval:
        """``10`` or ``"10"``: every 10 epochs; ``"30s"``, ``"5min"``, ``"1h"`` or a
        ``timedelta``: every so long."""
        if isinstance(every, int) and not isinstance(every, bool) and every >= 1:
            return cls(epochs=every)
        if isinstance(every, timedelta) and every.total_seconds() > 0:
            return cls(seconds=every.total_seconds())
        if isinstance(every, str):
            if every.strip().isdigit() and int(every) >= 1:
                return cls(epochs=int(every))
            match = _DURATION.match(every)
            if match and float(match[1]) > 0:
                return cls(seconds=float(match[1]) * _UNITS[match[2]])
        raise ParameterError(
            f"checkpoint_every must be a number of epochs (10) or a duration ('30s', "
            f"'5min', '1h', a timedelta), got {every!r}."
        )

    def due(self, epoch: int, since: float) -> bool:
        """Whether a checkpoint is due after ``epoch``, ``since`` seconds after the last."""
        if self.epochs is not None:
            return epoch % self.epochs == 0
        return since >= self.seconds


def fingerprint(data: pd.DataFrame, metadata, params: dict, device: torch.device) -> dict:
    """What a resumed fit must share with the checkpoint: the table's shape, columns and
    values (a hash), its metadata, the parameters that change training, and the device
    type (a batch generator's state is the device's)."""
    rows = pd.util.hash_pandas_object(data, index=False).to_numpy()
    out = {
        "rows": len(data),
        "columns": [[str(c), str(data[c].dtype)] for c in data.columns],
        "values": hashlib.sha256(rows.tobytes()).hexdigest(),
        "metadata": metadata.to_dict(),
        "params": {k: v for k, v in params.items() if k not in FREE_PARAMS},
        "device": device.type,
    }
    # tuples as lists, numpy scalars as numbers: as they come back from the file
    return json.loads(json.dumps(out, default=_plain))


def _plain(value):
    return value.item() if hasattr(value, "item") else str(value)


def _differences(stored: dict, now: dict) -> list[str]:
    out = []
    if stored["rows"] != now["rows"] or stored["columns"] != now["columns"]:
        out.append(f"the table: {stored['rows']} rows of columns {_names(stored)} in the "
                   f"checkpoint, {now['rows']} rows of {_names(now)} now")
    elif stored["values"] != now["values"]:
        out.append("the table's values")
    if stored["metadata"] != now["metadata"]:
        out.append("the metadata (column kinds, bounds or categories)")
    params = sorted(set(stored["params"]) | set(now["params"]))
    for key in params:
        a, b = stored["params"].get(key), now["params"].get(key)
        if a != b:
            out.append(f"{key} ({a!r} in the checkpoint, {b!r} now)")
    if stored["device"] != now["device"]:
        out.append(f"the device ({stored['device']} in the checkpoint, {now['device']} now)")
    return out


def _names(fp: dict) -> str:
    names = [name for name, _ in fp["columns"]]
    return str(names if len(names) <= 6 else [*names[:6], "..."])


@dataclass
class Resumed:
    """A checkpoint as read back."""

    meta: dict
    trainer: dict

    @property
    def seed(self) -> int:
        return int(self.meta["seed"])

    @property
    def epoch(self) -> int:
        return int(self.meta["epoch"])

    @property
    def release(self) -> dict | None:
        return self.meta["release"]


def read_checkpoint(path: str | Path) -> Resumed:
    """Read a checkpoint file written by :class:`Checkpoints`."""
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
        if payload.get("format") != FORMAT:
            raise ValueError("not a tabgan checkpoint")
        if payload.get("version") != VERSION:
            raise ValueError(f"checkpoint format {payload.get('version')!r}, this tabgan "
                             f"reads {VERSION}")
        return Resumed(json.loads(payload["meta"]), payload["trainer"])
    except Exception as exc:  # torch raises many kinds on a damaged file
        raise CheckpointError(
            f"cannot resume from {str(path)!r}: {exc}. Delete it to start the fit over."
        ) from exc


class Checkpoints:
    """The checkpoints of one fit, in ``directory``: made by ``TabGAN.fit`` from its
    ``checkpoint_dir``, ``checkpoint_every`` and ``resume`` arguments.

    ``callback`` is the fit's callback: when it has ``state_dict`` and
    ``load_state_dict`` (as :class:`~tabgan.callbacks.EarlyStopping` has), its state is
    saved and restored with the trainer's."""

    def __init__(self, directory, *, every: int | str | timedelta = 10, resume: bool = False,
                 callback: Any = None, verbose: bool = False):
        self.path = Path(directory) / FILE_NAME
        self.interval = Interval.parse(every)
        self.resume = bool(resume)
        self.callback = callback
        self.verbose = verbose
        self.resumed: Resumed | None = None

    @classmethod
    def of(cls, directory, *, every, resume, callback, verbose) -> Checkpoints | None:
        """The checkpoints of ``fit``'s arguments, or None without a directory."""
        if directory is None:
            if resume:
                raise ParameterError("resume=True needs checkpoint_dir: the directory the "
                                     "run to continue wrote its checkpoints to.")
            Interval.parse(every)
            return None
        return cls(directory, every=every, resume=resume, callback=callback, verbose=verbose)

    # ------------------------------------------------------------------ before the fit
    def open(self) -> int | None:
        """Read the checkpoint to continue from (with ``resume``), or make sure none is
        overwritten; return the seed of the checkpoint's fit, or None for a new fit."""
        if distributed.world_size() > 1:
            raise ParameterError("checkpoints are not written under torchrun yet; train "
                                 "without checkpoint_dir there.")
        if self.path.exists() and not self.resume:
            raise CheckpointError(
                f"{str(self.path)!r} holds the checkpoint of an earlier run; pass "
                "resume=True (--resume) to continue it, or give another checkpoint_dir."
            )
        for stale in self.path.parent.glob(f".{FILE_NAME}.*.tmp"):  # a write killed midway
            stale.unlink(missing_ok=True)
        if self.path.exists():
            self.resumed = read_checkpoint(self.path)
            return self.resumed.seed
        if self.resume and self.verbose:
            print(f"tabgan: no checkpoint in {str(self.path.parent)!r}; starting a new fit",
                  file=sys.stderr)
        return None

    def check(self, data: pd.DataFrame, metadata, params: dict, device) -> dict | None:
        """Refuse to resume a fit of other data, metadata or parameters; return the release
        to reuse (under DP), or None."""
        self.fingerprint = fingerprint(data, metadata, params, device)
        if self.resumed is None:
            return None
        wrong = _differences(self.resumed.meta["fingerprint"], self.fingerprint)
        if wrong:
            raise CheckpointError(
                f"cannot resume from {str(self.path)!r}: it is the checkpoint of another fit. "
                f"Differs: {'; '.join(wrong)}. Resume with the data and parameters of that "
                "fit, or start a new one in another checkpoint_dir."
            )
        return self.resumed.release

    # ------------------------------------------------------------------ the fit
    def start(self, trainer, plan, n_rows: int, callback, started: float):
        """Restore ``trainer`` from the checkpoint, if any; return the loop's callback,
        ``callback`` followed by the checkpoint when one is due."""
        self.trainer, self.plan, self.n_rows, self.started = trainer, plan, n_rows, started
        self.history: list[EpochRecord] = []
        self.earlier_seconds = 0.0
        self.written = self.start_epoch = 0
        self.boundary: torch.Tensor | None = None  # the batch generator at the last epoch end
        if self.resumed is not None:
            self._restore(self.resumed)
        self.last_write = time.perf_counter()

        def at_epoch_end(record: EpochRecord) -> bool:
            stop = callback is not None and bool(callback(record))
            self.history.append(record)
            self.boundary = trainer.rng.get_state()
            if stop or self.interval.due(record.epoch, time.perf_counter() - self.last_write):
                self.write(stopped=stop)
            return stop

        return at_epoch_end

    def _restore(self, resumed: Resumed) -> None:
        meta = resumed.meta
        trainer = self.trainer
        try:
            trainer.load_state_dict(resumed.trainer)
        except (RuntimeError, KeyError, ValueError) as exc:
            raise CheckpointError(
                f"cannot resume from {str(self.path)!r}: its networks do not fit this run's "
                f"({exc}). Start a new fit."
            ) from exc
        privacy = meta["privacy"]
        if privacy is not None:
            trainer.steps_taken = int(privacy["steps"])
            if self.plan.ledger(trainer).to_dict() != privacy["ledger"]:
                raise CheckpointError(
                    f"cannot resume from {str(self.path)!r}: its privacy accounting differs "
                    "from this run's (another tabgan or Opacus version?). Start a new fit."
                )
        if meta["callback"] is not None and hasattr(self.callback, "load_state_dict"):
            self.callback.load_state_dict(meta["callback"])
        self.history = [EpochRecord(**r) for r in meta["history"]]
        self.earlier_seconds = float(meta["seconds"])
        self.written = self.start_epoch = resumed.epoch
        if meta["stopped"]:  # the callback stopped it: nothing is left to train
            self.start_epoch = trainer.config.epochs

    def write(self, *, stopped: bool = False) -> None:
        """Replace the checkpoint with the trainer's state now, at the end of an epoch."""
        trainer = self.trainer
        ledger = self.plan.ledger(trainer)
        state = getattr(self.callback, "state_dict", None)
        epoch = self.history[-1].epoch if self.history else 0
        meta = {
            "fingerprint": self.fingerprint,
            "seed": self.seed,
            "epoch": epoch,
            "stopped": stopped,
            "history": [vars(r) for r in self.history],
            "seconds": self.seconds,
            "callback": None if state is None else state(),
            "release": self.plan.release(),
            "privacy": None if ledger is None else {"steps": trainer.steps_taken,
                                                    "ledger": ledger.to_dict()},
            "tabgan_version": __version__,
        }
        payload = {"format": FORMAT, "version": VERSION, "meta": json.dumps(meta),
                   "trainer": _on_cpu(trainer.state_dict())}
        with atomic_path(self.path) as tmp:
            torch.save(payload, tmp)
        self.written = epoch
        self.last_write = time.perf_counter()

    def finish(self) -> list[EpochRecord]:
        """After training: write the last epoch if it is not written yet and training
        stopped at its end (not inside the next one); return the whole history, the epochs
        before the resume included."""
        at_boundary = self.boundary is not None and torch.equal(
            self.trainer.rng.get_state(), self.boundary)
        if self.history and self.history[-1].epoch != self.written and at_boundary:
            self.write()
        return self.history

    @property
    def seconds(self) -> float:
        """Training seconds of the fit, the runs before the resume included."""
        return self.earlier_seconds + time.perf_counter() - self.started

    @property
    def seed(self) -> int:
        return self.plan.seed


def _on_cpu(value):
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    if isinstance(value, dict):
        return {k: _on_cpu(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_on_cpu(v) for v in value)
    return value
