"""Input checks, and which columns are scored as numeric, datetime or categorical.

The real table decides each column's kind (through :class:`tabgan.table.metadata.Metadata`, or a
metadata the caller gives); the synthetic and holdout tables are read in that kind. Columns
that hold an identifier (one distinct value per row) or nothing but nulls are left out, and
the result says so.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from tabgan.errors import (
    AllNullColumnError,
    ColumnMismatchError,
    ColumnTypeMismatchError,
    DuplicateColumnsError,
    EmptyTableError,
    IdentifierColumnError,
    InfiniteValueError,
    TargetColumnError,
)
from tabgan.table import datetimes
from tabgan.table.metadata import Metadata, coerce_metadata

__all__ = [
    "KINDS",
    "ColumnSpec",
    "check_tables",
    "resolve_columns",
    "category_keys",
    "category_key",
    "numeric_values",
]

KINDS = ("numeric", "datetime", "categorical")
_KIND_OF = {
    "continuous": "numeric",
    "integer": "numeric",
    "datetime": "datetime",
    "categorical": "categorical",
}


@dataclass(frozen=True)
class ColumnSpec:
    """One scored column: its name, how it is compared, and a date format if it has one."""

    name: Any
    kind: str  # one of KINDS
    datetime_format: str | None = None

    @property
    def is_numeric(self) -> bool:
        return self.kind in ("numeric", "datetime")


# ---------------------------------------------------------------------- checks
def check_tables(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    holdout: pd.DataFrame | None,
    target: Any | None,
) -> None:
    """Raise a typed error, naming the fix, for tables that cannot be compared."""
    tables = {"real": real, "synthetic": synthetic}
    if holdout is not None:
        tables["holdout"] = holdout
    for label, table in tables.items():
        if not isinstance(table, pd.DataFrame):
            raise TypeError(
                f"the {label} table must be a pandas DataFrame, got {type(table).__name__}; "
                "wrap it with pd.DataFrame(...) or read it with tabgan.table.io.read_table."
            )
    for label, table in tables.items():
        if table.shape[1] == 0:
            raise EmptyTableError(
                f"the {label} table has no columns; pass a table with the real table's columns."
            )
        if table.shape[0] == 0:
            fix = (
                "sample at least one row from the generator"
                if label == "synthetic"
                else "pass a table with at least one row"
            )
            raise EmptyTableError(f"the {label} table has no rows; {fix}.")
        if not table.columns.is_unique:
            dupes = sorted({repr(c) for c in table.columns[table.columns.duplicated()]})
            raise DuplicateColumnsError(
                f"the {label} table names column(s) {', '.join(dupes)} more than once; rename "
                "them so every column has its own name."
            )
    if target is not None:
        for label, table in tables.items():
            if target not in table.columns:
                problem = (f"the target column {target!r} is missing from the {label} table, "
                           f"whose columns are {list(table.columns)}")
                raise TargetColumnError(
                    f"{problem}; pass target= a column every table has, or leave it out to "
                    "skip the utility section.",
                    cli=f"{problem}; give --target a column every table has, or leave "
                        "--target out to skip the utility section."
                )
    expected = list(real.columns)
    for label, table in tables.items():
        if label == "real":
            continue
        missing = [c for c in expected if c not in table.columns]
        extra = [c for c in table.columns if c not in real.columns]
        if missing or extra:
            raise ColumnMismatchError(
                f"the {label} table's columns differ from the real table's: missing {missing}, "
                f"unexpected {extra}. Give both tables the same columns (their order does not "
                "matter), e.g. synthetic = synthetic[real.columns]."
            )


# ---------------------------------------------------------------------- kinds
def resolve_columns(
    real: pd.DataFrame,
    metadata: Metadata | Mapping | str | os.PathLike | None = None,
) -> tuple[list[ColumnSpec], dict[Any, str]]:
    """Each column's kind, read from ``metadata`` where it declares one, else inferred.

    Returns the scored columns, in the real table's order, and the left-out ones with the
    reason.
    """
    declared = coerce_metadata(metadata)
    if declared is not None:
        declared.check_names_in(real, "the real table")
    specs: list[ColumnSpec] = []
    skipped: dict[Any, str] = {}
    for name in real.columns:
        given = None
        if declared is not None and name in declared:
            given = Metadata([declared[name]])
        try:
            column = Metadata.infer(real[[name]], metadata=given).columns[0]
        except IdentifierColumnError:
            skipped[name] = "identifier: one distinct value per row, so no distribution to score"
            continue
        except AllNullColumnError:
            skipped[name] = "entirely null in the real table"
            continue
        if column.kind == "id":
            skipped[name] = "declared as an identifier"
            continue
        specs.append(ColumnSpec(name, _KIND_OF[column.kind], column.datetime_format))
    if not specs:
        raise EmptyTableError(
            "no column of the real table can be scored (all are identifiers or entirely null); "
            "pass tables with at least one ordinary column."
        )
    return specs, skipped


# ---------------------------------------------------------------------- values
def numeric_values(series: pd.Series, spec: ColumnSpec, table: str) -> np.ndarray:
    """A numeric or datetime column as float64 (datetimes in epoch seconds), NaN for nulls."""
    if spec.kind == "datetime":
        return _datetime_seconds(series, spec, table)
    if pd.api.types.is_bool_dtype(series):
        return series.astype("float64").to_numpy(dtype="float64", na_value=np.nan)
    if pd.api.types.is_numeric_dtype(series):
        values = series.to_numpy(dtype="float64", na_value=np.nan)
    else:
        coerced = pd.to_numeric(series, errors="coerce")
        bad = coerced.isna() & series.notna()
        if bad.any():
            example = series[bad].iloc[0]
            problem = (f"column {spec.name!r} is numeric in the real table but the {table} "
                       f"table holds non-numeric values such as {example!r}")
            raise ColumnTypeMismatchError(
                f"{problem}; convert them with pd.to_numeric, or check that the tables' "
                "columns line up.",
                cli=f"{problem}; make them numbers in the {table} file, or check that the "
                    "files' columns line up.",
            )
        values = coerced.to_numpy(dtype="float64", na_value=np.nan)
    if np.isinf(values).any():
        problem = f"column {spec.name!r} of the {table} table holds +inf or -inf"
        raise InfiniteValueError(
            f"{problem}; replace them with finite values or nulls "
            "(df.replace([np.inf, -np.inf], np.nan)).",
            cli=f"{problem}; replace them with finite values or empty fields in the file.",
        )
    return values + 0.0  # turns -0.0 into 0.0, so equal values hash alike


def _datetime_seconds(series: pd.Series, spec: ColumnSpec, table: str) -> np.ndarray:
    seconds = datetimes.to_seconds(series, spec.datetime_format, errors="coerce")
    bad = np.isnan(seconds) & series.notna().to_numpy()
    if bad.any():
        example = series[bad].iloc[0]
        problem = (f"column {spec.name!r} holds dates in the real table but the {table} "
                   f"table holds {example!r}, which is not a date in the same format")
        raise ColumnTypeMismatchError(
            f"{problem}; convert the column with pd.to_datetime.",
            cli=f"{problem}; write the column's dates in the real file's format.",
        )
    return seconds


def category_keys(series: pd.Series) -> np.ndarray:
    """Canonical string keys of a column's values, ``None`` for nulls.

    Whole numbers print without a decimal point, so ``1``, ``1.0`` and ``"1"`` are the same
    category whether a table was read from CSV or made in memory; ``True`` stays ``"True"``.
    """
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(object)
    if pd.api.types.is_bool_dtype(series) and not pd.api.types.is_object_dtype(series):
        values = series.to_numpy(dtype=object, na_value=None)
        return np.array([None if v is None else str(bool(v)) for v in values], dtype=object)
    if pd.api.types.is_numeric_dtype(series):
        return _number_keys(series.to_numpy(dtype="float64", na_value=np.nan))
    values = series.to_numpy(dtype=object, na_value=None)
    if pd.api.types.infer_dtype(series, skipna=True) in ("string", "empty"):
        out = values.copy()
        out[pd.isna(values)] = None
        return out
    return np.array([category_key(v) for v in values], dtype=object)


def _number_keys(values: np.ndarray) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    null = np.isnan(values)
    whole = ~null & (values == np.round(values)) & (np.abs(values) < 2.0**53)
    out[whole] = values[whole].astype(np.int64).astype(str)
    rest = ~null & ~whole
    out[rest] = [repr(float(v)) for v in values[rest]]
    out[null] = None
    return out


def category_key(value: Any) -> str | None:
    """The canonical key of one value (see :func:`category_keys`)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        value = float(value)
        if math.isnan(value):
            return None
        if value == round(value) and abs(value) < 2.0**53:
            return str(int(value))
        return repr(value)
    return str(value)
