"""Ready callbacks for ``TabGAN.fit``: ``EarlyStopping``.

A callback is called as ``callback(model, record)`` after every epoch and stops training by
returning True; ``on_fit_start(model, data)``, if it has one, receives the training table
before the first epoch, and ``state_dict`` / ``load_state_dict`` let a checkpoint carry its
state across a resume. Under differential privacy no callback is allowed: nothing may be
selected on the real data.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import numpy as np
import pandas as pd

from tabgan.errors import ParameterError

__all__ = ["EarlyStopping", "SCORES"]

# score name -> the evaluation scores it averages (tabgan.evaluate, "shapes" step)
SCORES: dict[str, tuple[str, ...]] = {
    "fidelity": ("fidelity.column_shapes", "fidelity.pair_trends"),
    "column_shapes": ("fidelity.column_shapes",),
    "pair_trends": ("fidelity.pair_trends",),
}


class EarlyStopping:
    """Stop a fit once a score of its samples against the training table stops improving.

    Every ``every`` epochs the model samples ``rows`` rows (always with the same seed, so
    that two checks differ only by the weights) and scores them against the training
    table (a subsample of at most ``real_rows`` rows, drawn once). The fit stops after
    ``patience`` checks in a row without a gain of more than ``min_delta`` over the best
    score so far, that is after ``patience * every`` epochs without progress. The model
    kept is the last one, not the best.

    Parameters
    ----------
    score:
        ``"fidelity"`` (the mean of the column-shape and pair-trend scores of
        :func:`tabgan.evaluate.evaluate`, 1 is best), ``"column_shapes"``,
        ``"pair_trends"``, or a function ``score(real, synthetic) -> float`` (higher is
        better) of two DataFrames.
    patience:
        Checks in a row without improvement before training stops.
    min_delta:
        A gain of more than this over the best score counts as an improvement.
    every:
        Epochs between checks.
    rows, real_rows:
        Synthetic rows drawn per check; most training rows scored against.
    verbose:
        Print a line when training stops (None: when the model is verbose).

    Attributes
    ----------
    scores_:
        ``[(epoch, score), ...]`` of every check.
    best_score_, best_epoch_:
        The best score and the epoch it was reached at.
    stopped_epoch_:
        The epoch training stopped at, or None.

    Examples
    --------
    >>> from tabgan import TabGAN
    >>> from tabgan.callbacks import EarlyStopping
    >>> df = pd.DataFrame({"x": [float(i % 7) for i in range(60)], "c": ["a", "b"] * 30})
    >>> stop = EarlyStopping(patience=2, every=1, rows=60, min_delta=1.0)
    >>> model = TabGAN(epochs=50, batch_size=20, verbose=False, random_state=0)
    >>> len(model.fit(df, callback=stop).history_), stop.stopped_epoch_
    (3, 3)
    """

    def __init__(
        self,
        score: str | Callable[[pd.DataFrame, pd.DataFrame], float] = "fidelity",
        *,
        patience: int = 3,
        min_delta: float = 0.001,
        every: int = 5,
        rows: int = 2000,
        real_rows: int = 5000,
        verbose: bool | None = None,
    ):
        if not callable(score) and score not in SCORES:
            raise ParameterError(
                f"unknown early-stopping score {score!r}; use one of {sorted(SCORES)} or a "
                "function score(real, synthetic) -> float."
            )
        for name, value in (("patience", patience), ("every", every), ("rows", rows),
                            ("real_rows", real_rows)):
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
                raise ParameterError(f"{name} must be a positive integer, got {value!r}.")
        if not (isinstance(min_delta, int | float) and min_delta >= 0):
            raise ParameterError(f"min_delta must be a number >= 0, got {min_delta!r}.")
        self.score = score
        self.patience = int(patience)
        self.min_delta = float(min_delta)
        self.every = int(every)
        self.rows = int(rows)
        self.real_rows = int(real_rows)
        self.verbose = verbose
        self.load_state_dict({})

    # ------------------------------------------------------------------ the callback
    def on_fit_start(self, model, data: pd.DataFrame) -> None:
        """Keep a subsample of the training table, drawn by the fit's seed."""
        rng = np.random.default_rng([model.seed_, 1])
        keep = (np.sort(rng.choice(len(data), self.real_rows, replace=False))
                if len(data) > self.real_rows else slice(None))
        self.real = data.iloc[keep].reset_index(drop=True)
        self.sample_seed = int(np.random.default_rng([model.seed_, 2]).integers(2**62))

    def __call__(self, model, record) -> bool:
        if record.epoch % self.every:
            return False
        value = self.measure(model)
        self.scores_.append((int(record.epoch), value))
        if self.best_score_ is None or value > self.best_score_ + self.min_delta:
            self.best_score_, self.best_epoch_, self.wait_ = value, int(record.epoch), 0
            return False
        self.wait_ += 1
        if self.wait_ < self.patience:
            return False
        self.stopped_epoch_ = int(record.epoch)
        if self.verbose or (self.verbose is None and getattr(model, "verbose", False)):
            print(f"tabgan: early stopping at epoch {record.epoch}: no gain over "
                  f"{self.min_delta:g} in {self.patience} checks; best score "
                  f"{self.best_score_:.4f} at epoch {self.best_epoch_}", file=sys.stderr)
        return True

    def measure(self, model) -> float:
        """The score of a fresh sample of ``model`` against the training subsample."""
        synthetic = model.sample(self.rows, random_state=self.sample_seed)
        if callable(self.score):
            return float(self.score(self.real, synthetic))
        from tabgan.evaluate import EvaluationOptions, evaluate

        result = evaluate(self.real, synthetic, metadata=model.metadata_, sections=["shapes"],
                          options=EvaluationOptions(n_triples=0), random_state=0,
                          verbose=False)
        scores = result.scores()
        values = [scores[key].value for key in SCORES[self.score]]
        values = [v for v in values if v is not None and np.isfinite(v)]
        return float(np.mean(values)) if values else float("nan")

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict:
        return {"scores": [list(s) for s in self.scores_], "best_score": self.best_score_,
                "best_epoch": self.best_epoch_, "wait": self.wait_,
                "stopped_epoch": self.stopped_epoch_}

    def load_state_dict(self, state: dict) -> None:
        self.scores_ = [(int(e), float(v)) for e, v in state.get("scores", [])]
        self.best_score_ = state.get("best_score")
        self.best_epoch_ = state.get("best_epoch")
        self.wait_ = int(state.get("wait", 0))
        self.stopped_epoch_ = state.get("stopped_epoch")
