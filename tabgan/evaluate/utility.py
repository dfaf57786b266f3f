"""Utility: train on synthetic, test on real (TSTR), against train on real, test on real (TRTR).

Two models per side: a linear one (logistic or ridge regression on the distance embedding:
real empirical-CDF scaled numbers and one-hot categories) and a gradient-boosted one
(``HistGradientBoosting*`` with native categorical splits). Both sides are tested on the
same real rows: the holdout when one is given, else a random share of the real table that
the TRTR model does not train on (the generator may have seen those rows, so TSTR is then
optimistic; the result notes it).

A categorical target is a classification task: ROC AUC and F1 for the positive class, and
accuracy over all classes. The positive class is a parameter; by default it is the real
table's least frequent class. A numeric or datetime target is a regression task: R2 and MAE.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import f1_score, mean_absolute_error, r2_score, roc_auc_score

from tabgan.errors import EvaluationError, TargetColumnError
from tabgan.evaluate.columns import ColumnSpec, category_key
from tabgan.evaluate.context import Context
from tabgan.evaluate.encoding import PreparedTable, TableEncoder
from tabgan.evaluate.models import make_model, one_thread
from tabgan.evaluate.result import ModelUtility, Score, Utility

__all__ = ["resolve_positive_class", "run"]


def resolve_positive_class(
    encoder: TableEncoder, spec: ColumnSpec, positive_class: Any
) -> str | None:
    """The positive class as a category key; the least frequent real class by default."""
    if spec.kind != "categorical":
        if positive_class is not None:
            problem = (f"applies to classification, but the target {spec.name!r} is "
                       f"{spec.kind}, a regression target")
            raise EvaluationError(
                f"positive_class={positive_class!r} {problem}; leave positive_class out, or "
                "declare the target categorical in the metadata.",
                cli=f"--positive {positive_class} {problem}; leave --positive out.",
            )
        return None
    levels = encoder.levels(spec.name)
    if len(levels) < 2:
        problem = (f"the target {spec.name!r} has {len(levels)} class(es) in the real "
                   "table; utility needs at least two")
        raise TargetColumnError(
            f"{problem}. Pick another target, or leave target out.",
            cli=f"{problem}. Pick another --target, or leave --target out.",
        )
    if positive_class is None:
        return levels[-1]  # least frequent (ties: the last by name)
    key = category_key(positive_class)
    if key not in levels:
        shown = levels if len(levels) <= 20 else levels[:20] + ["..."]
        problem = (f"is not a class of the target {spec.name!r} in the real table; its "
                   f"classes are {shown}.")
        raise EvaluationError(f"positive_class={positive_class!r} {problem}",
                              cli=f"--positive {positive_class} {problem}")
    return key


def _rows_with_target(table: PreparedTable, ctx: Context) -> np.ndarray:
    values = table[ctx.target]
    if ctx.spec(ctx.target).kind == "categorical":
        return np.flatnonzero(values != ctx.encoder.n_levels_[ctx.target])
    return np.flatnonzero(~np.isnan(values))


def _cap(rows: np.ndarray, cap: int, rng: np.random.Generator) -> np.ndarray:
    return rows if len(rows) <= cap else np.sort(rng.choice(rows, cap, replace=False))


def _fit_predict_classifier(
    model: Any, x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, positive: int
) -> tuple[np.ndarray, np.ndarray]:
    """Predicted labels and positive-class probabilities (a constant if one class only)."""
    classes = np.unique(y_train)
    if len(classes) == 1:
        label = classes[0]
        return np.full(len(x_test), label), np.full(len(x_test), float(label == positive))
    with warnings.catch_warnings(), one_thread():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(x_train, y_train)
        proba = model.predict_proba(x_test)
    predicted = model.classes_[np.argmax(proba, axis=1)]
    column = np.flatnonzero(model.classes_ == positive)
    p_pos = proba[:, column[0]] if len(column) else np.zeros(len(x_test))
    return predicted, p_pos


def _classification_scores(
    y: np.ndarray, predicted: np.ndarray, p_pos: np.ndarray, positive: int
) -> dict[str, float]:
    truth = y == positive
    auc = float(roc_auc_score(truth, p_pos)) if 0 < truth.sum() < len(truth) else math.nan
    return {
        "roc_auc": auc,
        "f1": float(f1_score(truth, predicted == positive, zero_division=0.0)),
        "accuracy": float(np.mean(predicted == y)),
    }


def run(ctx: Context) -> Utility:
    opts = ctx.options
    rng = ctx.rng("utility")
    target = ctx.target
    spec = ctx.spec(target)
    features = [n for n in ctx.names if n != target]
    if not features:
        raise TargetColumnError(
            f"the target {target!r} is the only scored column, so there is nothing to predict "
            "it from; add feature columns, or leave target out."
        )
    notes: list[str] = []
    train_real = ctx.real.take(_cap(_rows_with_target(ctx.real, ctx), opts.utility_rows, rng))
    if ctx.holdout is not None:
        test = ctx.holdout.take(_rows_with_target(ctx.holdout, ctx))
        test_set = "holdout"
    else:
        rows = rng.permutation(_rows_with_target(ctx.real, ctx))
        n_test = max(1, int(round(len(rows) * opts.utility_test_share)))
        test = ctx.real.take(np.sort(rows[:n_test]))
        train_real = ctx.real.take(_cap(np.sort(rows[n_test:]), opts.utility_rows, rng))
        test_set = "split of the real table"
        notes.append(
            "no holdout: the test rows are a share of the real table, which the generator may "
            "have seen, so TSTR is optimistic."
        )
    syn_rows = _rows_with_target(ctx.synthetic, ctx)
    train_syn = ctx.synthetic.take(_cap(syn_rows, opts.utility_rows, rng))
    if train_syn.n_rows == 0 or test.n_rows == 0 or train_real.n_rows == 0:
        raise TargetColumnError(
            f"the target {target!r} is null in every row of the "
            f"{'synthetic' if train_syn.n_rows == 0 else 'real or holdout'} table; pick a "
            "target with values, or leave target out."
        )

    classification = spec.kind == "categorical"
    task = "classification" if classification else "regression"
    positive_key = resolve_positive_class(ctx.encoder, spec, ctx.positive_class)
    positive = ctx.encoder.vocab_[target][positive_key] if classification else None
    y = {
        label: t[target] for label, t in [("real", train_real), ("syn", train_syn), ("test", test)]
    }
    if classification and len(np.unique(y["syn"])) == 1:
        notes.append("the synthetic target holds a single class; TSTR predicts it everywhere.")

    models = []
    for model_name in ("linear", "gradient_boosting"):
        if model_name == "linear":
            x = {
                label: ctx.encoder.embed(t, features)[0].astype(np.float64)
                for label, t in [("real", train_real), ("syn", train_syn), ("test", test)]
            }
            mask = None
        else:
            mats = {
                label: ctx.encoder.model_matrix(t, features)
                for label, t in [("real", train_real), ("syn", train_syn), ("test", test)]
            }
            x = {label: m[0] for label, m in mats.items()}
            mask = mats["real"][1]
        results = {}
        for side in ("syn", "real"):
            seed = int(rng.integers(2**31 - 1))
            model = make_model(model_name, task, mask, seed)
            if classification:
                predicted, p_pos = _fit_predict_classifier(
                    model, x[side], y[side], x["test"], positive
                )
                results[side] = _classification_scores(y["test"], predicted, p_pos, positive)
            else:
                with one_thread():
                    model.fit(x[side], y[side])
                    predicted = model.predict(x["test"])
                results[side] = {
                    "r2": float(r2_score(y["test"], predicted)),
                    "mae": float(mean_absolute_error(y["test"], predicted)),
                }
        models.append(
            ModelUtility(
                model=model_name,
                scores={
                    metric: Score(metric, results["syn"][metric], results["real"][metric])
                    for metric in results["syn"]
                },
            )
        )
    return Utility(
        target=target,
        task=task,
        positive_class=positive_key,
        test_set=test_set,
        n_train_real=train_real.n_rows,
        n_train_synthetic=train_syn.n_rows,
        n_test=test.n_rows,
        models=models,
        notes=notes,
    )
