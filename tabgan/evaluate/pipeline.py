"""``evaluate``: check the inputs, read the tables once, run each step, gather the result."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TextIO

import numpy as np
import pandas as pd

from tabgan.errors import EvaluationError, TargetColumnError
from tabgan.evaluate import (
    collapse,
    detection,
    disclosure,
    fidelity,
    membership,
    precision_recall,
    privacy,
    utility,
)
from tabgan.evaluate.columns import check_tables, resolve_columns
from tabgan.evaluate.context import Context
from tabgan.evaluate.options import EvaluationOptions
from tabgan.evaluate.result import Evaluation, Fidelity, Privacy, RunInfo
from tabgan.table.metadata import Metadata

__all__ = ["evaluate", "STEPS", "SECTIONS"]


@dataclass(frozen=True)
class Step:
    section: str  # "fidelity", "utility" or "privacy"
    label: str  # the progress line
    run: Callable[[Context, Any], Any]
    needs_holdout: bool = False
    needs_target: bool = False


def _utility(ctx: Context, _: Any) -> Any:
    return utility.run(ctx)


STEPS: dict[str, Step] = {
    "shapes": Step("fidelity", "fidelity: column shapes, pair trends, marginals", fidelity.run),
    "detection": Step("fidelity", "fidelity: detection classifier", detection.run),
    "precision_recall": Step(
        "fidelity", "fidelity: alpha-precision, beta-recall", precision_recall.run
    ),
    "collapse": Step("fidelity", "fidelity: mode-collapse indicators", collapse.run),
    "utility": Step(
        "utility", "utility: train synthetic / real, test real", _utility, needs_target=True
    ),
    "distances": Step("privacy", "privacy: exact matches, DCR, NNDR", privacy.run),
    "membership": Step(
        "privacy", "privacy: membership-inference attacks", membership.run, needs_holdout=True
    ),
    "disclosure": Step(
        "privacy",
        "privacy: singling-out, linkability, attribute inference",
        disclosure.run,
        needs_holdout=True,
    ),
}
SECTIONS = {
    section: [name for name, step in STEPS.items() if step.section == section]
    for section in ("fidelity", "utility", "privacy")
}


def evaluate(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    *,
    holdout: pd.DataFrame | None = None,
    target: Any | None = None,
    metadata: Metadata | Mapping | str | os.PathLike | None = None,
    positive_class: Any | None = None,
    sections: Iterable[str] | None = None,
    options: EvaluationOptions | None = None,
    random_state: int | np.random.Generator | None = 0,
    verbose: bool = True,
) -> Evaluation:
    """Score a synthetic table against the real table it imitates.

    Parameters
    ----------
    real
        The real rows the generator was trained on.
    synthetic
        The generated rows; same columns as ``real``, in any order.
    holdout
        Real rows from the same population that the generator never saw. It gives every
        fidelity score its reference, is the test set of the utility section, and is what
        the privacy attacks compare train rows with; without it, the membership and
        disclosure attacks are skipped.
    target
        A column to predict in the utility section (skipped without one).
    metadata
        Column kinds to use instead of inferring them from ``real`` (a
        :class:`~tabgan.table.metadata.Metadata`, its dict, or a JSON file path).
    positive_class
        The class whose ROC AUC and F1 are reported when ``target`` is categorical; by
        default the real table's least frequent class.
    sections
        Which parts to run: ``"fidelity"``, ``"utility"``, ``"privacy"``, or single steps
        (``"shapes"``, ``"detection"``, ``"precision_recall"``, ``"collapse"``,
        ``"utility"``, ``"distances"``, ``"membership"``, ``"disclosure"``). All by default.
    options
        Sample sizes, bins and attack settings (:class:`EvaluationOptions`).
    random_state
        Seed (or numpy Generator) for every subsample, fold and bootstrap (default 0, so
        that scores repeat; None draws a fresh one). The seed used is recorded in the
        result, so any run can be repeated.
    verbose
        Print one progress line per step to stderr.

    Examples
    --------
    >>> from tabgan.datasets import load_adult
    >>> data = load_adult().sample(600, random_state=0)
    >>> real, holdout = data.iloc[:400], data.iloc[400:]
    >>> synthetic = real.sample(frac=1.0, replace=True, random_state=1)
    >>> result = evaluate(real, synthetic, holdout=holdout, target="income",
    ...                   sections=["shapes", "distances"], random_state=0, verbose=False)
    >>> result.privacy.exact_match_rate.value
    1.0
    """
    started = time.perf_counter()
    options = options if options is not None else EvaluationOptions()
    if not isinstance(options, EvaluationOptions):
        raise EvaluationError(
            f"options must be an EvaluationOptions, got {type(options).__name__}; build one "
            "with tabgan.evaluate.EvaluationOptions(...)."
        )
    steps = _resolve_sections(sections)
    check_tables(real, synthetic, holdout, target)
    specs, skipped_columns = resolve_columns(real, metadata)
    if target is not None and target in skipped_columns:
        raise TargetColumnError(
            f"the target {target!r} cannot be predicted: {skipped_columns[target]}. Pick "
            "another target, or leave target out."
        )
    if target is not None and all(spec.name == target for spec in specs):
        raise TargetColumnError(
            f"the target {target!r} is the only scored column, so there is nothing to predict "
            "it from; add feature columns, or leave target out."
        )
    if target is None and positive_class is not None:
        raise EvaluationError("positive_class needs a target; pass target= as well.",
                              cli="--positive needs --target: give the target column too.")
    seed = _seed(random_state)
    progress = _Progress(verbose)
    progress.line(
        f"evaluate: {len(synthetic):,} synthetic rows against {len(real):,} real rows"
        + (f" and {len(holdout):,} holdout rows" if holdout is not None else "")
        + f", {len(specs)} columns"
    )
    seconds: dict[str, float] = {}
    with progress.step("reading the tables", seconds, "encoding"):
        ctx = Context(
            real,
            synthetic,
            holdout,
            specs=specs,
            target=target,
            positive_class=positive_class,
            options=options,
            seed=seed,
        )
        if target is not None:
            ctx.positive_class = utility.resolve_positive_class(
                ctx.encoder, ctx.spec(target), positive_class
            )

    results: dict[str, Any] = {
        "fidelity": Fidelity(),
        "privacy": None,
        "utility": None,
    }
    skipped: dict[str, str] = {}
    for name in steps:
        step = STEPS[name]
        if step.needs_target and target is None:
            skipped[name] = "no target column; pass target= to score utility."
            continue
        if step.needs_holdout and holdout is None:
            skipped[name] = "no holdout; pass holdout= (real rows never used in training)."
            continue
        with progress.step(step.label, seconds, name):
            if step.section == "privacy" and results["privacy"] is None:
                sample = ctx.privacy
                results["privacy"] = Privacy(
                    n_members=sample.members.n_rows,
                    n_non_members=(
                        sample.non_members.n_rows if sample.non_members is not None else 0
                    ),
                    n_synthetic=sample.synthetic.n_rows,
                )
            if step.section == "utility":
                results["utility"] = step.run(ctx, None)
            else:
                step.run(ctx, results[step.section])
    seconds["total"] = time.perf_counter() - started
    progress.line(f"evaluate: done in {seconds['total']:.1f} s")

    from tabgan.version import __version__

    ran_fidelity = any(STEPS[n].section == "fidelity" for n in steps)
    info = RunInfo(
        n_real=len(real),
        n_synthetic=len(synthetic),
        n_holdout=len(holdout) if holdout is not None else None,
        columns=[{"name": s.name, "kind": s.kind} for s in specs],
        skipped_columns={str(k): v for k, v in skipped_columns.items()},
        target=target,
        positive_class=ctx.positive_class if target is not None else None,
        seed=seed,
        tabgan_version=__version__,
        seconds={k: round(v, 3) for k, v in seconds.items()},
        skipped=skipped,
        notes=ctx.notes,
        options=options.to_dict(),
    )
    return Evaluation(
        info=info,
        fidelity=results["fidelity"] if ran_fidelity else None,
        utility=results["utility"],
        privacy=results["privacy"],
    )


def _resolve_sections(sections: Iterable[str] | None) -> list[str]:
    if sections is None:
        return list(STEPS)
    if isinstance(sections, str):
        sections = [sections]
    chosen: set[str] = set()
    for name in sections:
        if name in SECTIONS:
            chosen.update(SECTIONS[name])
        elif name in STEPS:
            chosen.add(name)
        else:
            raise EvaluationError(
                f"unknown section {name!r}; choose from {sorted(SECTIONS)} or the steps "
                f"{list(STEPS)}."
            )
    if not chosen:
        raise EvaluationError(f"no section chosen; choose from {sorted(SECTIONS)}.")
    return [name for name in STEPS if name in chosen]


def _seed(random_state: int | np.random.Generator | None) -> int:
    if random_state is None:
        return int(np.random.SeedSequence().entropy % (2**63))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**63))
    if isinstance(random_state, int | np.integer) and not isinstance(random_state, bool):
        if random_state < 0:
            raise EvaluationError(f"random_state must be >= 0, got {random_state}.")
        return int(random_state)
    raise EvaluationError(
        f"random_state must be an int, a numpy Generator or None, got "
        f"{type(random_state).__name__}."
    )


class _Progress:
    """One line per step on stderr: the label when it starts, the seconds when it ends."""

    def __init__(self, verbose: bool, stream: TextIO | None = None) -> None:
        self.verbose = verbose
        self.stream = stream

    def line(self, text: str) -> None:
        if self.verbose:
            print(text, file=self.stream or sys.stderr, flush=True)

    @contextmanager
    def step(self, label: str, seconds: dict[str, float], key: str):
        stream = self.stream or sys.stderr
        if self.verbose:
            print(f"  {label} ...", end="", file=stream, flush=True)
        start = time.perf_counter()
        try:
            yield
        except BaseException:
            if self.verbose:
                print(" failed", file=stream, flush=True)
            raise
        seconds[key] = time.perf_counter() - start
        if self.verbose:
            print(f" {seconds[key]:.1f} s", file=stream, flush=True)
