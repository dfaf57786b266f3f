"""Sampling conditions: ``{"income": ">50K", "age": (30, 40)}``.

Equality on a categorical column is steered through the condition vector and checked on
the output; ranges on numeric and datetime columns are met by rejection, and so is a null
(None) asked of a numeric column. Every condition is checked on every returned row. Which
slot of the condition vector a category takes is the encoder's business:
``ConditionSet.parse`` asks it through the ``match`` callable; what a numeric column can
take (its trained range, whether it has nulls) it asks through ``trained``, so that a
condition the model can never meet fails at once, before any row is generated.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from tabgan.errors import ConditionError
from tabgan.table import datetimes
from tabgan.table.columns import NUMERIC_KINDS, bound_to_float

__all__ = [
    "CategoryMatch",
    "TrainedRange",
    "Equal",
    "Range",
    "IsNull",
    "ConditionSet",
    "match_category",
    "parse_condition_strings",
]


class CategoryMatch(NamedTuple):
    """Where a wanted category sits: its stored value, its categorical column's index
    among the categorical columns, its slot there, and how often it occurs."""

    value: Any
    position: int
    slot: int
    weight: float


class TrainedRange(NamedTuple):
    """What a fitted numeric column can generate: values in ``[low, high]`` (datetimes in
    epoch seconds), and nulls when ``nullable``."""

    low: float
    high: float
    nullable: bool


@dataclass(frozen=True)
class Equal:
    column: Any
    match: CategoryMatch


@dataclass(frozen=True)
class Range:
    column: Any
    low: float
    high: float  # datetimes in epoch seconds
    kind: str
    datetime_format: str | None = None


@dataclass(frozen=True)
class IsNull:
    """A numeric or datetime column that must be null."""

    column: Any


class ConditionSet:
    """Validated conditions for one fitted model."""

    def __init__(self, equal: list[Equal], ranges: list[Range],
                 nulls: list[IsNull] | None = None):
        self.equal = equal
        self.ranges = ranges
        self.nulls = list(nulls or [])

    def __bool__(self) -> bool:
        return bool(self.equal or self.ranges or self.nulls)

    @classmethod
    def parse(
        cls,
        conditions: Mapping[Any, Any],
        metadata,
        match: Callable[[Any, Any], CategoryMatch],
        trained: Callable[[Any], TrainedRange] | None = None,
    ) -> ConditionSet:
        """Check ``conditions`` against ``metadata``; ``match(column, wanted)`` places a
        wanted category (and raises ConditionError for an unknown one). ``trained(column)``
        gives a numeric column's trained range (None when it has none to check, a column a
        constraint replaced, say): a range outside it, or a null of a column without nulls,
        raises ConditionError at once. None (or NaN) asks for nulls."""
        if not isinstance(conditions, Mapping):
            raise ConditionError(
                "conditions must be a dict such as {'income': '>50K', 'age': (30, 40)}."
            )
        equal, ranges, nulls = [], [], []
        for column, wanted in conditions.items():
            if column not in metadata:
                raise ConditionError(
                    f"unknown column {column!r} in conditions; the columns are "
                    f"{metadata.names}."
                )
            meta = metadata[column]
            if meta.kind == "categorical":
                equal.append(Equal(column, _match_category(column, wanted, match)))
            elif meta.kind in NUMERIC_KINDS:
                reach = trained(column) if trained is not None else None
                if _is_null(wanted):
                    if reach is not None and not reach.nullable:
                        raise _no_nulls(column)
                    nulls.append(IsNull(column))
                    continue
                low, high = _parse_range(column, wanted, meta.kind)
                cond = Range(column, low, high, meta.kind, meta.datetime_format)
                if reach is not None:
                    _check_reachable(cond, reach)
                ranges.append(cond)
            else:
                raise ConditionError(
                    f"column {column!r} is an identifier; its values are generated fresh and "
                    "cannot be conditioned on."
                )
        return cls(equal, ranges, nulls)

    def condition_target(self) -> tuple[int, int] | None:
        """The (categorical column, slot) to put in the condition vector: the rarest. A
        match at position -1 (a column the condition vector lacks) is met by rejection."""
        steerable = [e for e in self.equal if e.match.position >= 0]
        if not steerable:
            return None
        chosen = min(steerable, key=lambda e: e.match.weight)
        return chosen.match.position, chosen.match.slot

    def filter(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The rows of ``frame`` that satisfy every condition."""
        if not self:
            return frame
        keep = np.ones(len(frame), dtype=bool)
        for cond in self.equal:
            series = frame[cond.column]
            value = cond.match.value
            if value is None:
                keep &= series.isna().to_numpy()
            else:
                keep &= (series.astype(object) == value).fillna(False).to_numpy(bool)
        for cond in self.ranges:
            series = frame[cond.column]
            if cond.kind == "datetime":
                values = datetimes.to_seconds(series, cond.datetime_format, errors="coerce")
            else:
                values = series.to_numpy(dtype="float64", na_value=np.nan)
            keep &= (values >= cond.low) & (values <= cond.high)
        for cond in self.nulls:
            keep &= frame[cond.column].isna().to_numpy()
        return frame.loc[keep].reset_index(drop=True)

    def unsatisfiable(self, have: int, n: int, tried: int) -> ConditionError:
        parts = [f"{c.column!r} == {c.match.value!r}" for c in self.equal]
        parts += [f"{c.column!r} in {_show_range(c.low, c.high, c.kind)}" for c in self.ranges]
        parts += [f"{c.column!r} is null" for c in self.nulls]
        found = (f"after {tried} generated rows only {have} of the {n} asked for satisfy "
                 f"{' and '.join(parts)}; the model rarely or never produces such rows. "
                 "Loosen the conditions, ask for fewer rows, or raise ")
        return ConditionError(found + "max_tries.", cli=found + "--max-tries.")


def _is_null(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _no_nulls(column: Any) -> ConditionError:
    return ConditionError(
        f"column {column!r} had no nulls when the model was trained, so the model never "
        f"generates them; drop the null condition on {column!r}."
    )


def _match_category(column: Any, wanted: Any, match) -> CategoryMatch:
    try:
        return match(column, wanted)
    except ConditionError:
        if _is_null(wanted):
            raise _no_nulls(column) from None
        raise


def _check_reachable(cond: Range, trained: TrainedRange) -> None:
    """Raise at once for a range that no generated value can fall in: generated values
    lie in the trained range (and are whole numbers in an integer column)."""
    low, high = max(cond.low, trained.low), min(cond.high, trained.high)
    if cond.kind == "integer":
        low, high = math.ceil(low), math.floor(high)
    if low <= high:
        return
    asked = _show_range(cond.low, cond.high, cond.kind)
    have = _show_range(trained.low, trained.high, cond.kind)
    if max(cond.low, trained.low) <= min(cond.high, trained.high):  # integers only
        raise ConditionError(
            f"condition on {cond.column!r}: {asked} holds no whole number, and "
            f"{cond.column!r} is an integer column (trained on {have}); ask for a range "
            "that holds one."
        )
    raise ConditionError(
        f"condition on {cond.column!r}: {asked} lies outside {have}, the range the model "
        f"was trained on, and the model never generates such values; ask for values "
        f"within {have}."
    )


def _show_range(low: float, high: float, kind: str) -> str:
    return f"{_show(low, kind)}..{_show(high, kind)}"


def _show(value: float, kind: str) -> str:
    if math.isinf(value):
        return ""
    if kind == "datetime":
        return datetimes.to_iso(value)
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.6g}"


def match_category(wanted: Any, categories: list) -> int | None:
    """The index of ``wanted`` among ``categories`` (None marks the null category): an
    exact match of type and value first, then an equal number, then a unique match of the
    string form (values from the command line arrive as strings); None without a match."""
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
    if isinstance(wanted, str):
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
    """``["income=>50K", "age=30..40", "city="]`` to ``{"income": ">50K", "age": "30..40",
    "city": None}``: nothing after the ``=`` asks for nulls."""
    out = {}
    for item in items:
        if "=" not in item:
            raise ConditionError(
                f"condition {item!r} is not COLUMN=VALUE (COLUMN=LOW..HIGH for a range, "
                "COLUMN= for nulls)."
            )
        column, value = item.split("=", 1)
        out[column] = value if value != "" else None
    return out
