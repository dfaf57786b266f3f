"""Constraints: rules every synthetic row obeys, declared in Python or in the metadata JSON.

- :class:`Inequality`: ``low <= high`` between two numeric or two datetime columns
  (``start_date <= end_date``; ``strict`` for ``<``).
- :class:`FixedCombinations`: only the combinations of values of some columns that exist
  (the ``(city, country)`` pairs of the data, or a declared list of them).
- :class:`Bounded` and :class:`Positive`: the values of one column lie in a range.
- :class:`Formula`: one column computed from others (``total = price * quantity``) in the
  small expression language of :mod:`tabgan.table.formula`.

Each is a frozen dataclass with ``to_dict`` (its JSON form) and ``violated(frame,
metadata)``: a boolean mask of the rows that break it; a null on a compared value breaks
no inequality or bound. :mod:`tabgan.table.constraint_parsing` reads them from dicts and
strings; how they are met when sampling is :mod:`tabgan.table.constraint_set`'s business.

>>> Inequality("start_date", "end_date").to_dict()
{'type': 'inequality', 'low': 'start_date', 'high': 'end_date', 'strict': False}
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from tabgan.errors import ConstraintError
from tabgan.table.columns import bound_to_float, to_json_scalar
from tabgan.table.constraint_values import combination_codes, numbers
from tabgan.table.formula import Expression

__all__ = [
    "Constraint",
    "Inequality",
    "FixedCombinations",
    "Bounded",
    "Positive",
    "Formula",
    "holds_numbers",
]

FORMULA_RTOL = 1e-9  # a formula column matches its expression to this relative tolerance
FORMULA_ATOL = 1e-9


class Constraint:
    """What every constraint has: its type name, its columns, its JSON form, and a check
    of a frame's rows."""

    type: ClassVar[str]

    @property
    def columns(self) -> tuple:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def to_dict(self) -> dict:
        """The JSON form: ``{"type": ..., field: value, ...}``."""
        return {"type": self.type, **{f.name: getattr(self, f.name) for f in fields(self)
                                      if f.init and f.repr}}

    def check_metadata(self, metadata) -> None:
        """Raise a ConstraintError unless every column exists and has a fitting kind."""
        for name in self.columns:
            if name not in metadata:
                raise ConstraintError(
                    f"the constraint {self.describe()} names the column {name!r}, which the "
                    f"table lacks; the columns are {metadata.names}."
                )
            if metadata[name].kind == "id":
                raise ConstraintError(
                    f"the constraint {self.describe()} names the identifier column {name!r}, "
                    "whose values are generated fresh; drop it from the constraint."
                )

    def violated(self, frame: pd.DataFrame, metadata) -> np.ndarray:
        raise NotImplementedError


def _ordered_kinds(constraint: Constraint, metadata, names: Iterable) -> None:
    """Raise unless ``names`` are all datetime columns, or all hold numbers."""
    kinds = {n: metadata[n].kind for n in names}
    dates = [n for n, k in kinds.items() if k == "datetime"]
    if dates and len(dates) != len(kinds):
        raise ConstraintError(
            f"the constraint {constraint.describe()} compares a datetime column with a "
            "numeric one; compare dates with dates and numbers with numbers."
        )
    for name in names:
        if not dates and not holds_numbers(metadata[name]):
            raise ConstraintError(
                f"the constraint {constraint.describe()} needs numbers, but column {name!r} "
                f"is {metadata[name].kind} ({metadata[name].dtype}); use a numeric or "
                "datetime column."
            )


@dataclass(frozen=True)
class Inequality(Constraint):
    """``low <= high`` (``low < high`` when ``strict``) in every row: two numeric columns,
    or two datetime columns."""

    low: Any
    high: Any
    strict: bool = False
    type: ClassVar[str] = "inequality"

    def __post_init__(self) -> None:
        if self.low == self.high:
            raise ConstraintError(f"an inequality needs two columns, got {self.low!r} twice.")
        if not isinstance(self.strict, bool):
            raise ConstraintError(f"strict must be true or false, got {self.strict!r}.")

    @property
    def columns(self) -> tuple:
        return (self.low, self.high)

    def describe(self) -> str:
        return f"'{self.low} {'<' if self.strict else '<='} {self.high}'"

    def check_metadata(self, metadata) -> None:
        super().check_metadata(metadata)
        _ordered_kinds(self, metadata, self.columns)

    def violated(self, frame, metadata) -> np.ndarray:
        low = numbers(frame[self.low], metadata[self.low])
        high = numbers(frame[self.high], metadata[self.high])
        with np.errstate(invalid="ignore"):
            bad = low >= high if self.strict else low > high
        return bad  # a NaN on either side compares False: a null breaks nothing


@dataclass(frozen=True)
class FixedCombinations(Constraint):
    """The values of ``columns`` (two or more categorical or integer columns) come only in
    the combinations of ``combinations``: a declared list of value lists (``null`` for a
    null), or, when None, those the data holds. Under differential privacy the list must be
    declared: a constraint is public knowledge and reads no data."""

    # (a default, so that the base class's ``columns`` property does not become one)
    columns: tuple = field(default=())  # type: ignore[assignment]
    combinations: tuple | None = None
    type: ClassVar[str] = "fixed_combinations"

    def __post_init__(self) -> None:
        columns = self.columns
        if isinstance(columns, str) or not isinstance(columns, Iterable):
            raise ConstraintError(
                f"fixed_combinations needs a list of columns, got {columns!r}."
            )
        columns = tuple(columns)
        if len(columns) < 2 or len(set(map(repr, columns))) != len(columns):
            raise ConstraintError(
                f"fixed_combinations needs two or more different columns, got {list(columns)}."
            )
        object.__setattr__(self, "columns", columns)
        if self.combinations is None:
            return
        combos = []
        for combo in self.combinations:
            if isinstance(combo, str) or not isinstance(combo, Iterable):
                raise ConstraintError(
                    f"each combination of {self.describe()} must be a list of "
                    f"{len(columns)} values, got {combo!r}."
                )
            combo = tuple(to_json_scalar(v) for v in combo)
            if len(combo) != len(columns):
                raise ConstraintError(
                    f"the combination {list(combo)} of {self.describe()} has {len(combo)} "
                    f"values for {len(columns)} columns."
                )
            combos.append(combo)
        if not combos:
            raise ConstraintError(f"{self.describe()} lists no combination.")
        if len(set(combos)) != len(combos):
            raise ConstraintError(f"{self.describe()} lists a combination twice.")
        object.__setattr__(self, "combinations", tuple(combos))

    def describe(self) -> str:
        return f"'fixed combinations of {', '.join(map(str, self.columns))}'"

    def to_dict(self) -> dict:
        out = {"type": self.type, "columns": list(self.columns)}
        if self.combinations is not None:
            out["combinations"] = [list(c) for c in self.combinations]
        return out

    def check_metadata(self, metadata) -> None:
        super().check_metadata(metadata)
        for name in self.columns:
            if metadata[name].kind not in ("categorical", "integer"):
                raise ConstraintError(
                    f"the constraint {self.describe()} takes categorical or integer columns; "
                    f"{name!r} is {metadata[name].kind}."
                )

    def violated(self, frame, metadata) -> np.ndarray:
        if self.combinations is None:  # the data's own combinations: met by definition
            return np.zeros(len(frame), dtype=bool)
        return combination_codes(frame, self.columns, self.combinations) < 0


@dataclass(frozen=True)
class Bounded(Constraint):
    """``low <= column <= high`` (either end may be None; strict: ``<``) for a numeric or
    datetime column; datetime ends are ISO 8601 strings."""

    column: Any
    low: Any = None
    high: Any = None
    strict: bool = False
    type: ClassVar[str] = "bounded"

    def __post_init__(self) -> None:
        if self.low is None and self.high is None:
            raise ConstraintError(f"a bound on {self.column!r} needs a low or a high end.")
        for end in (self.low, self.high):
            if end is not None and (isinstance(end, bool) or not isinstance(end, int | float
                                                                             | str)):
                raise ConstraintError(
                    f"the bounds of {self.column!r} must be numbers or date strings, got "
                    f"{end!r}."
                )
        if not isinstance(self.strict, bool):
            raise ConstraintError(f"strict must be true or false, got {self.strict!r}.")

    @property
    def columns(self) -> tuple:
        return (self.column,)

    def describe(self) -> str:
        op = "<" if self.strict else "<="
        low = "" if self.low is None else f"{self.low} {op} "
        high = "" if self.high is None else f" {op} {self.high}"
        return f"'{low}{self.column}{high}'"

    def range(self, kind: str) -> tuple[float, float]:
        """The ends as floats (datetimes in epoch seconds); -inf / inf for a missing end."""
        try:
            low = -math.inf if self.low is None else bound_to_float(self.low, kind)
            high = math.inf if self.high is None else bound_to_float(self.high, kind)
        except ValueError as exc:
            raise ConstraintError(f"the constraint {self.describe()}: {exc}") from None
        if low > high or (self.strict and low == high):
            raise ConstraintError(f"the constraint {self.describe()} allows no value.")
        return low, high

    def check_metadata(self, metadata) -> None:
        super().check_metadata(metadata)
        _ordered_kinds(self, metadata, self.columns)
        self.range(metadata[self.column].kind)

    def violated(self, frame, metadata) -> np.ndarray:
        meta = metadata[self.column]
        low, high = self.range(meta.kind)
        x = numbers(frame[self.column], meta)
        with np.errstate(invalid="ignore"):
            if self.strict:
                return (x <= low) | (x >= high)
            return (x < low) | (x > high)


@dataclass(frozen=True)
class Positive(Bounded):
    """``column >= 0`` (``> 0`` when ``strict``)."""

    low: Any = field(default=0, init=False, repr=False)
    high: Any = field(default=None, init=False, repr=False)
    type: ClassVar[str] = "positive"

    def __init__(self, column: Any, strict: bool = False):
        object.__setattr__(self, "column", column)
        object.__setattr__(self, "low", 0)
        object.__setattr__(self, "high", None)
        object.__setattr__(self, "strict", strict)
        self.__post_init__()

    def to_dict(self) -> dict:
        return {"type": self.type, "column": self.column, "strict": self.strict}


def _same_name(a: Any, b: Any) -> bool:
    return a == b and type(a) is type(b)


@dataclass(frozen=True)
class Formula(Constraint):
    """``column = expression`` in every row, to a relative tolerance of 1e-9; the
    expression reads numeric columns (see :mod:`tabgan.table.formula`). Where the
    expression is null (a null input, a division by zero), the column is null."""

    column: Any
    expression: str
    parsed: Expression = field(init=False, repr=False, compare=False)
    type: ClassVar[str] = "formula"

    def __post_init__(self) -> None:
        object.__setattr__(self, "parsed", Expression(self.expression))
        if any(_same_name(self.column, c) for c in self.parsed.columns):
            raise ConstraintError(f"the formula {self.describe()} reads its own column.")

    @property
    def inputs(self) -> tuple:
        return self.parsed.columns

    @property
    def columns(self) -> tuple:
        return (self.column, *self.inputs)

    def describe(self) -> str:
        return f"'{self.column} = {self.expression}'"

    def check_metadata(self, metadata) -> None:
        super().check_metadata(metadata)
        for name in self.columns:
            if not holds_numbers(metadata[name]):
                raise ConstraintError(
                    f"the formula {self.describe()} needs numbers, but column {name!r} is "
                    f"{metadata[name].kind} ({metadata[name].dtype})."
                )

    def compute(self, frame: pd.DataFrame, metadata) -> np.ndarray:
        values = {c: numbers(frame[c], metadata[c]) for c in self.inputs}
        return self.parsed.evaluate(values, len(frame))

    def violated(self, frame, metadata) -> np.ndarray:
        want = self.compute(frame, metadata)
        have = numbers(frame[self.column], metadata[self.column])
        close = np.isclose(have, want, rtol=FORMULA_RTOL, atol=FORMULA_ATOL)
        return ~(close | (np.isnan(have) & np.isnan(want)))


def holds_numbers(column) -> bool:
    """Whether a column's values are numbers: continuous and integer columns, and
    categorical ones of a numeric (not bool) dtype."""
    if column.kind in ("continuous", "integer"):
        return True
    if column.kind != "categorical" or column.dtype is None:
        return False
    try:
        dtype = pd.api.types.pandas_dtype(column.dtype)
    except TypeError:
        return False
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
