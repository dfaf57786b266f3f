"""Sampling conditions: ``{"income": ">50K", "age": (30, 40)}``.

Equality on a categorical column is steered through the condition vector and checked on
the output; ranges on numeric and datetime columns are met by rejection. Every condition
is checked on every returned row.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from tabgan.errors import ConditionError
from tabgan.metadata import bound_to_float
from tabgan.transform import NAT, OTHER, datetime_ns

__all__ = ["ConditionSet", "parse_condition_strings"]


@dataclass
class _Equal:
    column: Any
    value: Any  # a category exactly as the transformer stores it (None for null)
    position: int  # index among the categorical columns
    category: int  # index of the value among that column's categories
    count: float


@dataclass
class _Range:
    column: Any
    low: float
    high: float
    meta: Any  # the column's metadata, to read datetimes back


class ConditionSet:
    """Validated conditions for one fitted transformer."""

    def __init__(self, equal: list[_Equal], ranges: list[_Range]):
        self.equal = equal
        self.ranges = ranges

    def __bool__(self) -> bool:
        return bool(self.equal or self.ranges)

    @classmethod
    def parse(cls, conditions: Mapping[Any, Any], transformer, counts=None) -> ConditionSet:
        if not isinstance(conditions, Mapping):
            raise ConditionError(
                "conditions must be a dict such as {'income': '>50K', 'age': (30, 40)}."
            )
        meta = transformer.metadata_
        positions = {d.name: i for i, d in enumerate(transformer.discrete_)}
        equal, ranges = [], []
        for column, wanted in conditions.items():
            if column not in meta:
                raise ConditionError(
                    f"unknown column {column!r} in conditions; the columns are {meta.names}."
                )
            kind = meta[column].kind
            if kind == "categorical":
                categories = transformer.categories(column)
                index = _match_category(wanted, categories)
                pos = positions[column]
                share, value = 1.0, None if index is None else categories[index]
                if index is None:  # one of the categories pooled in one slot?
                    members, weights = transformer.pooled_categories(column)
                    j = _match_category(wanted, members)
                    if j is not None:
                        index = transformer.pooled_slot(column)
                        share, value = weights[j], members[j]
                if index is None:
                    valid = [c for c in categories if c is not OTHER]
                    valid += transformer.pooled_categories(column)[0]
                    shown = f"{valid[:30]}" + (f" ... ({len(valid)} in all)"
                                                if len(valid) > 30 else "")
                    raise ConditionError(
                        f"{wanted!r} is not a category of column {column!r}; the valid values "
                        f"are {shown}."
                    )
                count = float(counts[pos, index]) * share if counts is not None else share
                equal.append(_Equal(column, value, pos, index, count))
            elif kind in ("continuous", "integer", "datetime"):
                low, high = _parse_range(column, wanted, kind)
                ranges.append(_Range(column, low, high, meta[column]))
            else:
                raise ConditionError(
                    f"column {column!r} is an identifier; its values are generated fresh and "
                    "cannot be conditioned on."
                )
        return cls(equal, ranges)

    def condition_target(self, transformer) -> tuple[int, int] | None:
        """The (categorical column, category) to put in the condition vector: the rarest."""
        if not self.equal:
            return None
        chosen = min(self.equal, key=lambda e: e.count)
        return chosen.position, chosen.category

    def filter(self, frame: pd.DataFrame) -> pd.DataFrame:
        if not self:
            return frame
        keep = np.ones(len(frame), dtype=bool)
        for cond in self.equal:
            series = frame[cond.column]
            if cond.value is None:
                keep &= series.isna().to_numpy()
            else:
                keep &= (series.astype(object) == cond.value).fillna(False).to_numpy(bool)
        for cond in self.ranges:
            series = frame[cond.column]
            if cond.meta.kind == "datetime":
                ns = datetime_ns(series, cond.meta)
                values = np.where(ns == NAT, np.nan, ns / 1e9)
            else:
                values = series.to_numpy(dtype="float64", na_value=np.nan)
            keep &= (values >= cond.low) & (values <= cond.high)
        return frame.loc[keep].reset_index(drop=True)

    def unsatisfiable(self, have: int, n: int, tried: int) -> ConditionError:
        parts = [f"{c.column!r} == {c.value!r}" for c in self.equal]
        parts += [f"{c.column!r} in [{c.low}, {c.high}]" for c in self.ranges]
        return ConditionError(
            f"after {tried} generated rows only {have} of the {n} asked for satisfy "
            f"{' and '.join(parts)}; the model rarely or never produces such rows. Loosen the "
            "conditions, ask for fewer rows, or raise max_tries."
        )


def _match_category(wanted: Any, categories: list) -> int | None:
    if wanted is None or (isinstance(wanted, float) and math.isnan(wanted)):
        return categories.index(None) if None in categories else None
    for i, c in enumerate(categories):
        if c is not None and type(c) is type(wanted) and c == wanted:
            return i
    for i, c in enumerate(categories):
        if c is not None and c == wanted and not isinstance(c, bool) and not isinstance(
            wanted, bool
        ):
            return i
    if isinstance(wanted, str):  # values from the command line arrive as strings
        matches = [i for i, c in enumerate(categories) if c is not None and str(c) == wanted]
        if len(matches) == 1:
            return matches[0]
    return None


def _parse_range(column: Any, wanted: Any, kind: str) -> tuple[float, float]:
    if isinstance(wanted, tuple | list) and len(wanted) == 2:
        low, high = wanted
    elif isinstance(wanted, str) and ".." in wanted:
        low, high = (part.strip() for part in wanted.split("..", 1))
    else:
        low = high = wanted
    try:
        lo = -math.inf if low in (None, "") else bound_to_float(low, kind)
        hi = math.inf if high in (None, "") else bound_to_float(high, kind)
    except Exception as exc:
        raise ConditionError(
            f"condition on {column!r} must be a value or a (low, high) range, got {wanted!r}."
        ) from exc
    if lo > hi:
        raise ConditionError(f"condition on {column!r}: low {low!r} is above high {high!r}.")
    return lo, hi


def parse_condition_strings(items: list[str]) -> dict:
    """``["income=>50K", "age=30..40"]`` to ``{"income": ">50K", "age": "30..40"}``."""
    out = {}
    for item in items:
        if "=" not in item:
            raise ConditionError(
                f"condition {item!r} is not COLUMN=VALUE (or COLUMN=LOW..HIGH for a range)."
            )
        column, value = item.split("=", 1)
        out[column] = value
    return out
