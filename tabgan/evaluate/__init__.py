"""Fidelity, utility and privacy scores for a synthetic table: DataFrames in, numbers out.

>>> from tabgan.evaluate import evaluate
>>> result = evaluate(real, synthetic, holdout=holdout, target="income")  # doctest: +SKIP
>>> print(result.summary())  # doctest: +SKIP
>>> result.to_json("evaluation.json")  # doctest: +SKIP

The package can also be called as the function itself, ``tabgan.evaluate(real, synthetic,
...)``, while its names (``tabgan.evaluate.Evaluation``, ...) stay reachable.

The evaluation knows nothing of how the synthetic table was made, so it scores the output
of any generator. See ``docs/evaluate.md`` for what every number means.
"""

import sys
import types

from tabgan.evaluate.metrics import METRICS, Score
from tabgan.evaluate.options import EvaluationOptions
from tabgan.evaluate.pipeline import SECTIONS, STEPS, evaluate
from tabgan.evaluate.result import Evaluation

__all__ = ["evaluate", "Evaluation", "EvaluationOptions", "Score", "METRICS", "SECTIONS", "STEPS"]


class _CallableModule(types.ModuleType):
    """This package, callable as :func:`evaluate`."""

    def __call__(self, *args, **kwargs) -> Evaluation:
        return evaluate(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
