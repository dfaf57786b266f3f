"""``ColumnMetadata``: what tabgan knows about one column.

Every column has a *kind*:

- ``continuous``: real numbers, modelled by a Gaussian mixture.
- ``integer``: whole numbers (an int dtype, or floats that are all whole), modelled like
  continuous values and rounded on the way back.
- ``categorical``: a finite set of values (strings, bools, pandas categories, and numeric
  columns with few distinct values), one-hot encoded.
- ``datetime``: datetime64 columns, or strings in one date format; restored in the same
  dtype or string format.
- ``id``: one distinct value per row. Never one-hot encoded: fresh unique values are
  generated instead.

``categories`` and ``bounds`` are *public* facts: given, they replace what would otherwise
be read from the data (the differentially private mode relies on this). So is ``decimals``,
the number of digits after the decimal point that generated values are rounded to: read off
the data without DP, taken only from the metadata under DP.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

from tabgan.errors import MetadataError
from tabgan.table import datetimes

__all__ = [
    "KINDS",
    "NUMERIC_KINDS",
    "MAX_DECIMALS",
    "ColumnMetadata",
    "bound_to_float",
    "to_json_scalar",
    "category_key",
]

KINDS = ("continuous", "integer", "categorical", "datetime", "id")
MAX_DECIMALS = 15  # a double holds about 15 significant decimal digits
NUMERIC_KINDS = ("continuous", "integer", "datetime")


@dataclass
class ColumnMetadata:
    """One column's kind, the dtype it is restored with, and its public facts."""

    name: Any
    kind: str
    dtype: str | None = None  # the pandas dtype to restore ("int64", "object", "category", ...)
    nullable: bool | None = None  # None: decided from the data at fit time
    categories: list | None = None  # categorical: every allowed value (None stands for null)
    bounds: tuple[float, float] | None = None  # numeric: public (min, max); datetime: ISO strings
    datetime_format: str | None = None  # datetime parsed from strings: the strftime format
    ordered: bool = False  # categorical with an ordered pandas category dtype
    decimals: int | None = None  # continuous: digits after the decimal point of every value

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise MetadataError(
                f"column {self.name!r} has kind {self.kind!r}; use one of {', '.join(KINDS)}."
            )
        if self.categories is not None:
            if self.kind != "categorical":
                raise MetadataError(
                    f"column {self.name!r} lists categories but has kind {self.kind!r}; "
                    "only categorical columns take a categories list."
                )
            if len(self.categories) == 0:
                raise MetadataError(f"column {self.name!r} has an empty categories list.")
            self.categories = [to_json_scalar(v) for v in self.categories]
            keys = [category_key(v) for v in self.categories]
            if len(set(keys)) != len(keys):
                raise MetadataError(f"column {self.name!r} lists a category twice.")
        if self.bounds is not None:
            if self.kind not in NUMERIC_KINDS:
                raise MetadataError(
                    f"column {self.name!r} has bounds but kind {self.kind!r}; only "
                    "continuous, integer and datetime columns take bounds."
                )
            if len(self.bounds) != 2:
                raise MetadataError(f"column {self.name!r}: bounds must be [min, max].")
            low, high = (bound_to_float(b, self.kind) for b in self.bounds)
            if not (math.isfinite(low) and math.isfinite(high)) or low > high:
                raise MetadataError(
                    f"column {self.name!r}: bounds must be finite with min <= max, got "
                    f"{list(self.bounds)}."
                )
            self.bounds = tuple(self.bounds)
        if self.decimals is not None:
            if self.kind not in ("continuous", "integer"):
                raise MetadataError(
                    f"column {self.name!r} has decimals but kind {self.kind!r}; only "
                    "continuous and integer columns take decimals."
                )
            if isinstance(self.decimals, bool) or not isinstance(self.decimals, int) or not (
                    0 <= self.decimals <= MAX_DECIMALS):
                raise MetadataError(
                    f"column {self.name!r}: decimals must be a whole number from 0 to "
                    f"{MAX_DECIMALS}, got {self.decimals!r}."
                )

    def numeric_bounds(self) -> tuple[float, float] | None:
        """The public bounds as floats (datetimes in epoch seconds), or None."""
        if self.bounds is None:
            return None
        low, high = self.bounds
        return bound_to_float(low, self.kind), bound_to_float(high, self.kind)

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"name": self.name, "kind": self.kind}
        for f in fields(self):
            if f.name in ("name", "kind"):
                continue
            value = getattr(self, f.name)
            if value is None or (f.name == "ordered" and not value):
                continue  # left out: the default (nullable false is kept: it is a fact)
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def from_dict(cls, data: Mapping) -> ColumnMetadata:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise MetadataError(
                f"column {data.get('name')!r}: unknown metadata field(s) {sorted(unknown)}; "
                f"the fields are {sorted(known)}."
            )
        if "kind" not in data:
            raise MetadataError(f"column {data.get('name')!r}: metadata needs a 'kind'.")
        return cls(**data)


def bound_to_float(value: Any, kind: str) -> float:
    """A bound as a float: datetimes (ISO strings or timestamps) become epoch seconds."""
    if kind == "datetime":
        try:
            return datetimes.value_to_seconds(value)
        except ValueError as exc:
            raise MetadataError(f"datetime bound {value!r} is not a date; use ISO 8601.") from exc
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise MetadataError(f"bound {value!r} is not a number.") from exc


def to_json_scalar(value: Any) -> Any:
    """A category value as a plain JSON-able Python scalar (nulls become None)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def category_key(value: Any) -> tuple:
    """A hashable key that keeps 1, 1.0 and True apart."""
    return (type(value).__name__, value)
