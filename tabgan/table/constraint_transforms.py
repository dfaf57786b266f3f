"""How a constraint is built into the table the GAN learns, and undone after sampling.

A transform turns the table as the user gave it into one from which the model can only
regenerate rows that satisfy the constraint, and back:

- :class:`InequalityTransform`: ``high`` is replaced by ``high - low``, a column that is
  never negative (its decoded values are clipped to the range of the real differences, or
  to public bounds), and restored as ``low + difference``.
- :class:`CombinationTransform`: the columns of a fixed-combinations constraint are
  replaced by one categorical column whose categories are the allowed combinations.
- :class:`FormulaTransform`: the computed column is dropped before fitting and computed
  from its inputs after sampling.
- :class:`BoundsTransform`: declared bounds of a bounded column are narrowed to the
  constraint's range (the decoder clips to them); it changes no column.

Each says which columns it ``reads`` when it is undone and which it ``replaces``;
:mod:`tabgan.table.constraint_set` orders them so that every column is replaced once, after
every transform that reads it. Under differential privacy a transform reads nothing of the
data: ranges come from declared bounds, combinations from the declaration.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from tabgan.errors import ConditionError, ConstraintError
from tabgan.table import datetimes
from tabgan.table.columns import ColumnMetadata
from tabgan.table.conditions import match_category
from tabgan.table.constraint_values import combination_codes, numbers
from tabgan.table.constraints import (
    Bounded,
    Constraint,
    FixedCombinations,
    Formula,
    Inequality,
)

__all__ = [
    "Transform",
    "InequalityTransform",
    "CombinationTransform",
    "FormulaTransform",
    "BoundsTransform",
    "transform_for",
]

_SECOND_NS = 10**9  # the step of datetimes restored under DP, as private preprocessing uses


def _numpy_dtype(dtype: str | None) -> np.dtype | None:
    try:
        resolved = pd.api.types.pandas_dtype(dtype) if dtype else None
    except TypeError:
        return None
    return resolved if isinstance(resolved, np.dtype) else None


def _holds_no_null(dtype: str | None) -> bool:
    """A numpy integer or bool dtype, which cannot hold a null."""
    resolved = _numpy_dtype(dtype)
    return resolved is not None and resolved.kind in "iub"


def _whole(column: ColumnMetadata) -> bool:
    resolved = _numpy_dtype(column.dtype)
    return column.kind == "integer" or (resolved is not None and resolved.kind in "iu")


def restore_numbers(values: np.ndarray, column: ColumnMetadata) -> tuple[pd.Series, np.ndarray]:
    """Float values as ``column``'s dtype (rounded for whole-number columns), and the rows
    whose null the dtype cannot hold (they are to be rejected)."""
    values = np.asarray(values, dtype=np.float64)
    if _whole(column):
        values = np.round(values)
    invalid = np.isnan(values) if _holds_no_null(column.dtype) else np.zeros(len(values), bool)
    series = pd.Series(np.where(invalid, 0.0, values))
    return (series.astype(column.dtype) if column.dtype else series), invalid


def fresh_name(base: str, taken: set) -> str:
    """``base``, or ``base #2``, ``base #3``, ...: a column name ``taken`` lacks."""
    name, i = base, 1
    while name in taken:
        i += 1
        name = f"{base} #{i}"
    taken.add(name)
    return name


class Transform:
    """A constraint built into the learned table (see the module docstring)."""

    def __init__(self, constraint: Constraint, metadata):
        self.constraint = constraint
        self.metadata = metadata  # of the table as the user gave it

    reads: tuple = ()
    replaces: tuple = ()

    def fit(self, data: pd.DataFrame, *, private: bool, taken: set) -> None:
        """Take what undoing needs; under DP (``private``) nothing is read from ``data``."""

    def forward(self, frame: pd.DataFrame) -> None:
        """Build the constraint into ``frame``, in place."""

    def columns(self, columns: list[ColumnMetadata]) -> list[ColumnMetadata]:
        """The learned table's column metadata from the one before this transform."""
        return columns

    def reverse(self, frame: pd.DataFrame) -> np.ndarray | None:
        """Undo ``forward`` in place; the rows that cannot be restored (or None)."""
        return None

    def match_value(self, column: Any, wanted: Any) -> Any:
        """The value a condition ``column == wanted`` on a replaced column compares with."""
        if isinstance(wanted, str):
            try:
                return float(wanted)
            except ValueError:
                return wanted
        return wanted

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: Mapping) -> None:
        pass

    def _replace(self, columns: list[ColumnMetadata], new: list[ColumnMetadata]):
        """``columns`` without the replaced ones, ``new`` where the first of them was."""
        names = set(self.replaces)
        at = next(i for i, c in enumerate(columns) if c.name in names)
        kept = [c for c in columns if c.name not in names]
        return kept[:at] + new + kept[at:]


class InequalityTransform(Transform):
    """``high`` learned as ``high - low`` (never negative) and restored as their sum."""

    constraint: Inequality

    def __init__(self, constraint: Inequality, metadata):
        super().__init__(constraint, metadata)
        self.reads, self.replaces = (constraint.low,), (constraint.high,)

    @staticmethod
    def applies(constraint: Inequality, data: pd.DataFrame, metadata, private: bool) -> bool:
        """Whether the difference can stand for ``high``: ``high`` is a numeric or datetime
        column (not a categorical one, whose values would change) and ``low`` is never null
        (declared not nullable under DP; without DP, no null in the data)."""
        low, high = metadata[constraint.low], metadata[constraint.high]
        if high.kind not in ("continuous", "integer", "datetime"):
            return False
        if private:
            return low.nullable is False
        return low.nullable is not True and bool(data[constraint.low].notna().all())

    def fit(self, data, *, private, taken) -> None:
        c, meta = self.constraint, self.metadata
        low, high = meta[c.low], meta[c.high]
        self.name = fresh_name(f"{high.name} - {low.name}", taken)
        self.whole = high.kind != "datetime" and _whole(low) and _whole(high)
        step = 1.0 if self.whole and c.strict else 0.0
        self.bounds = None
        if low.bounds is not None and high.bounds is not None:
            top = high.numeric_bounds()[1] - low.numeric_bounds()[0]
            self.bounds = [step, max(step, top)]
        if high.bounds is not None:
            self.clip = list(high.numeric_bounds())
        elif private:
            self.clip = None
        else:
            values = numbers(data[c.high], high)
            self.clip = [float(np.nanmin(values)), float(np.nanmax(values))]
        self.unit = self.step_ns = None
        if high.kind == "datetime":
            self.unit = datetimes.column_unit(high.dtype, high.datetime_format)
            self.step_ns = _SECOND_NS if private else datetimes.step_of(
                datetimes.to_ticks(data[c.high], self.unit, high.datetime_format), self.unit)

    def _dtype(self) -> str:
        meta = self.metadata
        both_int = all(_holds_no_null(meta[n].dtype) and _whole(meta[n])
                       for n in self.constraint.columns)
        return "int64" if both_int else "float64"

    def forward(self, frame) -> None:
        c, meta = self.constraint, self.metadata
        diff = numbers(frame[c.high], meta[c.high]) - numbers(frame[c.low], meta[c.low])
        frame[self.name] = pd.Series(diff, index=frame.index).astype(self._dtype())
        frame.drop(columns=[c.high], inplace=True)

    def columns(self, columns):
        kind, dtype = "integer" if self.whole else "continuous", self._dtype()
        new = ColumnMetadata(self.name, kind, dtype=dtype,
                             bounds=None if self.bounds is None else tuple(self.bounds),
                             nullable=False if dtype == "int64" else None)
        return self._replace(columns, [new])

    def reverse(self, frame) -> np.ndarray | None:
        c, meta = self.constraint, self.metadata
        high = meta[c.high]
        values = numbers(frame[c.low], meta[c.low]) + frame[self.name].to_numpy(
            dtype="float64", na_value=np.nan)
        if self.clip is not None:
            values = np.clip(values, *self.clip)  # keeps low <= high: low is inside the range
        invalid = None
        if high.kind == "datetime":
            series = datetimes.restore(values, unit=self.unit, step_ns=self.step_ns,
                                       dtype=high.dtype, datetime_format=high.datetime_format)
        else:
            series, invalid = restore_numbers(values, high)
        frame[c.high] = series.set_axis(frame.index)
        frame.drop(columns=[self.name], inplace=True)
        return invalid

    def state_dict(self) -> dict:
        return {"name": self.name, "whole": self.whole, "bounds": self.bounds,
                "clip": self.clip, "unit": self.unit, "step_ns": self.step_ns}

    def load_state_dict(self, state) -> None:
        for key in ("name", "whole", "bounds", "clip", "unit", "step_ns"):
            setattr(self, key, state[key])


class CombinationTransform(Transform):
    """The columns of a fixed-combinations constraint learned as one categorical column of
    combination codes."""

    constraint: FixedCombinations

    def __init__(self, constraint: FixedCombinations, metadata):
        super().__init__(constraint, metadata)
        self.replaces = constraint.columns
        self._check_values()

    def _check_values(self) -> None:
        c = self.constraint
        for j, name in enumerate(c.columns):
            meta = self.metadata[name]
            values = [combo[j] for combo in c.combinations]
            if None in values and _holds_no_null(meta.dtype):
                raise ConstraintError(
                    f"{c.describe()} lists a null for {name!r}, whose dtype {meta.dtype} holds "
                    "no nulls."
                )
            if meta.categories is not None:
                missing = [v for v in values if match_category(v, meta.categories) is None]
                if missing:
                    raise ConstraintError(
                        f"{c.describe()} lists value(s) {missing[:5]} for {name!r} that its "
                        "categories in the metadata lack."
                    )

    def fit(self, data, *, private, taken) -> None:
        self.name = fresh_name(" + ".join(map(str, self.constraint.columns)), taken)

    def forward(self, frame) -> None:
        c = self.constraint
        codes = combination_codes(frame, c.columns, c.combinations)
        frame[self.name] = pd.Series(codes, index=frame.index, dtype="Int64")
        frame.drop(columns=list(c.columns), inplace=True)

    def columns(self, columns):
        # Int64: under DP the released counts have a null slot, which decodes to <NA>.
        k = len(self.constraint.combinations)
        new = ColumnMetadata(self.name, "categorical", dtype="Int64",
                             categories=list(range(k)), nullable=False)
        return self._replace(columns, [new])

    def reverse(self, frame) -> np.ndarray:
        c = self.constraint
        codes = frame[self.name].to_numpy(dtype=np.int64, na_value=-1)
        invalid = codes < 0
        codes = np.where(invalid, 0, codes)
        for j, name in enumerate(c.columns):
            table = np.empty(len(c.combinations), dtype=object)
            table[:] = [combo[j] for combo in c.combinations]
            frame[name] = self._restore(table[codes], self.metadata[name]).set_axis(frame.index)
        frame.drop(columns=[self.name], inplace=True)
        return invalid

    def _restore(self, values: np.ndarray, meta: ColumnMetadata) -> pd.Series:
        """Values in the column's dtype, as the categorical codec restores them."""
        if meta.dtype == "category":
            domain = meta.categories or [combo[self.constraint.columns.index(meta.name)]
                                         for combo in self.constraint.combinations]
            categories = list(dict.fromkeys(v for v in domain if v is not None))
            return pd.Series(pd.Categorical(values, categories=categories,
                                            ordered=meta.ordered))
        series = pd.Series(values, dtype=object)
        return series.astype(meta.dtype) if meta.dtype and meta.dtype != "object" else series

    def values(self, column) -> list:
        """The values of one of the columns, in the order the combinations list them."""
        j = self.constraint.columns.index(column)
        return list(dict.fromkeys(combo[j] for combo in self.constraint.combinations))

    def match_value(self, column, wanted) -> Any:
        values = self.values(column)
        index = match_category(wanted, values)
        if index is None:
            raise ConditionError(
                f"{wanted!r} is not a value of column {column!r}; the valid values are "
                f"{values[:30]}."
            )
        return values[index]

    def state_dict(self) -> dict:
        return {"name": self.name}

    def load_state_dict(self, state) -> None:
        self.name = state["name"]


class FormulaTransform(Transform):
    """The formula's column left out of the learned table and computed after sampling."""

    constraint: Formula

    def __init__(self, constraint: Formula, metadata):
        super().__init__(constraint, metadata)
        self.reads, self.replaces = constraint.inputs, (constraint.column,)

    def forward(self, frame) -> None:
        frame.drop(columns=[self.constraint.column], inplace=True)

    def columns(self, columns):
        return self._replace(columns, [])

    def reverse(self, frame) -> np.ndarray:
        c = self.constraint
        series, invalid = restore_numbers(c.compute(frame, self.metadata), self.metadata[c.column])
        frame[c.column] = series.set_axis(frame.index)
        return invalid


class BoundsTransform(Transform):
    """Declared bounds narrowed to a bounded constraint's range."""

    constraint: Bounded

    def columns(self, columns):
        c = self.constraint
        out = []
        for column in columns:
            if column.name == c.column and column.bounds is not None:
                column = copy.copy(column)
                low, high = column.numeric_bounds()
                c_low, c_high = c.range(column.kind)
                if c.strict and column.kind == "integer":  # x > 2.5 is x >= 3 for integers
                    c_low = math.floor(c_low) + 1 if math.isfinite(c_low) else c_low
                    c_high = math.ceil(c_high) - 1 if math.isfinite(c_high) else c_high
                low, high = max(low, c_low), min(high, c_high)
                if low > high:
                    raise ConstraintError(
                        f"the bounds of {c.column!r} in the metadata and the constraint "
                        f"{c.describe()} leave no value between them."
                    )
                if column.kind == "datetime":
                    low, high = datetimes.to_iso(low), datetimes.to_iso(high)
                column.bounds = (low, high)
            out.append(column)
        return out


_TRANSFORMS: dict[type, type] = {
    Inequality: InequalityTransform,
    FixedCombinations: CombinationTransform,
    Formula: FormulaTransform,
}


def transform_for(constraint: Constraint, data: pd.DataFrame | None, metadata, *,
                  private: bool) -> Transform | None:
    """The transform that builds ``constraint`` into the learned table, or None when it is
    met by rejection alone. ``data`` is None when a fitted model is loaded."""
    if isinstance(constraint, Bounded):
        return BoundsTransform(constraint, metadata)
    cls = _TRANSFORMS[type(constraint)]
    if data is not None and cls is InequalityTransform and not cls.applies(
            constraint, data, metadata, private):
        return None
    return cls(constraint, metadata)
