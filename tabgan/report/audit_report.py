"""``audit``: the evaluation, the privacy ledger and (if asked) the canary audit, as one
report, written as a self-contained HTML page and as JSON."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from tabgan.errors import AuditError
from tabgan.evaluate.result import Evaluation

__all__ = ["AuditReport", "audit"]


class AuditReport:
    """The result of :func:`audit`: its JSON form (``to_dict``, ``to_json``) and its page
    (``to_html``), each written atomically by ``write_json`` / ``write_html``."""

    def __init__(self, document: dict, evaluation: Evaluation, canaries=None) -> None:
        self.document = document
        self.evaluation = evaluation
        self.canaries = canaries
        self._html: str | None = None

    @property
    def verdicts(self) -> list[dict]:
        return [dict(v) for v in self.document["verdicts"]]

    def to_dict(self) -> dict:
        """Plain JSON-able data with a ``schema_version``; a copy, safe to change."""
        return json.loads(self.to_json())

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(self.document, indent=indent, ensure_ascii=False, allow_nan=False)

    def to_html(self) -> str:
        """The page: one HTML file, plots embedded as data URIs, nothing fetched."""
        if self._html is None:
            from tabgan.report.render import render

            self._html = render(self)
        return self._html

    def write_json(self, path: str | os.PathLike) -> None:
        from tabgan.table.io import atomic_write_text

        atomic_write_text(path, self.to_json() + "\n")

    def write_html(self, path: str | os.PathLike) -> None:
        from tabgan.table.io import atomic_write_text

        atomic_write_text(path, self.to_html())

    def __repr__(self) -> str:
        lights = [v["light"] for v in self.document["verdicts"]]
        return (
            f"AuditReport({lights.count('red')} red, {lights.count('amber')} amber, "
            f"{lights.count('green')} green)"
        )


def audit(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    *,
    holdout: pd.DataFrame,
    model=None,
    target: Any | None = None,
    positive_class: Any | None = None,
    metadata=None,
    canaries: int | None = None,
    options=None,
    notes: Iterable[str] = (),
    random_state: int | None = 0,
    verbose: bool = True,
) -> AuditReport:
    """Audit a synthetic table: the evaluation's fidelity, utility and privacy figures, the
    model's privacy ledger, and optionally an empirical lower bound on epsilon.

    Parameters
    ----------
    real
        The real rows the generator was trained on.
    synthetic
        The generated rows.
    holdout
        Real rows from the same population that the generator never saw (required: the
        privacy attacks and every reference need them).
    model
        The fitted ``TabGAN`` (or the path of its saved file) that made ``synthetic``: its
        privacy ledger, settings and training time go into the report. Without it, the
        report says it cannot state any guarantee.
    target, positive_class, metadata, options
        As for :func:`tabgan.evaluate.evaluate`: the utility target and its positive class,
        the column kinds, the evaluation's settings.
    canaries
        Run the canary audit with this many canaries: a model with ``model``'s settings is
        trained again on ``real`` plus the included canaries (see :mod:`tabgan.canaries`).
        Needs ``model``; it costs one more training run.
    notes
        Lines added to the facts of the run (how the holdout was split off, for example).
    random_state
        Seed of the evaluation and the canary audit.
    verbose
        Progress lines on stderr.

    Examples
    --------
    >>> report = audit(train, synthetic, holdout=holdout, model=model,  # doctest: +SKIP
    ...                target="income")
    >>> report.write_html("report.html"); report.write_json("report.json")  # doctest: +SKIP
    """
    from tabgan.evaluate import evaluate
    from tabgan.report.document import build

    started = time.perf_counter()
    if holdout is None:
        raise AuditError(
            "the audit needs a holdout: real rows that never trained the generator. Split "
            "them off before training (tabgan synth --report does so) and pass holdout=."
        )
    model = _load(model)
    if canaries is not None:
        if model is None:
            raise AuditError(
                "the canary audit repeats the model's training with canaries inserted; pass "
                "the model (model=, or --model) whose settings it should use."
            )
        if isinstance(canaries, bool) or not isinstance(canaries, int | np.integer) \
                or canaries < 2:
            raise AuditError(
                f"canaries must be an integer of at least 2, got {canaries!r}; 100 to 1000 "
                "canaries give a useful bound."
            )
    evaluation = evaluate(
        real,
        synthetic,
        holdout=holdout,
        target=target,
        metadata=metadata,
        positive_class=positive_class,
        options=options,
        random_state=random_state,
        verbose=verbose,
    )
    canary_result = None
    if canaries is not None:
        _say(verbose, f"canary audit: {canaries} canaries, one more training run ...")
        from tabgan.canaries import canary_audit

        canary_result = canary_audit(
            real,
            model,
            int(canaries),
            metadata=metadata if metadata is not None else _kinds(model),
            random_state=evaluation.info.seed,
        )
        _say(verbose, f"canary audit: epsilon >= {canary_result.epsilon_lower_bound:.3f} "
                      f"in {canary_result.seconds:.1f} s")
    document = build(
        evaluation,
        model=model,
        canaries=canary_result,
        notes=notes,
        seconds=time.perf_counter() - started,
    )
    return AuditReport(document, evaluation, canary_result)


def _load(model):
    if model is None:
        return None
    if isinstance(model, str | os.PathLike):
        from tabgan.synthesizer import TabGAN

        return TabGAN.load(model, device="cpu")
    if not hasattr(model, "history_") or not hasattr(model, "metadata_"):
        raise AuditError(
            "model must be a fitted TabGAN (or the path of a saved one); fit it first, or "
            "load it with TabGAN.load(path)."
        )
    return model


def _kinds(model) -> Mapping:
    """The column kinds the model was fitted with, and nothing else: declared categories
    and bounds would turn into public facts of the audit run."""
    columns = []
    for column in model.metadata_.columns:
        entry = {"name": column.name, "kind": column.kind}
        if column.datetime_format is not None:
            entry["datetime_format"] = column.datetime_format
        columns.append(entry)
    return {"columns": columns}


def _say(verbose: bool, text: str) -> None:
    if verbose:
        print(text, file=sys.stderr, flush=True)
