"""Fidelity, utility and privacy scores for a synthetic table: DataFrames in, numbers out.

>>> from tabgan.evaluate import evaluate
>>> result = evaluate(real, synthetic, holdout=holdout, target="income")  # doctest: +SKIP
>>> print(result.summary())  # doctest: +SKIP
>>> result.to_json("evaluation.json")  # doctest: +SKIP

The evaluation knows nothing of how the synthetic table was made, so it scores the output
of any generator. See ``docs/evaluate.md`` for what every number means.
"""

from tabgan.evaluate.options import EvaluationOptions
from tabgan.evaluate.pipeline import SECTIONS, STEPS, evaluate
from tabgan.evaluate.result import METRICS, Evaluation, Score

__all__ = ["evaluate", "Evaluation", "EvaluationOptions", "Score", "METRICS", "SECTIONS", "STEPS"]
